import type { IntervalHistogram } from 'node:perf_hooks'

/** Figures of one measured phase, as the load generator reports them. */
export interface PhaseResult {
  mode: 'closed' | 'open'
  /** Closed loop: virtual users. */
  concurrency?: number
  /** Open loop: target arrivals per second. */
  rate?: number
  seconds: number
  ok: number
  loginsPerSecond: number
  p50: number
  p90: number
  p99: number
  max: number
  errors: Record<string, number>
  errorCount: number
  /** p99 of the load generator's own event-loop delay, ms: if high, the generator, not the server, adds latency. */
  generatorLoopDelayP99: number
  /** Open loop: the most logins that were in flight at once. */
  maxInFlight?: number
  /**
   * Open loop: the measured time cut into 250 ms windows by scheduled start. `slow` windows had a median latency over
   * 10 ms (the server, or the machine, fell behind for a while); `p99Elsewhere` is the p99 of the logins in the other
   * windows. A p99 over the goal that stays over it elsewhere is spread evenly; one that falls is made by stretches.
   */
  windows?: { total: number; slow: number; p99Elsewhere: number }
  /**
   * Filled in by the orchestrator: CPU used during the phase (warm-up included), in cores (1 = one core busy);
   * `steal`: cores the hypervisor gave to other guests meanwhile (bench/procs.ts watchSteal).
   */
  cpu?: { server: number; generator: number; otherProcesses: number; steal: number }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export interface RawPhase {
  mode: 'closed' | 'open'
  concurrency?: number
  rate?: number
  seconds: number
  ok: number
  latencies: number[]
  errors: Map<string, number>
  loopDelay: IntervalHistogram
  maxInFlight?: number
  /** Open loop: [scheduled start in ms from the measurement's start, latency in ms] of each login that succeeded. */
  timeline?: [number, number][]
}

const WINDOW_MS = 250
const SLOW_WINDOW_P50_MS = 10

function windowsOf(timeline: [number, number][]): NonNullable<PhaseResult['windows']> {
  const byWindow = new Map<number, number[]>()
  for (const [at, ms] of timeline) {
    const w = Math.floor(at / WINDOW_MS)
    const xs = byWindow.get(w) ?? []
    xs.push(ms)
    byWindow.set(w, xs)
  }
  let slow = 0
  const elsewhere: number[] = []
  for (const xs of byWindow.values()) {
    xs.sort((a, b) => a - b)
    if (percentile(xs, 50) > SLOW_WINDOW_P50_MS) slow++
    else elsewhere.push(...xs)
  }
  elsewhere.sort((a, b) => a - b)
  return { total: byWindow.size, slow, p99Elsewhere: round(percentile(elsewhere, 99)) }
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits

export function summarize(raw: RawPhase): PhaseResult {
  raw.loopDelay.disable()
  const sorted = Float64Array.from(raw.latencies).sort()
  const errors = Object.fromEntries(raw.errors)
  return {
    mode: raw.mode,
    ...(raw.concurrency !== undefined ? { concurrency: raw.concurrency } : {}),
    ...(raw.rate !== undefined ? { rate: round(raw.rate, 1) } : {}),
    seconds: raw.seconds,
    ok: raw.ok,
    loginsPerSecond: round(raw.ok / raw.seconds, 1),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    generatorLoopDelayP99: raw.loopDelay.count ? round(raw.loopDelay.percentile(99) / 1e6) : NaN,
    ...(raw.maxInFlight !== undefined ? { maxInFlight: raw.maxInFlight } : {}),
    ...(raw.timeline ? { windows: windowsOf(raw.timeline) } : {}),
  }
}

export interface ClosedLoopSettings { concurrency: number; warmupSeconds: number; seconds: number }

/**
 * Operations per second of `op` in process, closed loop with `concurrency` in flight (every result awaited),
 * after a warm-up whose operations do not count. Logs `name: N/s` to stderr.
 */
export async function closedLoopRate(name: string, op: () => Promise<unknown>, s: ClosedLoopSettings): Promise<number> {
  const run = async (ms: number): Promise<number> => {
    const end = performance.now() + ms
    let done = 0
    await Promise.all(Array.from({ length: s.concurrency }, async () => {
      while (performance.now() < end) {
        await op()
        done++
      }
    }))
    return done
  }
  await run(s.warmupSeconds * 1000)
  const t0 = performance.now()
  const done = await run(s.seconds * 1000)
  const perSecond = done / ((performance.now() - t0) / 1000)
  process.stderr.write(`  ${name}: ${perSecond.toFixed(0)}/s\n`)
  return perSecond
}
