/**
 * A fixed piece of single-threaded work timed on this machine, so that a figure can be read against the speed the
 * machine had at that moment. This VM's speed moves by up to 2× between hours (the hypervisor's steal is one cause,
 * seen at 0 to a third of the cores; the other guests' load on the shared cores another, which shows as no steal):
 * the same build did 220 and 578 approval round trips/s on the same day. The unit is what a Sigil request does
 * most: JSON of a 3 KB document both ways, SHA-256 of 4 KB, one ES256 signature check (synchronous).
 * Lower is faster; see the README's Performance section for the figures measured with it.
 */
import crypto from 'node:crypto'
import { watchSteal } from './procs.ts'
import { percentile } from './stats.ts'

const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
const doc = {
  id: 'apr_0123456789abcdef', status: 'pending', version: 3,
  intent: { chain: 'ethereum', asset: 'ETH', amount: '12.5', source: { wallet: 'w-1', account: 'a-1' }, destination: '0x' + 'ab'.repeat(20), memo: 'payout' },
  decisions: Array.from({ length: 4 }, (_, i) => ({ userId: `usr_${i}`, decision: 'approve', at: 1_765_000_000_000 + i, assertion: { authenticatorData: 'A'.repeat(200), clientDataJSON: 'B'.repeat(300), signature: 'C'.repeat(96) } })),
}
const block = crypto.randomBytes(4096)
const message = Buffer.from('sigil gauge')
const signature = crypto.sign('sha256', message, privateKey)

function unit(): boolean {
  const copy = JSON.parse(JSON.stringify(doc)) as typeof doc
  crypto.createHash('sha256').update(block).update(copy.id).digest()
  return crypto.verify('sha256', message, publicKey, signature)
}

export interface Gauge {
  /** Median wall time of one unit, µs. */
  microseconds: number
  /** Cores (on average) the hypervisor gave to other guests while the gauge ran. */
  steal: number
}

/** Times `batches` batches of `perBatch` units (about 0.3 s in all here) and gives the median per unit. */
export function machineGauge(batches = 9, perBatch = 300): Gauge {
  for (let i = 0; i < 200; i++) unit() // warm-up: JIT, key objects
  const steal = watchSteal()
  const times: number[] = []
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now()
    for (let i = 0; i < perBatch; i++) if (!unit()) throw new Error('gauge: the signature check failed')
    times.push(((performance.now() - t0) * 1000) / perBatch)
  }
  times.sort((a, b) => a - b)
  return { microseconds: percentile(times, 50), steal: steal() }
}

/** One line for a bench's header. */
export function gaugeLine(g: Gauge): string {
  return `machine gauge ${g.microseconds.toFixed(1)} µs per unit (bench/gauge.ts; lower is faster), hypervisor steal ${g.steal.toFixed(2)} cores while it ran`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(gaugeLine(machineGauge()) + '\n')
}
