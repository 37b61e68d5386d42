#!/usr/bin/env bash
# Bundles the live-mode CLI and its worker into .bundle/ (git-ignored) for the GPU box, which has
# no node_modules (they are far over the 64 MiB a device call may carry). See the shared GPU
# README: esbuild, ESM for Node 20, `webgpu` left external (activate.sh puts Dawn's binding in
# ./node_modules/webgpu on the box), a banner that gives ESM code a `require`.
#
# Usage, from anywhere in the repository, after `npm install`:
#   bash scripts/gpu-bundle.sh            # writes .bundle/{live.mjs,serve.mjs,worker.mjs,gpu-matmul.mjs,*.wasm,agent/,node_modules/}
#   bash scripts/gpu-bundle.sh --check    # also runs the bundle here on CPU (live-smoke, scaled)
#   bash scripts/gpu-bundle.sh --worker-loop   # also writes .bundle-loop/ (bench/gpu-worker-loop.ts
#                                          # with the worker and the WASM binaries: carried alone, as
#                                          # .gpu and .bundle together are close to the 64 MiB a call carries)
# On the GPU box (after `bash ../shared/gpu/pack.sh` here; carry .gpu and .bundle):
#   source .gpu/activate.sh; GPULAB_TFJS_WASM_DIR=$PWD/.bundle \
#     node .bundle/live.mjs scenarios/live-gpu.yaml --out "$OUT/live-gpu"
# The CLI finds the worker as `worker.mjs` beside itself (src/live/worker-entry.ts).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
out=.bundle
esbuild=node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "gpu-bundle.sh: $esbuild missing; run npm install first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

# The README's banner plus __filename/__dirname: the WASM backend's Emscripten loader uses
# __dirname under Node, and without it `setBackend('wasm')` fails in the bundle.
banner="import { createRequire } from 'module'; import { fileURLToPath as __gpulabF } from 'url'; import { dirname as __gpulabD } from 'path'; const require = createRequire(import.meta.url); const __filename = __gpulabF(import.meta.url); const __dirname = __gpulabD(__filename);"
common=(
  --bundle --platform=node --format=esm --target=node20 --main-fields=module,main
  # Native or optional packages resolve at run time on the box, or are skipped by the backend
  # chooser when absent; esbuild is only used to build the worker from sources.
  --external:webgpu --external:esbuild --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
  "--banner:js=$banner" --log-level=error
)
"$esbuild" src/cli/live.ts --outfile="$out/live.mjs" "${common[@]}"
"$esbuild" src/live/worker.ts --outfile="$out/worker.mjs" "${common[@]}"
"$esbuild" bench/gpu-matmul.ts --outfile="$out/gpu-matmul.mjs" "${common[@]}"
# The service (`npm run serve`): better-sqlite3 is a native addon, so it stays external and travels
# as its package (the compiled addon for linux-x64 Node 20, the same ABI as the carried Node.js) with
# its one run-time dependency chain (bindings → file-uri-to-path); the session agent's scripts sit
# where src/sessions/session-worker.ts looks for them, beside the bundle.
"$esbuild" src/cli/serve.ts --outfile="$out/serve.mjs" "${common[@]}" --external:better-sqlite3
mkdir -p "$out/node_modules/better-sqlite3/build/Release" "$out/agent"
cp -r node_modules/better-sqlite3/lib node_modules/better-sqlite3/package.json "$out/node_modules/better-sqlite3/"
cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$out/node_modules/better-sqlite3/build/Release/"
cp -r node_modules/bindings node_modules/file-uri-to-path "$out/node_modules/"
cp src/sessions/agent/* "$out/agent/"
# The WASM backend's binaries (single-threaded builds; the worker gets few threads anyway).
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm \
   node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm "$out/"
du -sh "$out"

if [ "${1:-}" = "--worker-loop" ]; then
  rm -rf .bundle-loop && mkdir -p .bundle-loop
  "$esbuild" bench/gpu-worker-loop.ts --outfile=.bundle-loop/gpu-worker-loop.mjs "${common[@]}"
  cp "$out/worker.mjs" "$out"/*.wasm .bundle-loop/
  du -sh .bundle-loop
fi

if [ "${1:-}" = "--check" ]; then
  # The bundle must run without node_modules' sources: from a copy of the project that has
  # only the bundle, the scenarios and the policies' scenario files.
  tmp=$(mktemp -d "$root/.cache/gpu-bundle-check.XXXXXX")
  chmod 755 "$tmp"  # workers run as an unprivileged user and must read the bundle
  trap 'rm -rf "$tmp"' EXIT
  cp -r "$out" "$tmp/.bundle"
  cp -r scenarios "$tmp/scenarios"
  (cd "$tmp" && GPULAB_TFJS_WASM_DIR="$tmp/.bundle" node .bundle/live.mjs scenarios/live-smoke.yaml --out "$tmp/out")
  echo "gpu-bundle.sh: bundle ran live-smoke on CPU without node_modules"
fi
