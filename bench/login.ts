/**
 * `npm run bench`: complete passkey logins per second (options + sign + verify over HTTP) for Sigil on
 * SQLite and, in the same run, for a bare express + @simplewebauthn/server reference (bench/reference).
 * For each server: start it on 127.0.0.1, create accounts, measure the peak with 64 closed-loop users,
 * then latency at 70 % of that peak with paced (open-loop) arrivals; stop it. Prints one table and writes
 * bench/results/<date>-login.json. A benchmark prints figures; it asserts nothing.
 *
 *   tsx bench/login.ts [--seconds 8] [--warmup 2] [--concurrency 64] [--accounts 1500] [--fraction 0.7]
 *                      [--workers N] [--only sigil|reference] [--cpu-prof]
 */
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Flavor, LoadCommand, LoadReply } from './load.ts'
import { freePort, startServer, treeCpuSeconds, type ServerProcess } from './procs.ts'
import type { PhaseResult } from './stats.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '64' },
    accounts: { type: 'string', default: '1500' },
    fraction: { type: 'string', default: '0.7' },
    workers: { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
})
const seconds = Number(args.seconds)
const warmupSeconds = Number(args.warmup)
const concurrency = Number(args.concurrency)
const accounts = Number(args.accounts)
const fraction = Number(args.fraction)

interface ServerFigures { accounts: number; setupSeconds: number; peak: PhaseResult; paced: PhaseResult }

/** Drives one load generator child over IPC, one command at a time. */
function generator(): { send: (c: LoadCommand) => Promise<LoadReply>; child: ChildProcess } {
  const child = fork(path.join(here, 'load.ts'), [], { execArgv: ['--import', 'tsx'], cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return {
    child,
    send: (c) => new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`load generator exited with ${code}`))
      child.once('exit', onExit)
      child.once('message', (m) => { child.off('exit', onExit); resolve(m as LoadReply) })
      child.send(c)
    }),
  }
}

async function must(p: Promise<LoadReply>): Promise<Extract<LoadReply, { ok: true }>> {
  const r = await p
  if (!r.ok) throw new Error(r.error)
  return r
}

/** Runs one phase and adds the server's CPU use over the same wall-clock span (warm-up included). */
async function phase(server: ServerProcess, send: (c: LoadCommand) => Promise<LoadReply>, c: LoadCommand): Promise<PhaseResult> {
  const cpu0 = treeCpuSeconds(server.child.pid!)
  const t0 = performance.now()
  const { result } = await must(send(c))
  const serverCores = (treeCpuSeconds(server.child.pid!) - cpu0) / ((performance.now() - t0) / 1000)
  return { ...result!, serverCores: Math.round(serverCores * 100) / 100 }
}

async function measure(flavor: Flavor, server: ServerProcess, origin: string): Promise<ServerFigures> {
  const gen = generator()
  try {
    const setup = await must(gen.send({ cmd: 'setup', url: server.url, origin, flavor, accounts, connections: Math.max(128, concurrency) }))
    log(`  ${setup.accounts} accounts in ${setup.setupSeconds!.toFixed(1)} s; peak, ${concurrency} users, ${warmupSeconds}+${seconds} s ...`)
    const peak = await phase(server, gen.send, { cmd: 'closed', concurrency, warmupSeconds, seconds })
    const rate = Math.max(1, peak.loginsPerSecond * fraction)
    log(`  ${peak.loginsPerSecond} logins/s; paced at ${rate.toFixed(0)}/s (${fraction * 100} %), ${warmupSeconds}+${seconds} s ...`)
    const paced = await phase(server, gen.send, { cmd: 'open', rate, warmupSeconds, seconds, maxInFlight: 2048 })
    await gen.send({ cmd: 'exit' })
    return { accounts: setup.accounts!, setupSeconds: setup.setupSeconds!, peak, paced }
  } finally {
    gen.child.kill()
  }
}

