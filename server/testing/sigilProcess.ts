import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TEST_ORIGIN } from './testApp.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * A real Sigil process (`npm start`'s entry, server/main.ts) on a free loopback port; resolves once it logs its
 * port. `children` collects the process so the test can kill whatever is left in `after`.
 */
export async function startSigilProcess(env: Record<string, string>, children: ChildProcess[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SIGIL_ORIGINS: TEST_ORIGIN, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let log = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${log}`)), 60_000)
    child.stdout!.on('data', (d: Buffer) => {
      log += d
      const m = /"port":(\d+)/.exec(log)
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`) }
    })
    child.stderr!.on('data', (d: Buffer) => { log += d })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)) })
  })
  return { url, child }
}
