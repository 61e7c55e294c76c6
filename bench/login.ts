/**
 * `npm run bench`: complete passkey logins per second (options + sign + verify over HTTP) for Sigil on
 * SQLite and, in the same run, for a bare express + @simplewebauthn/server reference (bench/reference).
 * Both servers start on 127.0.0.1 and get accounts; then, in this order: reference peak, Sigil peak
 * (64 closed-loop users each), Sigil at 70 % of its own peak, reference at 70 % of its own peak (paced,
 * open-loop arrivals). Prints one table and writes bench/results/<date>-login.json. It asserts nothing.
 *
 *   tsx bench/login.ts [--seconds 8] [--warmup 2] [--concurrency 64] [--accounts 4000] [--fraction 0.7]
 *                      [--workers N] [--only sigil|reference] [--cpu-prof]
 * --rates skips the peak and paces each server at each of these fixed rates instead, alternating the servers: the
 *   CPU each spends per sign-in as load falls (on this VM it rises for both, see docs/performance-history.md).
 * --workers sets SIGIL_WORKERS for Sigil (for a cluster mode; the server ignores it until it has one).
 * --cpu-prof writes V8 profiles of each server's whole life (registration included) to bench/results/profiles/;
 * the largest file per server is its main thread (the other is tsx's loader thread).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { gaugeLine, machineGauge, type Gauge } from './gauge.ts'
import { machineBusySeconds } from './procs.ts'
import type { PhaseResult } from './stats.ts'
import { root, startReference, startSigil, type Target } from './targets.ts'
import { reportRows } from './report.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '64' },
    accounts: { type: 'string', default: '4000' },
    fraction: { type: 'string', default: '0.7' },
    workers: { type: 'string' },
    only: { type: 'string' },
    rates: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
})
const seconds = Number(args.seconds)
const warmupSeconds = Number(args.warmup)
const concurrency = Number(args.concurrency)
const accounts = Number(args.accounts)
const fraction = Number(args.fraction)
const rates = args.rates?.split(',').map(Number)
if (![seconds, warmupSeconds, concurrency, accounts, fraction, ...(rates ?? [])].every((n) => Number.isFinite(n) && n > 0)
  || (args.only !== undefined && args.only !== 'sigil' && args.only !== 'reference')) {
  process.stderr.write('usage: tsx bench/login.ts [--seconds 8] [--warmup 2] [--concurrency 64] [--accounts 4000] [--fraction 0.7] [--rates 150,300,600] [--workers N] [--only sigil|reference] [--cpu-prof]\n')
  process.exit(2)
}
const profileDir = args['cpu-prof'] ? path.join(root, 'bench', 'results', 'profiles') : undefined

/** Sigil allows this many logins per account per minute (server/passkeys/login.ts); the bench keeps it. */
const ACCOUNT_LOGINS_PER_MINUTE = 30

/** Started servers with their generators; closed at the end, or on Ctrl-C so no server or temp dir is left behind. */
const targets: Target[] = []
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void Promise.allSettled(targets.map((t) => t.close())).then(() => process.exit(130)))
}

interface Figures { accounts: number; setupSeconds: number; peak: PhaseResult; paced: PhaseResult }

const log = (s: string): void => void process.stderr.write(s + '\n')

/**
 * Waits (at most `maxSeconds`) until the machine is nearly idle between phases, so that another job on
 * the same cores does not land in a measurement.
 */
async function waitForQuiet(maxSeconds = 10, idleCores = 0.2): Promise<void> {
  let busy = Infinity
  for (let i = 0; i < maxSeconds * 2 && busy > idleCores; i++) {
    const b0 = machineBusySeconds()
    await sleep(500)
    busy = (machineBusySeconds() - b0) / 0.5
  }
  if (busy > idleCores) log(`  (machine still busy: ${busy.toFixed(2)} cores in use by other processes; measuring anyway)`)
}

const fmt = (x: number | undefined, digits = 1): string => x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits)

