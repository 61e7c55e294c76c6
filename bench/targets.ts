/** The two servers under test, each started on 127.0.0.1 with a load generator child attached to it. */
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Flavor, LoadCommand, LoadReply } from './load.ts'
import { freePort, machineTimes, startServer, treeCpuSeconds, type ServerProcess } from './procs.ts'
import type { PhaseResult } from './stats.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
export const root = path.resolve(here, '..')

export interface Target {
  flavor: Flavor
  server: ServerProcess
  accounts: number
  setupSeconds: number
  /** Runs one measured phase on this target's generator; adds CPU use over the phase (warm-up included). */
  run: (c: Extract<LoadCommand, { cmd: 'closed' | 'open' }>) => Promise<PhaseResult>
  close: () => Promise<void>
}

export interface TargetOptions {
  accounts: number
  connections: number
  /** Write a V8 CPU profile of the server into this directory (one sub-directory per server). */
  profileDir?: string
  /** SIGIL_WORKERS, passed through to Sigil. */
  workers?: string
}

/** How long one command may take before the bench gives up on it (a run once hung here for 13 minutes). */
const commandTimeoutMs = (c: LoadCommand): number =>
  c.cmd === 'closed' || c.cmd === 'open' ? (c.warmupSeconds + c.seconds) * 1000 + 60_000 : 180_000

function generator(): { send: (c: LoadCommand) => Promise<Extract<LoadReply, { ok: true }>>; child: ChildProcess } {
  const child = fork(path.join(here, 'load.ts'), [], { execArgv: ['--import', 'tsx'], cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const send = (c: LoadCommand) => new Promise<Extract<LoadReply, { ok: true }>>((resolve, reject) => {
    const done = (): void => { clearTimeout(timer); child.off('exit', onExit); child.off('message', onMessage) }
    const onExit = (code: number | null): void => { done(); reject(new Error(`load generator exited with ${code}`)) }
    const onMessage = (m: LoadReply): void => {
      done()
      if (m.ok) resolve(m)
      else reject(new Error(m.error))
    }
    const timer = setTimeout(() => {
      done()
      child.kill()
      reject(new Error(`load generator: no answer to ${c.cmd} within ${commandTimeoutMs(c) / 1000} s`))
    }, commandTimeoutMs(c))
    child.once('exit', onExit)
    child.once('message', onMessage)
    child.send(c)
  })
  return { send, child }
}

const cores = (cpuSeconds: number, wallMs: number): number => Math.round((cpuSeconds / (wallMs / 1000)) * 100) / 100

export async function attach(flavor: Flavor, server: ServerProcess, origin: string, opts: TargetOptions, cleanup: () => void): Promise<Target> {
  const gen = generator()
  try {
    const setup = await gen.send({ cmd: 'setup', url: server.url, origin, flavor, accounts: opts.accounts, connections: opts.connections })
    return {
      flavor, server, accounts: setup.accounts!, setupSeconds: setup.setupSeconds!,
      async run(c) {
        const pids = [server.child.pid!, gen.child.pid!]
        const at = () => ({ server: treeCpuSeconds(pids[0]!), generator: treeCpuSeconds(pids[1]!), machine: machineTimes(), wall: performance.now() })
        const a = at()
        const { result } = await gen.send(c)
        const b = at()
        const server_ = cores(b.server - a.server, b.wall - a.wall)
        const generator_ = cores(b.generator - a.generator, b.wall - a.wall)
        return { ...result!, cpu: { server: server_, generator: generator_,
          otherProcesses: Math.max(0, Math.round((cores(b.machine.busy - a.machine.busy, b.wall - a.wall) - server_ - generator_) * 100) / 100),
          steal: cores(b.machine.steal - a.machine.steal, b.wall - a.wall) } }
      },
      async close() {
        await gen.send({ cmd: 'exit' }).catch(() => undefined)
        gen.child.kill()
        await server.stop()
        cleanup()
      },
    }
  } catch (err) {
    gen.child.kill()
    await server.stop()
    cleanup()
    throw err
  }
}

/** One directory per server: tsx's loader thread writes a profile too, under its own thread id. */
const profileArgs = (dir: string | undefined, name: string): string[] => dir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, name)}`] : []

export async function startReference(opts: TargetOptions): Promise<Target> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const server = await startServer({ name: 'reference', script: 'bench/reference/server.ts', port, cwd: root, readyPath: '/healthz',
    nodeArgs: profileArgs(opts.profileDir, 'reference'),
    env: { PORT: String(port), ORIGIN: origin, RP_ID: 'localhost', NODE_ENV: 'production' } })
  return attach('reference', server, origin, opts, () => undefined)
}

/**
 * The environment of a Sigil server measured for peak throughput on 127.0.0.1: its own data dir, the per-IP
 * ceremony limit lifted (all load comes from one address; see login.ts), and the utilization limit off, as the
 * references (which have no admission control) are measured; bench/overload.ts measures that limit.
 */
export function peakSigilEnv(port: number, dataDir: string): Record<string, string> {
  return {
    PORT: String(port), HOST: '127.0.0.1', SIGIL_DATA_DIR: dataDir, SIGIL_ORIGINS: `http://localhost:${port}`, SIGIL_RP_ID: 'localhost',
    SIGIL_LOG_LEVEL: 'warn', SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production', SIGIL_ADMISSION_UTILIZATION: '0',
  }
}

export async function startSigil(opts: TargetOptions): Promise<Target> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-bench-'))
  const server = await startServer({ name: 'sigil', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz',
    // SIGIL_BENCH_NODE_ARGS: extra node flags for the Sigil server only (e.g. --max-semi-space-size=32), to try them.
    nodeArgs: [...(process.env.SIGIL_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...profileArgs(opts.profileDir, 'sigil')],
    env: { ...peakSigilEnv(port, dataDir), ...(opts.workers ? { SIGIL_WORKERS: opts.workers } : {}) } }).catch((err: unknown) => { fs.rmSync(dataDir, { recursive: true, force: true }); throw err })
  return attach('sigil', server, origin, opts, () => fs.rmSync(dataDir, { recursive: true, force: true }))
}
