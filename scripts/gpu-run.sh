#!/usr/bin/env bash
# The GPU box run of docs/gpu-run.md, in one call: the adapter facts, matMul throughput three ways
# (bench/gpu-matmul.ts), scenarios/live-gpu.yaml shared
# and with --exclusive, then `gpulab serve` (config/serve-gpu.yaml) with tensor jobs submitted over
# HTTP (scripts/gpu-serve-check.mjs). Everything it produced is packed into one file,
# $OUT/gpu-run.tar.gz (the device tool brings back a few files only), plus $OUT/gpu-run.log.
#
# Here, after `npm install`: bash ../shared/gpu/pack.sh && bash scripts/gpu-bundle.sh
# On the box (carry .gpu and .bundle): source .gpu/activate.sh; bash scripts/gpu-run.sh
# `--cpu-check` runs the same steps here on CPU, smaller (live-smoke, a 1-GPU node declared in the
# config, CPU-sized jobs), to check the script and the bundle before spending device time.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cpu=0
[ "${1:-}" = "--cpu-check" ] && cpu=1
out=${OUT:-$root/.cache/gpu-run-out}
mkdir -p "$out"
res=$(mktemp -d /tmp/gpu-run.XXXXXX)/gpu-run
mkdir -p "$res"
exec > >(tee "$out/gpu-run.log") 2>&1

# Workers run as an unprivileged user in the sandbox: they must read the bundle and the node binary,
# so the run happens in a world-readable copy outside the checkout.
work=$(mktemp -d /tmp/gpulab-run.XXXXXX)
chmod 755 "$work"
cp -r "$root/.bundle" "$work/.bundle"
cp -r "$root/scenarios" "$root/config" "$root/scripts" "$work/"
[ -d "$root/node_modules/webgpu" ] && mkdir -p "$work/node_modules" && cp -r "$root/node_modules/webgpu" "$work/node_modules/"
chmod -R a+rX "$work"
cd "$work"
export GPULAB_TFJS_WASM_DIR=$work/.bundle

step() { echo; echo "=== $* ($(date -u +%T))"; }
step "machine"
uname -a
node --version
nvidia-smi > "$res/nvidia-smi.txt" 2>&1 && head -20 "$res/nvidia-smi.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
(mount | grep -q cgroup2 && echo "cgroup v2") || echo "cgroup v1 or none"

if [ $cpu = 1 ]; then
  scenario=scenarios/live-smoke.yaml
  cat > config/serve-gpu-check.yaml <<'EOF'
listen: { host: 127.0.0.1, port: 0 }
cluster: { nodes: [{ prefix: check-, count: 1, cpu: 16000, memory: 32768, gpus: [{ count: 1, model: check-gpu }] }] }
policy: { queue: fifo, placement: best-fit }
tenants: [{ name: vision, weight: 1 }, { name: nlp, weight: 1 }]
admission: { maxQueue: 100 }
attestation: { required: false }
sandbox: { timeoutSec: 120, graceMs: 1000, minMemoryMiB: 384, backends: [wasm, cpu], warmPool: { tensor: 2, plain: 1 } }
EOF
  config=config/serve-gpu-check.yaml
else
  scenario=scenarios/live-gpu.yaml
  config=config/serve-gpu.yaml
fi

step "matMul throughput (bench/gpu-matmul.ts)"
if [ $cpu = 1 ]; then timeout 60 node .bundle/gpu-matmul.mjs --sizes 128,256 --steps 4 --backends wasm,cpu; else timeout 90 node .bundle/gpu-matmul.mjs; fi; echo "exit $?"

step "live: $scenario, fractional GPUs shared"
timeout 150 node .bundle/live.mjs "$scenario" --out "$res/shared"; echo "exit $?"
step "live: $scenario, --exclusive"
timeout 150 node .bundle/live.mjs "$scenario" --exclusive --out "$res/exclusive"; echo "exit $?"

step "service: $config"
state=$(mktemp -d /tmp/gpulab-state.XXXXXX)
node .bundle/serve.mjs --config "$config" --state "$state" --port 0 > "$res/serve.stdout" 2> "$res/serve.log" &
pid=$!
for _ in $(seq 1 300); do grep -q '^listening on ' "$res/serve.stdout" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$res/serve.stdout" | head -1)
echo "service at ${url:-?} (pid $pid)"
if [ -n "$url" ]; then
  timeout 210 node scripts/gpu-serve-check.mjs "$url" "$res/service" $([ $cpu = 1 ] && echo --cpu); echo "exit $?"
fi
kill -TERM $pid; wait $pid; echo "serve exit $?"
grep -E '"(gpu|detect|sandbox|isolation)' "$res/serve.log" | head -20
# Each service job's start: warm or cold, and decision → worker running (ms).
node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) { if (!l.includes("\"finished\"")) continue; const r = JSON.parse(l); console.log(`start ${r.job}: ${r.warm ? "warm" : "cold"} ${r.startMs} ms, run ${r.runMs} ms, ${r.outcome}`); }' "$res/serve.log"
cp -r "$state/runs" "$res/service/" 2>/dev/null

step "pack"
tar czf "$out/gpu-run.tar.gz" -C "$(dirname "$res")" gpu-run
ls -la "$out"