function table(s: Figures | undefined, r: Figures | undefined): string {
  const rows: [string, (f: Figures) => number | undefined, number?][] = [
    [`peak logins/s (${concurrency} users, closed loop)`, (f) => f.peak.loginsPerSecond],
    ['  p50 ms at peak', (f) => f.peak.p50],
    ['  p99 ms at peak', (f) => f.peak.p99],
    ['  errors at peak', (f) => f.peak.errorCount],
    [`logins/s paced at ${fraction * 100} % of own peak (open loop)`, (f) => f.paced.loginsPerSecond],
    ['  p50 ms at paced rate', (f) => f.paced.p50],
    ['  p99 ms at paced rate', (f) => f.paced.p99],
    ['  errors at paced rate', (f) => f.paced.errorCount],
    ['  generator event-loop delay p99 ms, paced', (f) => f.paced.generatorLoopDelayP99],
    // Whether the paced p99 comes from stretches where the server fell behind, or is spread evenly (stats.ts).
    ['  % of 250 ms windows with p50 > 10 ms, paced', (f) => f.paced.windows && (100 * f.paced.windows.slow) / f.paced.windows.total, 0],
    ['  p99 ms outside those windows, paced', (f) => f.paced.windows?.p99Elsewhere],
    // CPU per login is steadier than throughput when other jobs share the cores.
    ['server CPU ms per login, at peak', (f) => f.peak.cpu && (1000 * f.peak.cpu.server) / f.peak.loginsPerSecond, 2],
    ['CPU cores, server, at peak', (f) => f.peak.cpu?.server],
    // Near 1.0 here means the paced rate already saturates the one event loop (queues build, p99 explodes).
    ['CPU cores, server, paced', (f) => f.paced.cpu?.server],
    ['CPU cores, load generator, at peak', (f) => f.peak.cpu?.generator],
    ['CPU cores, other processes, at peak (noise)', (f) => f.peak.cpu?.otherProcesses],
    ['CPU cores, other processes, paced (noise)', (f) => f.paced.cpu?.otherProcesses],
    // Cores the hypervisor ran other guests on: the machine was that much smaller during the phase.
    ['cores taken by the hypervisor (steal), at peak', (f) => f.peak.cpu?.steal, 2],
    ['cores taken by the hypervisor (steal), paced', (f) => f.paced.cpu?.steal, 2],
  ]
  const lines = [`${'figure'.padEnd(50)}${'Sigil'.padStart(9)}${'reference'.padStart(11)}${'ratio'.padStart(8)}`]
  for (const [name, get, digits = 1] of rows) {
    const a = s && get(s)
    const b = r && get(r)
    const ratio = a !== undefined && b !== undefined && b !== 0 ? fmt(a / b, 2) + 'x' : '-'
    lines.push(`${name.padEnd(50)}${fmt(a, digits).padStart(9)}${fmt(b, digits).padStart(11)}${ratio.padStart(8)}`)
  }
  return lines.join('\n')
}

function notes(s: Figures | undefined, r: Figures | undefined, cores: number): string[] {
  const out: string[] = []
  if (s && r) {
    const ratio = s.peak.loginsPerSecond / r.peak.loginsPerSecond
    out.push(`goal Sigil peak >= 1.5x reference: ${ratio.toFixed(2)}x -> ${ratio >= 1.5 ? 'met' : 'NOT met'}`)
  }
  if (s) out.push(`goal Sigil p99 < 25 ms at ${fraction * 100} % of peak: ${s.paced.p99.toFixed(1)} ms -> ${s.paced.p99 < 25 ? 'met' : 'NOT met'}`)
  for (const [name, f] of [['Sigil', s], ['reference', r]] as const) {
    if (!f) continue
    for (const [key, n] of Object.entries(f.peak.errors)) out.push(`${name} error at peak: ${key} x${n}`)
    for (const [key, n] of Object.entries(f.paced.errors)) out.push(`${name} error at paced rate: ${key} x${n}`)
    const other = Math.max(f.peak.cpu?.otherProcesses ?? 0, f.paced.cpu?.otherProcesses ?? 0)
    if (other > 0.15 * cores) out.push(`warning: other processes used up to ${other.toFixed(2)} of ${cores} cores while ${name} was measured; its figures are noisy`)
    const steal = Math.max(f.peak.cpu?.steal ?? 0, f.paced.cpu?.steal ?? 0)
    if (steal > 0.1) out.push(`warning: the hypervisor took up to ${steal.toFixed(2)} of ${cores} cores while ${name} was measured; its figures are those of a smaller machine`)
  }
  return out
}

