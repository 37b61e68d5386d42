#!/usr/bin/env bash
# Is it the job sandbox that slows a GPU job? matMul throughput (bench/gpu-matmul.ts) outside the
# sandbox, then as `gpulab serve` command jobs inside it with the job's default CPU/memory limits and
# with large ones. Figures, not pass/fail. On the GPU box, after scripts/gpu-bundle.sh, carrying .gpu
# and .bundle: `source .gpu/activate.sh; bash bench/gpu-sandbox.sh`. Here (CPU): `bash bench/gpu-sandbox.sh --cpu`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cpu=0; [ "${1:-}" = "--cpu" ] && cpu=1
work=$(mktemp -d /tmp/gpulab-probe.XXXXXX)
chmod 755 "$work"
cp -r "$root/.bundle" "$root/config" "$work/"
[ -d "$root/node_modules/webgpu" ] && mkdir -p "$work/node_modules" && cp -r "$root/node_modules/webgpu" "$work/node_modules/"
chmod -R a+rX "$work"
cd "$work"
export GPULAB_TFJS_WASM_DIR=$work/.bundle
args=(--sizes 4096 --steps 40); config=config/serve-gpu.yaml
if [ $cpu = 1 ]; then
  args=(--sizes 128 --steps 4 --backends wasm,cpu)
  sed -e 's/cluster: { detect: true }/cluster: { nodes: [{ prefix: c-, count: 1, cpu: 16000, memory: 65536, gpus: [{ count: 1, model: check }] }] }/' config/serve-gpu.yaml > config/probe.yaml
  config=config/probe.yaml
fi
echo "== outside the sandbox"; node .bundle/gpu-matmul.mjs "${args[@]}" | tail -2
state=$(mktemp -d /tmp/gpulab-probe-state.XXXXXX)
node .bundle/serve.mjs --config "$config" --state "$state" --port 0 > serve.out 2> serve.log &
pid=$!
for _ in $(seq 1 300); do grep -q '^listening on ' serve.out 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' serve.out | head -1)
node --input-type=module - "$url" "$(command -v node)" "$work/.bundle/gpu-matmul.mjs" "${args[@]}" <<'JS'
const [url, node, script, ...args] = process.argv.slice(2);
for (let i = 0; i < 300 && (await fetch(url + '/readyz').then((r) => r.status, () => 0)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
for (const [cpuMilli, memoryMiB] of [[2000, 4096], [15000, 4096], [2000, 60000]]) {
  const r = await fetch(url + '/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'vision', gpus: 1, milli: 1000, cpuMilli, memoryMiB, command: [node, script, ...args] }) });
  const { id } = await r.json();
  let j;
  for (;;) { j = await (await fetch(`${url}/v1/jobs/${id}`)).json(); if (!['queued', 'running'].includes(j.state)) break; await new Promise((r) => setTimeout(r, 200)); }
  const out = await (await fetch(`${url}/v1/jobs/${id}/output`)).json();
  console.log(`== in the sandbox, cpuMilli ${cpuMilli}, memoryMiB ${memoryMiB}: ${j.state}`);
  console.log(out.stdout.text.trim().split('\n').slice(-2).join('\n'), out.stderr.text.trim().slice(-300));
}
JS
kill -TERM $pid; wait $pid
