import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** A Sigil server process of our own: a free port, a temporary data directory, its log in a file. */
export interface SigilServer {
  url: string
  port: number
  dataDir: string
  logFile: string
  stop(): Promise<void>
}

const root = fileURLToPath(new URL('..', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

async function waitReady(url: string, child: ChildProcess, logFile: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sigil exited with ${child.exitCode} before it was ready:\n${fs.readFileSync(logFile, 'utf8')}`)
    try {
      const res = await fetch(`${url}/readyz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error(`sigil was not ready within ${timeoutMs} ms:\n${fs.readFileSync(logFile, 'utf8')}`)
}

export async function startServer(env: Record<string, string> = {}): Promise<SigilServer> {
  const port = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-e2e-'))
  const logFile = path.join(dataDir, 'server.log')
  const log = fs.openSync(logFile, 'a')
  const url = `http://localhost:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SIGIL_DATA_DIR: dataDir,
      SIGIL_ORIGINS: url,
      SIGIL_RP_ID: 'localhost',
      SIGIL_LOG_LEVEL: 'warn',
      // Every test runs from 127.0.0.1: the per-IP ceremony limit would otherwise count them all together.
      SIGIL_RATE_LIMIT_PER_MINUTE: '1000',
      ...env,
    },
    stdio: ['ignore', log, log],
  })
  fs.closeSync(log)
  try {
    await waitReady(url, child, logFile)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return {
    url, port, dataDir, logFile,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Runs the admin CLI (`npm run sigil -- …`) on this server's data directory; resolves with what it prints (JSON). */
export function sigilCli<T>(server: SigilServer, ...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, SIGIL_DATA_DIR: server.dataDir, SIGIL_ORIGINS: server.url, SIGIL_RP_ID: 'localhost', SIGIL_LOG_LEVEL: 'warn' },
    }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`sigil ${args.join(' ')} failed: ${stderr || err.message}`))
      try {
        resolve(JSON.parse(stdout) as T)
      } catch {
        reject(new Error(`sigil ${args.join(' ')} printed no JSON: ${stdout}`))
      }
    })
  })
}
