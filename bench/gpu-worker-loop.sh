#!/usr/bin/env bash
# The GPU box run of bench/gpu-worker-loop.ts (figures, not pass/fail). Here, after npm install:
#   bash ../shared/gpu/pack.sh && bash scripts/gpu-bundle.sh --worker-loop
# On the box (carry .gpu and .bundle-loop): source .gpu/activate.sh; bash bench/gpu-worker-loop.sh
# Runs from a world-readable copy (sandboxed workers run as nobody) and samples the GPU's SM clock,
# utilisation and power every 250 ms meanwhile; writes $OUT/worker-loop.txt and $OUT/smi.csv.
# Extra arguments go to the bench (default: --sizes 2048,4096,8192 --gflop 2000,8000,20000).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/.cache/gpu-worker-loop-out}
mkdir -p "$out"
work=$(mktemp -d /tmp/gpulab-loop.XXXXXX)
chmod 755 "$work"
cp -r "$root/.bundle-loop" "$work/b"
[ -d "$root/node_modules/webgpu" ] && mkdir -p "$work/node_modules" && cp -r "$root/node_modules/webgpu" "$work/node_modules/"
chmod -R a+rX "$work"
cd "$work"
export GPULAB_TFJS_WASM_DIR=$work/b
smi=
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,utilization.gpu,power.draw --format=csv -lms 250 > "$out/smi.csv" 2>&1 &
  smi=$!
fi
args=("$@"); [ ${#args[@]} -eq 0 ] && args=(--sizes 2048,4096,8192 --gflop 2000,8000,20000)
timeout 420 node b/gpu-worker-loop.mjs "${args[@]}" 2>&1 | tee "$out/worker-loop.txt"
[ -n "$smi" ] && kill "$smi"
