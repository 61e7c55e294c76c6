import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Type-checks web/ (Vite does not) and builds it into web/dist, which the server serves at `/`, so the
 * journeys test what ships.
 */
export default async function globalSetup(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', 'web/tsconfig.json'], { cwd: root, stdio: 'pipe' })
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? String(err)
    throw new Error(`web/ does not type-check:\n${out}`)
  }
  await build({ configFile: `${root}vite.config.ts`, logLevel: 'warn' })
}
