// The web client's build: `vite build web` (part of `npm run build`) writes dist/web, which
// `stoa serve` serves at / (src/http/web-routes.ts). No inline scripts or styles: the
// page's Content-Security-Policy allows only files from the server.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