async function main(): Promise<void> {
  const started = Date.now()
  const cpus = os.cpus()
  const machine = { cpuModel: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version,
    platform: `${os.platform()} ${os.release()}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverageAtStart: os.loadavg() }
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`)
  log('Sigil runs with SIGIL_RATE_LIMIT_PER_MINUTE=100000000: the per-IP limit is raised because all load comes from one address, 127.0.0.1.')
  log(`Its per-account limit (${ACCOUNT_LOGINS_PER_MINUTE} logins/min) stays: logins rotate over ${accounts} accounts (room for ${Math.round(accounts * ACCOUNT_LOGINS_PER_MINUTE / 60)} logins/s for a whole minute).`)
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true })

  const opts = { accounts, connections: Math.max(128, concurrency), profileDir, workers: args.workers }
  try {
    const ref = args.only === 'sigil' ? undefined : await startReference(opts)
    if (ref) { targets.push(ref); log(`reference ready on ${ref.server.url}: ${ref.accounts} accounts in ${ref.setupSeconds.toFixed(1)} s`) }
    const sig = args.only === 'reference' ? undefined : await startSigil(opts)
    if (sig) { targets.push(sig); log(`Sigil ready on ${sig.server.url}: ${sig.accounts} accounts in ${sig.setupSeconds.toFixed(1)} s`) }

    const gauges: Gauge[] = [machineGauge()]
    const peakOf = async (t: Target): Promise<PhaseResult> => {
      await waitForQuiet()
      log(`${t.flavor}: peak, ${concurrency} users, ${warmupSeconds}+${seconds} s ...`)
      const p = await t.run({ cmd: 'closed', concurrency, warmupSeconds, seconds })
      log(`  ${p.loginsPerSecond} logins/s, p50 ${p.p50} ms, p99 ${p.p99} ms, ${p.errorCount} errors`)
      return p
    }
    const pacedAt = async (t: Target, peak: PhaseResult): Promise<PhaseResult> => {
      const rate = Math.max(1, peak.loginsPerSecond * fraction)
      await waitForQuiet()
      log(`${t.flavor}: paced at ${rate.toFixed(0)}/s, ${warmupSeconds}+${seconds} s ...`)
      const p = await t.run({ cmd: 'open', rate, warmupSeconds, seconds, maxInFlight: 2048 })
      log(`  ${p.loginsPerSecond} logins/s, p50 ${p.p50} ms, p99 ${p.p99} ms, ${p.errorCount} errors`)
      return p
    }
    if (rates) {
      const lines = ['', `Paced at fixed rates (open loop, ${warmupSeconds}+${seconds} s each), servers alternating; CPU per sign-in = server cores / rate.`,
        `${'rate/s'.padEnd(8)}${'server'.padEnd(11)}${'done/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cores'.padStart(7)}${'ms CPU/sign-in'.padStart(16)}`]
      for (const rate of rates) {
        for (const t of [sig, ref]) {
          if (!t) continue
          await waitForQuiet()
          log(`${t.flavor}: paced at ${rate}/s, ${warmupSeconds}+${seconds} s ...`)
          const p = await t.run({ cmd: 'open', rate, warmupSeconds, seconds, maxInFlight: 2048 })
          const cpu = p.cpu ? (1000 * p.cpu.server) / p.loginsPerSecond : NaN
          lines.push(`${String(rate).padEnd(8)}${t.flavor.padEnd(11)}${fmt(p.loginsPerSecond).padStart(8)}${fmt(p.p50).padStart(9)}${fmt(p.p99).padStart(9)}${fmt(p.cpu?.server, 2).padStart(7)}${fmt(cpu, 2).padStart(16)}`)
        }
      }
      process.stdout.write(lines.join('\n') + '\n\n')
      return
    }
    const refPeak = ref && await peakOf(ref)
    const sigPeak = sig && await peakOf(sig)
    const sigPaced = sig && sigPeak && await pacedAt(sig, sigPeak)
    const refPaced = ref && refPeak && await pacedAt(ref, refPeak)
    gauges.push(machineGauge())
    const sigil: Figures | undefined = sig && { accounts: sig.accounts, setupSeconds: sig.setupSeconds, peak: sigPeak!, paced: sigPaced! }
    const reference: Figures | undefined = ref && { accounts: ref.accounts, setupSeconds: ref.setupSeconds, peak: refPeak!, paced: refPaced! }

    process.stdout.write([
      '',
      'Complete passkey logins (options -> ES256 sign -> verify) over HTTP keep-alive, load generator in its own process.',
      `Sigil: SQLite (WAL) in a temp dir, SIGIL_WORKERS=${args.workers ?? '(unset)'}. Reference: express + express-session MemoryStore + @simplewebauthn/server, in memory, 1 process.`,
      `Each phase: ${warmupSeconds} s warm-up + ${seconds} s measured. Latency: options start -> verify end (paced: from the scheduled start).`,
      `Servers, load generator and anything else running share ${machine.cores} cores (${machine.cpuModel}, Node ${machine.node}).`,
      `before: ${gaugeLine(gauges[0]!)}`,
      `after:  ${gaugeLine(gauges[1]!)}`,
      '',
      table(sigil, reference),
      '',
      ...notes(sigil, reference, machine.cores),
      ...(profileDir ? [`CPU profiles: ${path.relative(root, profileDir)}/<server>/ (summarise: npx tsx bench/profileTop.ts <file>)`] : []),
      '',
    ].join('\n'))

    if (sigil) {
      reportRows([
        { figure: 'peak sign-ins/s (64 users, SQLite)', sigil: sigil.peak.loginsPerSecond, unit: '/s',
          ...(reference ? { reference: { name: 'express + SimpleWebAuthn', value: reference.peak.loginsPerSecond },
            goal: { text: '>= 1.5x reference', met: sigil.peak.loginsPerSecond >= 1.5 * reference.peak.loginsPerSecond } } : {}) },
        { figure: `sign-in p99 at ${fraction * 100} % of peak (ms)`, sigil: sigil.paced.p99, unit: 'ms',
          ...(reference ? { reference: { name: 'express + SimpleWebAuthn', value: reference.paced.p99 } } : {}), goal: { text: '< 25 ms', met: sigil.paced.p99 < 25 } },
        { figure: 'server CPU per sign-in (ms)', sigil: sigil.peak.cpu ? (1000 * sigil.peak.cpu.server) / sigil.peak.loginsPerSecond : NaN, unit: 'ms',
          ...(reference?.peak.cpu ? { reference: { name: 'express + SimpleWebAuthn', value: (1000 * reference.peak.cpu.server) / reference.peak.loginsPerSecond } } : {}) },
      ])
    }
    const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-login.json`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify({
      date: new Date().toISOString(), machine: { ...machine, gauges },
      settings: { seconds, warmupSeconds, concurrency, accounts, fraction, sigilWorkers: args.workers ?? null, sigilRateLimitPerMinute: 100_000_000 },
      sigil: sigil ?? null, reference: reference ?? null,
      ratios: sigil && reference ? { peak: sigil.peak.loginsPerSecond / reference.peak.loginsPerSecond } : null,
      wallSeconds: (Date.now() - started) / 1000,
    }, null, 2) + '\n')
    log(`wrote ${path.relative(root, file)} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  } finally {
    for (const t of targets.splice(0)) await t.close()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
