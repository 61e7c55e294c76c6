/**
 * `npm run bench:stages`: where an approval round trip's event-loop time goes, stage by stage. One Sigil server on
 * SQLite (bench/approvalLoad.ts); N requests are created, then every request gets its first approver's options, then
 * their verifies, then the second approver's, then the tokens, then the redeems, each stage alone with `--concurrency`
 * calls in flight. For each stage it prints the server main thread's CPU per call (from /proc, 10 ms ticks), with
 * `GET /v1/approvals/:id` and `GET /healthz` as references for what any request costs. Two rounds by default; read
 * the second (the first warms the code). Asserts nothing.
 *
 *   tsx bench/approvalStages.ts [--requests 1500] [--rounds 2] [--concurrency 32] [--approvers 400]
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { startApprovalLoad, type Approver } from './approvalLoad.ts'
import { gaugeLine, machineGauge } from './gauge.ts'
import { mainThreadCpuSeconds, watchSteal } from './procs.ts'
import { root } from './targets.ts'

const { values: args } = parseArgs({ options: {
  requests: { type: 'string', default: '1500' }, rounds: { type: 'string', default: '2' },
  concurrency: { type: 'string', default: '32' }, approvers: { type: 'string', default: '400' },
} })
const n = Number(args.requests)
const rounds = Number(args.rounds)
const concurrency = Number(args.concurrency)
if (![n, rounds, concurrency, Number(args.approvers)].every((x) => Number.isInteger(x) && x > 0)) {
  process.stderr.write('usage: tsx bench/approvalStages.ts [--requests 1500] [--rounds 2] [--concurrency 32] [--approvers 400]\n')
  process.exit(2)
}

// SIGIL_BENCH_NODE_ARGS: node flags for the server (e.g. --cpu-prof, --perf-basic-prof-only-functions), as in bench:approvals.
const load = await startApprovalLoad({ root, approvers: Number(args.approvers), nodeArgs: process.env.SIGIL_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [] })
const pid = load.server.child.pid!
const { steps } = load

/** Runs `fn` over `items` with `concurrency` in flight; returns the main thread's CPU µs per item. */
async function stage<T>(items: T[], fn: (item: T, i: number) => Promise<void>): Promise<number> {
  const cpu0 = mainThreadCpuSeconds(pid)
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i)
    }
  }))
  return (mainThreadCpuSeconds(pid) - cpu0) * 1e6 / items.length
}

try {
  const lines = [`Server main-thread CPU per call, by stage (${n} requests a stage, ${concurrency} in flight); ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}.`]
  for (let round = 1; round <= rounds; round++) {
    const gauge = machineGauge()
    const stolen = watchSteal()
    const figures: [string, number][] = []
    const ids: string[] = []
    const indexes = Array.from({ length: n }, (_, i) => i)
    // steps.create refuses any request that does not need exactly two approvers.
    figures.push(['create', await stage(indexes, async (i) => { ids[i] = (await steps.create()).id })])
    const chosen = ids.map(() => new Set<Approver>())
    for (const k of [1, 2]) {
      const who: Approver[] = []
      const assertions: unknown[] = []
      figures.push([`options #${k}`, await stage(ids, async (id, i) => {
        const a = steps.nextApprover(chosen[i])
        chosen[i]!.add(a)
        who[i] = a
        assertions[i] = await steps.options(id, a)
      })])
      figures.push([`verify #${k}`, await stage(ids, async (id, i) => steps.verify(id, who[i]!, assertions[i]))])
    }
    const tokens: string[] = []
    figures.push(['token', await stage(ids, async (id, i) => { tokens[i] = await steps.token(id) })])
    figures.push(['redeem', await stage(ids, async (id, i) => steps.redeem(id, tokens[i]!))])
    const roundTrip = figures.reduce((sum, [, us]) => sum + us, 0)
    figures.push(['GET /v1/approvals/:id', await stage(ids, async (id) => steps.read(id))])
    figures.push(['GET /healthz', await stage(ids, async () => steps.health())])
    lines.push('', `round ${round}${round === 1 && rounds > 1 ? ' (warm-up)' : ''}: ${gaugeLine(gauge)}; steal during the round ${stolen().toFixed(2)} cores`)
    for (const [name, us] of figures) lines.push(`  ${name.padEnd(24)} ${us.toFixed(0).padStart(6)} µs`)
    lines.push(`  ${'round trip (sum)'.padEnd(24)} ${roundTrip.toFixed(0).padStart(6)} µs   → at most ${(1e6 / roundTrip).toFixed(0)} round trips/s on one event loop`)
  }
  process.stdout.write(lines.join('\n') + '\n')
} finally {
  await load.close()
}
