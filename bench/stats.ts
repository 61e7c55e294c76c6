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
  /** CPU the generator itself used during the window, in cores (1 = one core busy). */
  generatorCores: number
  /** Open loop: the most logins that were in flight at once. */
  maxInFlight?: number
  /** Filled in by the orchestrator: CPU of the server process tree during the phase, in cores. */
  serverCores?: number
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
  cpu: NodeJS.CpuUsage
  maxInFlight?: number
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits

export function summarize(raw: RawPhase): PhaseResult {
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
    generatorCores: round((raw.cpu.user + raw.cpu.system) / 1e6 / raw.seconds),
    ...(raw.maxInFlight !== undefined ? { maxInFlight: raw.maxInFlight } : {}),
  }
}
