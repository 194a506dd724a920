import path from 'node:path';
import { defineConfig } from 'vite';

/**
 * The web console's build: web/ → web/dist, served by the API under /console/ (api/console/routes.ts).
 * Vite 8 compiles TSX with its built-in Oxc transform (automatic JSX runtime); pages are split per area with
 * React.lazy, so the first page loads the shell only (scripts/web-size.ts prints and bounds its weight).
 * CONSOLE_DIST builds elsewhere (the API serves what it names). `npm run web:dev` serves it with hot reload and proxies /api to a running `npm start`.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: process.env.CONSOLE_DIST ?? path.join(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    // The shell's manifest lets scripts/web-size.ts find the first page's chunks.
    manifest: true,
    rollupOptions: {
      // Ant Design marks its modules "use client" for React Server Components; meaningless in a client bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000', '/openapi.json': 'http://127.0.0.1:3000' },
  },
});
