/**
 * `npx tsx bench/policyDecision.ts`: latency of one approval policy decision, in microseconds, measured
 * one call at a time: building the Cedar context from a transaction intent (amount to Cedar units, 24-hour
 * total, hour and weekday in UTC and in the set's time zone) plus cedar-wasm evaluation over the preparsed,
 * specialized policy set (policies/specialize.ts) plus reading the requirements from
 * the determining policies' annotations. The shipped policy set; intents rotate over assets, amounts, times
 * and destinations so every tier and a block are exercised. First the fast path alone (the goal's figure), then
 * a baseline interleaved with it call by call, so the machine's drift hits both alike: the same decisions over
 * the policies as written, with the whole context and decimals (what policies/specialize.test.ts compares the
 * fast forms with). Prints figures; asserts nothing. Goal: p50 < 100 µs.
 *
 * `--time-zone Europe/Berlin` puts that zone in the shipped hours policies' `@timeZone("UTC")`, so the local hour
 * and weekday are computed with Intl (a set in UTC needs no Intl).
 *
 *   tsx bench/policyDecision.ts [--decisions 20000] [--warmup 5000] [--time-zone Europe/Berlin]
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { createPolicyEngine, loadPolicies, type ApprovalInput } from '../policies/index.ts'
import { evaluateApprovalRequest } from '../policies/approval.ts'
import { transferRequest } from '../policies/approvalContext.ts'
import { preparse } from '../policies/cedar.ts'
import { compilePolicyTexts } from '../policies/policySet.ts'
import { percentile } from './stats.ts'
import { reportRows } from './report.ts'

const { values: args } = parseArgs({ options: { decisions: { type: 'string', default: '20000' }, warmup: { type: 'string', default: '5000' }, 'time-zone': { type: 'string' } } })
const decisions = Number(args.decisions)
const warmup = Number(args.warmup)

const shipped = await loadPolicies()
const zone = args['time-zone']
const engine = zone === undefined ? shipped : createPolicyEngine({ ...shipped.texts,
  policies: Object.fromEntries(Object.entries(shipped.texts.policies).map(([id, text]) => [id, text.replace('@timeZone("UTC")', `@timeZone(${JSON.stringify(zone)})`)])) })
if (engine.timeZone !== (zone ?? 'UTC')) throw new Error(`the shipped policies name no @timeZone("UTC") to replace with ${zone}`)
const EVM = '0x52908400098527886E0F7030069857D2E4169EE7'
const inputs: ApprovalInput[] = [
  { asset: 'eth', amount: '1.5', destination: EVM, hour: 10 },
  { asset: 'eth', amount: '25.123456789012345678', destination: EVM, hour: 11 },
  { asset: 'usdc', amount: '1250000', destination: EVM, hour: 14 },
  { asset: 'eth', amount: '3', destination: EVM, hour: 22 },
  { asset: 'eth', amount: '600', destination: EVM, hour: 23 },
  { asset: 'btc', amount: '0.25', destination: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', hour: 9, chain: 'bitcoin' },
  { asset: 'eth', amount: '1', destination: '0x000000000000000000000000000000000000dEaD', hour: 10 },
].map(({ asset, amount, destination, hour, chain }, i) => ({
  intent: { chain: chain ?? 'ethereum', asset, amount, source: { walletId: `hot-${i}` }, destination },
  requester: { type: 'apiClient', id: 'wallet-backend' },
  now: new Date(Date.UTC(2026, 2, 4, hour)),
  approvedLast24h: i % 2 ? '97.5' : '0',
  destinationAllowlisted: i === 3,
}))

// The baseline: its own preparsed copy (another name, so the two never share cedar-wasm's cache entries).
const compiled = compilePolicyTexts(engine.texts)
const refIds = preparse(compiled, `${engine.version}:baseline`)
const reference = (input: ApprovalInput) => evaluateApprovalRequest(refIds, compiled.policies, engine.version, () => transferRequest(input, { timeZone: compiled.timeZone }))
for (const input of inputs) {
  if (JSON.stringify(engine.evaluateApproval(input)) !== JSON.stringify(reference(input))) throw new Error(`the fast form and the baseline disagree on ${JSON.stringify(input.intent)}`)
}

const outcomes = new Map<string, number>()
for (let i = 0; i < warmup; i++) { engine.evaluateApproval(inputs[i % inputs.length]!); reference(inputs[i % inputs.length]!) }

// 1. The specialized engine alone, as the server runs it: the goal's figure.
const samples = new Float64Array(decisions)
const cpuStart = process.cpuUsage()
const started = process.hrtime.bigint()
for (let i = 0; i < decisions; i++) {
  const t0 = process.hrtime.bigint()
  const d = engine.evaluateApproval(inputs[i % inputs.length]!)
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000
  outcomes.set(d.outcome, (outcomes.get(d.outcome) ?? 0) + 1)
}
const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
const cpu = process.cpuUsage(cpuStart)
samples.sort()

// 2. Both, interleaved call by call, so the machine's drift (a quarter within an hour here) hits both alike. The
// other's calls evict each one's working set from the caches, so both are slower than alone: the ratio is the figure.
const pairFast = new Float64Array(decisions)
const pairBase = new Float64Array(decisions)
for (let i = 0; i < decisions; i++) {
  const input = inputs[i % inputs.length]!
  const t0 = process.hrtime.bigint()
  engine.evaluateApproval(input)
  const t1 = process.hrtime.bigint()
  reference(input)
  pairBase[i] = Number(process.hrtime.bigint() - t1) / 1000
  pairFast[i] = Number(t1 - t0) / 1000
}
pairFast.sort()
pairBase.sort()

const fmt = (n: number): string => n.toFixed(1).padStart(8)
console.log(`approval policy decision, ${decisions} decisions after ${warmup} warm-up, ${Object.keys(engine.texts.policies).length} policies (version ${engine.version.slice(0, 19)}…), time zone ${engine.timeZone}`)
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, load average ${os.loadavg()[0]!.toFixed(2)}`)
console.log('  specialized forms, alone (as the server runs):')
console.log(`  p50 ${fmt(percentile(samples, 50))} µs`)
console.log(`  p90 ${fmt(percentile(samples, 90))} µs`)
console.log(`  p99 ${fmt(percentile(samples, 99))} µs`)
console.log(`  max ${fmt(samples[samples.length - 1]!)} µs`)
// CPU time per decision is less disturbed than wall time when other processes share the cores.
console.log(`  cpu ${fmt((cpu.user + cpu.system) / decisions)} µs per decision (mean, this process)`)
console.log(`  ${Math.round(decisions / wallSeconds)} decisions/s on one thread; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`)
console.log('  interleaved with the baseline (the policies as written, whole context, decimals):')
console.log(`  p50 ${fmt(percentile(pairFast, 50))} µs specialized, ${fmt(percentile(pairBase, 50))} µs baseline: ${(percentile(pairFast, 50) / percentile(pairBase, 50)).toFixed(3)}×`)
console.log(`  goal p50 < 100 µs: ${percentile(samples, 50) < 100 ? 'met' : 'NOT met'}`)
reportRows([{ figure: 'approval policy decision p50 (µs)', sigil: percentile(samples, 50), unit: 'µs', goal: { text: '< 100 µs', met: percentile(samples, 50) < 100 } },
  { figure: 'approval policy decision p50, interleaved with the baseline (µs)', sigil: percentile(pairFast, 50), reference: { name: 'policies as written', value: percentile(pairBase, 50) }, unit: 'µs' },
  { figure: 'approval policy decision p99 (µs)', sigil: percentile(samples, 99), unit: 'µs' }])
