import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console is served by the subscription registry at /console/ (same origin as the API it
// calls). `nx run console:serve` proxies the API to a registry on :3001 for development.
export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    port: 4200,
    proxy: { '/v1': `http://localhost:${process.env['REGISTRY_PORT'] ?? 3001}` },
  },
});
