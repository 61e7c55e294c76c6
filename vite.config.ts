import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * One HTML file per page (a multi-page app): the server serves web/dist statically, with no fallback route; a browser
 * asking for an address without a page gets 404.html with status 404 (server/http/app.ts).
 */
export const PAGES = ['index', 'signup', 'recover', 'upgrade', 'account', 'approvals', 'approval', 'compliance', 'wallet', 'verifier', '404'] as const

const web = fileURLToPath(new URL('./web/', import.meta.url))
const api = process.env.SIGIL_API ?? 'http://localhost:8080'

export default defineConfig({
  root: web,
  publicDir: 'public',
  appType: 'mpa',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline <script> or style anywhere: the server's CSP allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    rolldownOptions: { input: Object.fromEntries(PAGES.map((p) => [p, `${web}${p}.html`])) },
  },
  // `npx vite` serves web/ with hot reload and forwards API calls to a running server
  // (start it with SIGIL_ORIGINS=http://localhost:5173 so it accepts this origin).
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(['/v1', '/.well-known', '/openapi.json', '/docs', '/healthz', '/readyz'].map((p) => [p, { target: api }])),
  },
})
