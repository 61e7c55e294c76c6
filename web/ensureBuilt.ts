/**
 * `npm start` runs this first (prestart): it builds web/ into web/dist, which the server serves, when the
 * build is missing or older than its sources. Vite is a dev dependency: where it is not installed (a
 * production install), an image is expected to ship a built web/dist, and this only says what is missing.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const web = fileURLToPath(new URL('.', import.meta.url))
const built = path.join(web, 'dist', 'index.html')

function newest(dir: string): number {
  let t = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs)
  }
  return t
}

const sources = Math.max(newest(web), fs.statSync(path.join(web, '..', 'vite.config.ts')).mtimeMs)
const current = fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources
if (!current) {
  let vite: typeof import('vite') | undefined
  try {
    vite = await import('vite')
  } catch {
    vite = undefined
  }
  if (vite) {
    process.stdout.write('sigil: building the web app (web/ → web/dist)\n')
    await vite.build({ configFile: path.join(web, '..', 'vite.config.ts'), logLevel: 'warn' })
  } else if (!fs.existsSync(built)) {
    process.stderr.write('sigil: web/dist is missing and Vite (a dev dependency) is not installed, so the web app will not be served.\n'
      + '       Build it where dev dependencies are installed: npm ci && npm run build:web\n')
  } else {
    process.stderr.write('sigil: web/dist is older than web/; serving it as it is (run npm run build:web to refresh it)\n')
  }
}
