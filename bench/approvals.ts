/**
 * `npx tsx bench/approvals.ts`: complete signing approvals per second against one Sigil process (SQLite):
 * create → options → verify (approver 1) → options → verify (approver 2) → token → redeem, each over HTTP
 * keep-alive, with software authenticators signing real ES256 assertions in this process. Prints round trips/s,
 * the p50/p99 of a round trip and of each server call, and then runs bench/policyDecision.ts for the policy
 * decision figure. Asserts nothing. Goals: ≥ 500 round trips/s with two approvers; decision p50 < 100 µs.
 *
 *   tsx bench/approvals.ts [--seconds 8] [--warmup 2] [--concurrency 64] [--approvers 400] [--workers N] [--sqlite-mode M]
 *
 * --workers and --sqlite-mode set SIGIL_WORKERS and SIGIL_SQLITE_MODE for the server, to compare them.
 * SIGIL_BENCH_NODE_ARGS: node flags for the server (e.g. --perf-basic-prof-only-functions for `perf record`).
 *
 * Every round trip uses a new source wallet, so the velocity policy (24 h total per wallet) never adds a
 * requirement; approvers rotate so that none exceeds Sigil's 300 approvals per minute per approver (400 approvers
 * at 600 round trips/s make 180 a minute each). 64 concurrent, as bench:login: with 32 the event loop waited between
 * requests (the thread pool's signature checks, the next store batch) and the peak was lower in alternating runs.
 * The workload itself is bench/approvalLoad.ts (bench/pair.ts drives it too).
 */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startApprovalLoad } from './approvalLoad.ts'
import { gaugeLine, machineGauge } from './gauge.ts'
import { treeCpuSeconds, watchSteal } from './procs.ts'
import { percentile } from './stats.ts'
import { reportRows } from './report.ts'
import { root } from './targets.ts'

const { values: args } = parseArgs({ options: {
  seconds: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2' },
  concurrency: { type: 'string', default: '64' }, approvers: { type: 'string', default: '400' },
  'cpu-prof': { type: 'boolean', default: false }, workers: { type: 'string' }, 'sqlite-mode': { type: 'string' },
} })
const seconds = Number(args.seconds)
const warmup = Number(args.warmup)
const concurrency = Number(args.concurrency)
const log = (s: string): void => void process.stderr.write(s + '\n')

async function main(): Promise<void> {
  const latencies = new Map<string, number[]>()
  const load = await startApprovalLoad({
    root, approvers: Number(args.approvers),
    nodeArgs: [...(process.env.SIGIL_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'profiles', 'approvals')}`] : [])],
    env: { ...(args.workers ? { SIGIL_WORKERS: args.workers } : {}), ...(args['sqlite-mode'] ? { SIGIL_SQLITE_MODE: args['sqlite-mode'] } : {}) },
    onCall: (name, ms) => {
      if (!latencies.has(name)) latencies.set(name, [])
      latencies.get(name)!.push(ms)
    },
  })
  const { server, roundTrip } = load
  try {
    latencies.clear()
    const before = machineGauge()
    const trips: number[] = []
    let errors = 0
    let firstError = ''
    const start = performance.now()
    const measureFrom = start + warmup * 1000
    const end = measureFrom + seconds * 1000
    let cpu0 = 0
    let steal = (): number => NaN
    setTimeout(() => { cpu0 = treeCpuSeconds(server.child.pid!); steal = watchSteal(); latencies.clear() }, warmup * 1000)
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now()
        try {
          await roundTrip()
          const t1 = performance.now()
          if (t1 >= measureFrom && t1 <= end) trips.push(t1 - t0)
        } catch (err) {
          errors++
          firstError ||= err instanceof Error ? err.message : String(err)
          if (errors > 20) throw err
        }
      }
    }))
    const serverCores = (treeCpuSeconds(server.child.pid!) - cpu0) / seconds
    const stolen = steal()
    const after = machineGauge()
    trips.sort((a, b) => a - b)
    const rate = trips.length / seconds
    const f = (x: number) => x.toFixed(1)
    const lines = [
      '',
      `Complete approvals (create, 2 × options+verify, token, redeem) against one Sigil on SQLite; ${concurrency} concurrent, ${warmup}+${seconds} s.`,
      `${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; authenticators sign in this process, on the same cores.`,
      `before: ${gaugeLine(before)}`,
      `after:  ${gaugeLine(after)}`,
      '',
      `round trips/s                 ${f(rate)}`,
      `round trip p50 / p99 ms       ${f(percentile(trips, 50))} / ${f(percentile(trips, 99))}`,
      `server CPU cores used         ${serverCores.toFixed(2)}   (${(1000 * serverCores / rate).toFixed(2)} ms CPU per round trip)`,
      `hypervisor steal, measured    ${stolen.toFixed(2)} of ${os.cpus().length} cores${stolen > 0.1 ? ' (a smaller machine meanwhile: the figure is low)' : ''}`,
      `errors                        ${errors}${firstError ? ` (first: ${firstError.slice(0, 160)})` : ''}`,
      ...[...latencies].map(([name, xs]) => { xs.sort((a, b) => a - b); return `  ${name.padEnd(8)} p50 ${f(percentile(xs, 50)).padStart(6)} ms   p99 ${f(percentile(xs, 99)).padStart(6)} ms   (${xs.length} calls)` }),
      `goal >= 500 round trips/s: ${rate >= 500 ? 'met' : 'NOT met'}`,
      '',
    ]
    process.stdout.write(lines.join('\n') + '\n')
    reportRows([{ figure: 'approval round trips/s (2 approvers)', sigil: rate, unit: '/s', goal: { text: '>= 500/s', met: rate >= 500 } },
      { figure: 'approval round trip p50 (ms)', sigil: percentile(trips, 50), unit: 'ms' },
      { figure: 'server CPU per approval round trip (ms)', sigil: 1000 * serverCores / rate, unit: 'ms' },
      { figure: 'machine gauge during bench:approvals (µs, lower is faster)', sigil: (before.microseconds + after.microseconds) / 2, unit: 'µs' }])
  } finally {
    await load.close()
  }
  if (process.env.SIGIL_BENCH_JSON) return // bench/all.ts runs the policy benchmark itself
  log('policy decision (bench/policyDecision.ts):')
  process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', 'bench/policyDecision.ts'], { cwd: root, encoding: 'utf8' }))
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
