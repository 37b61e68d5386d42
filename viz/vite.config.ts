import { defineConfig } from 'vite';

// The viewer is a plain static app: relative base so a built site works from any sub-path.
// Data is not part of the bundle; `npm run viz` serves it under /data, viz:build copies it there.
export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 1000 },
  // The log worker (src/log-worker.ts) is its own chunk, an ES module like the page.
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
});
