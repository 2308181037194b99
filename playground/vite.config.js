// The playground imports the package the way a user does ('openssl-session-wasm'); this alias points
// that name at the built package in ../dist (npm run build:ts), so no link or install is needed.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: {
      'openssl-session-wasm': fileURLToPath(new URL('../dist/index.js', import.meta.url)),
      // The AddressSanitizer twin (wasm/asan.sh): loaded lazily by "Run it in plain C", never part of the package.
      '@asan': fileURLToPath(new URL('../wasm/dist/asan', import.meta.url)),
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