/** One directory per server: tsx's loader thread writes a profile too, under its own thread id. */
const profileArgs = (dir: string | undefined, name: string): string[] => dir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, name)}`] : []

const log = (s: string): void => void process.stderr.write(s + '\n')

async function runReference(profileDir: string | undefined): Promise<ServerFigures> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  log(`reference (express + @simplewebauthn/server, in memory, 1 process) on 127.0.0.1:${port}`)
  const server = await startServer({ name: 'reference', script: 'bench/reference/server.ts', port, cwd: root, readyPath: '/healthz',
    nodeArgs: profileArgs(profileDir, 'reference'),
    env: { PORT: String(port), ORIGIN: origin, RP_ID: 'localhost', NODE_ENV: 'production' } })
  try { return await measure('reference', server, origin) } finally { await server.stop() }
}

async function runSigil(profileDir: string | undefined): Promise<ServerFigures> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-bench-'))
  log(`Sigil (SQLite in ${dataDir}${args.workers ? `, SIGIL_WORKERS=${args.workers}` : ''}) on 127.0.0.1:${port}`)
  const server = await startServer({ name: 'sigil', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz',
    nodeArgs: profileArgs(profileDir, 'sigil'),
    env: {
      PORT: String(port), HOST: '127.0.0.1', SIGIL_DATA_DIR: dataDir, SIGIL_ORIGINS: origin, SIGIL_RP_ID: 'localhost',
      SIGIL_LOG_LEVEL: 'warn', SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production',
      ...(args.workers ? { SIGIL_WORKERS: args.workers } : {}),
    } })
  try {
    return await measure('sigil', server, origin)
  } finally {
    await server.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

const fmt = (x: number | undefined, digits = 1): string => x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits)

function table(s: ServerFigures | undefined, r: ServerFigures | undefined): string {
  const rows: [string, (f: ServerFigures) => number, 'higher' | 'lower' | ''][] = [
    [`peak logins/s (${concurrency} users, closed loop)`, (f) => f.peak.loginsPerSecond, 'higher'],
    ['  p50 ms at peak', (f) => f.peak.p50, 'lower'],
    ['  p99 ms at peak', (f) => f.peak.p99, 'lower'],
    ['  errors at peak', (f) => f.peak.errorCount, ''],
    ['  server CPU, cores, at peak', (f) => f.peak.serverCores!, ''],
    ['  generator CPU, cores, at peak', (f) => f.peak.generatorCores, ''],
    [`paced logins/s (${fraction * 100} % of own peak, open loop)`, (f) => f.paced.loginsPerSecond, ''],
    ['  p50 ms at paced rate', (f) => f.paced.p50, 'lower'],
    ['  p99 ms at paced rate', (f) => f.paced.p99, 'lower'],
    ['  errors at paced rate', (f) => f.paced.errorCount, ''],
  ]
  const lines = [`${'figure'.padEnd(46)}${'Sigil'.padStart(10)}${'reference'.padStart(11)}${'ratio'.padStart(8)}`]
  for (const [name, get, _better] of rows) {
    const a = s && get(s)
    const b = r && get(r)
    const ratio = a !== undefined && b !== undefined && b !== 0 ? fmt(a / b, 2) + 'x' : '-'
    lines.push(`${name.padEnd(46)}${fmt(a).padStart(10)}${fmt(b).padStart(11)}${ratio.padStart(8)}`)
  }
  return lines.join('\n')
}

function verdicts(s: ServerFigures | undefined, r: ServerFigures | undefined): string[] {
  const out: string[] = []
  if (s && r) {
    const ratio = s.peak.loginsPerSecond / r.peak.loginsPerSecond
    out.push(`goal Sigil >= 1.5x reference peak: ${ratio.toFixed(2)}x -> ${ratio >= 1.5 ? 'met' : 'NOT met'}`)
  }
  if (s) out.push(`goal Sigil p99 < 25 ms at ${fraction * 100} % of peak: ${s.paced.p99.toFixed(1)} ms -> ${s.paced.p99 < 25 ? 'met' : 'NOT met'}`)
  for (const [name, f] of [['Sigil', s], ['reference', r]] as const) {
    for (const [key, n] of Object.entries({ ...f?.peak.errors, ...f?.paced.errors })) out.push(`${name} error: ${key} x${n}`)
  }
  return out
}

async function main(): Promise<void> {
  const started = Date.now()
  const cpus = os.cpus()
  const machine = { cpuModel: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.release()}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30) }
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`)
  log('Per-IP rate limit raised (SIGIL_RATE_LIMIT_PER_MINUTE=100000000): all load comes from one address, 127.0.0.1.')
  log(`Sigil's per-account limit (30 logins/min) stays: logins rotate over ${accounts} accounts.`)
  const profileDir = args['cpu-prof'] ? path.join(here, 'results', 'profiles') : undefined
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true })
  const reference = args.only === 'sigil' ? undefined : await runReference(profileDir)
  const sigil = args.only === 'reference' ? undefined : await runSigil(profileDir)

  const lines = [
    '',
    `Complete passkey logins (options -> ES256 sign -> verify) over HTTP keep-alive, load generator in its own process.`,
    `Sigil: SQLite (WAL) in a temp dir, workers: ${args.workers ?? '1 (SIGIL_WORKERS not set)'}. Reference: express + express-session MemoryStore + @simplewebauthn/server, in memory, 1 process.`,
    `Each phase: ${warmupSeconds} s warm-up + ${seconds} s measured. Latency: options start -> verify end (paced: from the scheduled start).`,
    `Server and generator share ${machine.cores} cores (${machine.cpuModel}, Node ${machine.node}).`,
    '',
    table(sigil, reference),
    '',
    ...verdicts(sigil, reference),
    ...(profileDir ? [`CPU profiles of the server processes: ${path.relative(root, profileDir)}/ (summarise: npx tsx bench/profileTop.ts <file>)`] : []),
  ]
  process.stdout.write(lines.join('\n') + '\n')

  const date = new Date().toISOString().slice(0, 10)
  const file = path.join(here, 'results', `${date}-login.json`)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(), machine,
    settings: { seconds, warmupSeconds, concurrency, accounts, fraction, sigilWorkers: args.workers ?? null, rateLimitPerMinute: 100_000_000 },
    sigil: sigil ?? null, reference: reference ?? null,
    ratios: sigil && reference ? { peak: sigil.peak.loginsPerSecond / reference.peak.loginsPerSecond } : null,
    wallSeconds: (Date.now() - started) / 1000,
  }, null, 2) + '\n')
  log(`wrote ${path.relative(root, file)} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
