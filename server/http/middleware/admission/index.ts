import type { Request, RequestHandler } from 'express'
import type { Counter, Gauge } from 'prom-client'
import { ProblemError, sendProblem } from '../../problem.ts'

export type AdmissionShedReason = 'in_flight' | 'event_loop'

export interface AdmissionOptions {
  /** Requests admitted and not yet answered, at most; the next one is shed. */
  maxInFlight: number
  /**
   * Shed once the event loop has been busy this long with the process's own work (half of it CPU time at least)
   * without coming back to its timers, in this turn and in the one before (sustained: one long turn, a burst or a
   * GC pause, sheds nothing).
   */
  maxEventLoopDelayMs: number
  /** Never shed, never counted: probes and metrics, so a load balancer still sees the instance. */
  exemptPaths: readonly string[]
  metrics?: { inFlight: Gauge; shed: Counter<'reason'> }
}

/** The monitor's timer; the loop's delay is how much later than this it comes back to it. */
const TICK_MS = 10
/** The monitor stops after this long without a request, so an idle process (or a test's spare app) has no timer. */
const IDLE_STOP_MS = 5000
/** Requests under way (cookie or Authorization) are shed by the loop signal only past this multiple of the delay. */
const UNDER_WAY_FACTOR = 3
/** Seconds a shed client should wait: overload on one event loop is a matter of turns, not minutes. */
const RETRY_AFTER_SECONDS = '1'

/** A delay counts when the process's CPU time is at least 1/OWN_WORK of it. */
const OWN_WORK = 2
/**
 * How often the monitor reads the process's CPU time. getrusage is a system call, and on a virtual machine one
 * costs tens of microseconds: read per tick (100 times a second) it was 2–4 % of a busy instance's CPU.
 */
const CPU_SAMPLE_MS = 100
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

/**
 * How long the event loop has been away from its timers, one monitor per thread (every app in it shares the loop).
 * A request handled `age` ms after the last tick waited about that long: the loop was running other callbacks.
 * `lastGap` is the length of the previous turn. Both count a delay only as far as this process's own work explains
 * it, its CPU time at least half of it (the share of CPU over the last sample window, about 100 ms): a loop
 * slowed down by other processes on the machine (a shared CI box) is not this instance's overload, and shedding
 * its requests would not make them faster.
 */
const loop = {
  timer: undefined as NodeJS.Timeout | undefined,
  lastTick: 0,
  lastGap: 0,
  lastUse: 0,
  /** CPU time at `cpuAt`, and the process's CPU share (CPU ms per wall ms) over the sample window that ended then. */
  cpu: 0,
  cpuAt: 0,
  cpuShare: 1,
  /** `below`: a wall-clock age under it is returned as is (no getrusage call: most requests, on a healthy loop). */
  read(now: number, below: number): { age: number; lastGap: number } {
    loop.lastUse = now
    if (!loop.timer) {
      loop.lastTick = now
      loop.cpu = cpuMs()
      loop.cpuAt = now
      loop.cpuShare = 1
      loop.lastGap = 0
      loop.timer = setInterval(() => {
        const t = performance.now()
        if (t - loop.cpuAt >= CPU_SAMPLE_MS) {
          const cpu = cpuMs()
          loop.cpuShare = (cpu - loop.cpu) / (t - loop.cpuAt)
          loop.cpu = cpu
          loop.cpuAt = t
        }
        const gap = t - loop.lastTick
        loop.lastGap = Math.min(gap, OWN_WORK * loop.cpuShare * gap)
        loop.lastTick = t
        if (t - loop.lastUse > IDLE_STOP_MS) { clearInterval(loop.timer); loop.timer = undefined }
      }, TICK_MS).unref()
    }
    const wall = now - loop.lastTick
    if (wall < below) return { age: wall, lastGap: loop.lastGap }
    // A long wait: the CPU share since the last sample, which covers the wait.
    const share = now > loop.cpuAt ? (cpuMs() - loop.cpu) / (now - loop.cpuAt) : loop.cpuShare
    return { age: Math.min(wall, OWN_WORK * share * wall), lastGap: loop.lastGap }
  },
}

/**
 * Admission control: sheds a request with 503 `overloaded` and `Retry-After` when too many are in flight or the
 * event loop has stayed busy past `maxEventLoopDelayMs`, before its body is read, so a shed request costs little.
 * The loop signal caps each turn: once a turn has run that long (and the last one did too) the rest of the turn's
 * requests are shed and the next turn starts fresh, so an admitted request waits about a turn, and shedding stops
 * on the first turn that is short again. Requests that carry a cookie or an Authorization header (a ceremony under
 * way, a session, an API client) are shed by the loop only past three times the delay: new work goes first, so the
 * second half of a sign-in is not thrown away after its first half was served. A forged cookie buys no more than
 * that factor. Per-client limits are separate (server/rateLimits.ts).
 */
export function admission(opts: AdmissionOptions): RequestHandler {
  const exempt = new Set(opts.exemptPaths)
  let inFlight = 0
  const shedReason = (req: Request): AdmissionShedReason | undefined => {
    if (inFlight >= opts.maxInFlight) return 'in_flight'
    const { age, lastGap } = loop.read(performance.now(), opts.maxEventLoopDelayMs)
    const underWay = req.headers.cookie !== undefined || req.headers.authorization !== undefined
    return age >= opts.maxEventLoopDelayMs * (underWay ? UNDER_WAY_FACTOR : 1) && lastGap >= opts.maxEventLoopDelayMs ? 'event_loop' : undefined
  }
  return (req, res, next) => {
    if (exempt.has(req.path)) return next()
    const reason = shedReason(req)
    if (reason) {
      opts.metrics?.shed.inc({ reason })
      return sendProblem(res, new ProblemError('overloaded', 503, {
        detail: 'The server is overloaded; retry after the delay in Retry-After.',
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      }))
    }
    inFlight++
    opts.metrics?.inFlight.inc()
    // 'close' comes once per response, whether it finished or the client went away.
    res.once('close', () => {
      inFlight--
      opts.metrics?.inFlight.dec()
    })
    next()
  }
}
