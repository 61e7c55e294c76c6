import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Counter, Gauge } from 'prom-client'
import { ProblemError, problemBody } from '../../problem.ts'

export type AdmissionShedReason = 'in_flight' | 'event_loop' | 'latency' | 'utilization'

export interface AdmissionOptions {
  /** Requests admitted and not yet answered, at most; the next one is shed. */
  maxInFlight: number
  /**
   * Shed once the event loop has been busy this long with the process's own work (half of it CPU time at least)
   * without coming back to its timers, in this turn and in the one before (sustained: one long turn, a burst or a
   * GC pause, sheds nothing).
   */
  maxEventLoopDelayMs: number
  /**
   * Latency target for admitted requests (ms; 0 turns it off): while more than 2 % of the requests answered in a
   * 100 ms window took longer, the in-flight limit comes down by a quarter per window, or at once to the window's
   * throughput times the target if that is lower (to 8 at least); it goes back up by a tenth per window that met it. By Little's law time in the server is in-flight over throughput, so a
   * smaller limit is what shortens it: the excess is shed at the door instead of queueing inside.
   */
  latencyTargetMs?: number
  /**
   * Event-loop utilization limit (0 to 1; 0 turns it off). Once UTIL_QUEUED requests are in flight, or UTIL_QUEUED new
   * ones were admitted, on a loop busier than this over the current 50 ms window (or new work fills its whole room),
   * new work is admitted only while fewer requests are in flight than a limit that starts at half of those in flight,
   * comes down by 40 % per window still that busy
   * (to 8 at least), goes up by a tenth per window under it in which new work reached it, and is lifted after a
   * window under it in which new work did not. UTIL_NEW_MIN new requests in flight are always allowed, so work under
   * way cannot starve new work, and work under way keeps the full `maxInFlight`. Throughput is bounded by the loop,
   * latency by how long its turns are: keeping the loop short of saturation keeps turns short, so admitted requests,
   * which wait for several turns, are answered quickly. A closed loop of fewer clients than UTIL_QUEUED
   * brings it in only by starting that many new requests within one window (bench:mixed's 32 users did not).
   */
  utilization?: number
  /** Never shed, never counted: probes and metrics, so a load balancer still sees the instance. */
  exemptPaths: readonly string[]
  /**
   * Paths ending so finish work begun by an earlier request (a ceremony's `/verify` answers its `/options`): they are
   * under way even without a cookie (a discoverable sign-in has none), like requests with a cookie or Authorization.
   */
  underWaySuffixes?: readonly string[]
  metrics?: { inFlight: Gauge; shed: Counter<'reason'> }
}

/** The monitor's timer; the loop's delay is how much later than this it comes back to it. */
const TICK_MS = 10
/** The monitor stops after this long without a request, so an idle process (or a test's spare app) has no timer. */
const IDLE_STOP_MS = 5000
/** Requests under way (cookie or Authorization) are shed by the loop signal only past this multiple of the delay. */
const UNDER_WAY_FACTOR = 2.5
/**
 * New work (not under way) is admitted only while fewer than this share of `maxInFlight` are in flight: the rest
 * of the room is kept for the second halves of what was already admitted, so that work done on a first half is
 * not thrown away when its second half arrives.
 */
const NEW_WORK_SHARE = 0.5
/** The latency-driven limit (see `latencyTargetMs`): its window, floor, allowed share of slow answers and steps. */
const LIMIT_WINDOW_MS = 100
const LIMIT_FLOOR = 8
const SLOW_SHARE = 0.02
const LIMIT_DECREASE = 0.75
const LIMIT_INCREASE = 0.1
/** The utilization controller (see `utilization`): its window and its step down. */
const UTIL_WINDOW_MS = 50
const UTIL_DECREASE = 0.6
/**
 * Requests in flight at once, at some point of a busy window, that make it a queue worth limiting. A GC pause or a
 * slow call on a busy loop queues fewer, and so does a closed-loop population of up to this many clients (bench:mixed's
 * 32 users), which waits for its answers instead of piling up.
 */
const UTIL_QUEUED = 40
/** New work in flight that the utilization limit always allows, however much work under way fills it: no starving. */
const UTIL_NEW_MIN = 4
/**
 * The loop's utilization that brings the limit in before a window ends is read over the last 10 to 20 ms, not since
 * the window began: at the onset of a flood, a window that began calm would dilute it, and a 50 ms window at 3× the
 * capacity admits about three times 50 ms of work before its end.
 */
const UTIL_EARLY_MS = 10
/** The utilization limit starts at this share of the requests in flight when it comes in. */
const UTIL_START = 0.5
/** Its step up, in a window under the utilization in which new work reached the limit. */
const UTIL_INCREASE = 0.1
/** Seconds a shed client should wait: overload on one event loop is a matter of turns, not minutes. */
const RETRY_AFTER_SECONDS = '1'
const SHED_BODY = JSON.stringify(problemBody(new ProblemError('overloaded', 503, {
  detail: 'The server is overloaded; retry after the delay in Retry-After.',
}), undefined))
const SHED_HEADERS = {
  'Content-Type': 'application/problem+json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(SHED_BODY)),
  'Retry-After': RETRY_AFTER_SECONDS, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff',
}

/** The window controller's period, and how it moves the share of new work admitted (see `loop.admitNew`). */
const WINDOW_MS = 100
const DECREASE = 0.67
const INCREASE = 0.1
const MIN_ADMIT_NEW = 0.02
/** A window whose longest gap stayed under this fraction of the limit is calm: all new work is admitted again. */
const CALM = 0.25

/**
 * One app's window controller. `admitNew` is the share of new work (requests without a cookie or Authorization)
 * admitted: cut by a third after every window in which the loop was over the limit twice running, raised again
 * after each calm one, and back to all at once when the loop is nearly idle. New work is what commits the process
 * to more (a sign-in's options bring its verify), so this is what keeps the loop's demand under its capacity, with
 * room left to shed the rest cheaply.
 */
interface Controller {
  limit: number
  /** The longest own-work gap in the current window, and whether the window before it had one past the limit. */
  windowMaxGap: number
  lastWindowOver: boolean
  admitNew: number
}

function endWindow(c: Controller): void {
  const over = c.windowMaxGap >= c.limit
  if (over && c.lastWindowOver) c.admitNew = Math.max(MIN_ADMIT_NEW, c.admitNew * DECREASE)
  else if (c.windowMaxGap < c.limit * CALM) c.admitNew = 1
  else if (!over) c.admitNew = Math.min(1, c.admitNew + INCREASE)
  c.lastWindowOver = over
  c.windowMaxGap = 0
}

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
  /** Start of the window controllers' current window. */
  windowStart: 0,
  /** The apps' controllers fed by this monitor; dropped when it stops, each joins again on its next request. */
  controllers: new Set<Controller>(),
  /** CPU time at `cpuAt`, and the process's CPU share (CPU ms per wall ms) over the sample window that ended then. */
  cpu: 0,
  cpuAt: 0,
  cpuShare: 1,
  /** The CPU share of the turn under way (the one that started at `turnShareAt`, a `lastTick`), once read. */
  turnShare: 1,
  turnShareAt: -1,
  /** `below`: a wall-clock age under it is returned as is (no getrusage call: most requests, on a healthy loop). */
  read(now: number, below: number, controller: Controller): { age: number; lastGap: number } {
    loop.lastUse = now
    if (!loop.timer) {
      loop.lastTick = now
      loop.cpu = cpuMs()
      loop.cpuAt = now
      loop.cpuShare = 1
      loop.lastGap = 0
      loop.windowStart = now
      loop.controllers.clear()
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
        for (const c of loop.controllers) c.windowMaxGap = Math.max(c.windowMaxGap, loop.lastGap)
        if (t - loop.windowStart >= WINDOW_MS) {
          for (const c of loop.controllers) endWindow(c)
          loop.windowStart = t
        }
        if (t - loop.lastUse > IDLE_STOP_MS) { clearInterval(loop.timer); loop.timer = undefined; loop.controllers.clear() }
      }, TICK_MS).unref()
    }
    if (!loop.controllers.has(controller)) {
      Object.assign(controller, { windowMaxGap: 0, lastWindowOver: false, admitNew: 1 })
      loop.controllers.add(controller)
    }
    const wall = now - loop.lastTick
    if (wall < below) return { age: wall, lastGap: loop.lastGap }
    // A long wait: the CPU share since the last sample, which covers the wait; read once per turn of the loop (under
    // overload every request lands here, and getrusage per request was 3 % of the CPU).
    if (loop.turnShareAt !== loop.lastTick) {
      loop.turnShare = now > loop.cpuAt ? (cpuMs() - loop.cpu) / (now - loop.cpuAt) : loop.cpuShare
      loop.turnShareAt = loop.lastTick
    }
    return { age: Math.min(wall, OWN_WORK * loop.turnShare * wall), lastGap: loop.lastGap }
  },
}

/**
 * Runs on Node's own request and response, before Express: a request shed there costs about 31 µs of server CPU
 * instead of 140 (Express's dispatch, measured with bench/shed.ts), and under overload most requests are shed.
 */
export type AdmissionGate = (req: IncomingMessage, res: ServerResponse, next: () => void) => void

/** The path of a request target (origin-form `/a/b?q`, or absolute-form `http://h/a/b?q`), without its query. */
function pathOf(url: string): string {
  if (url.startsWith('/')) {
    const q = url.indexOf('?')
    return q === -1 ? url : url.slice(0, q)
  }
  try { return new URL(url).pathname } catch { return url }
}

/**
 * Admission control: sheds a request with 503 `overloaded` and `Retry-After` when too many are in flight or the
 * event loop has stayed busy past `maxEventLoopDelayMs`, before its body is read, so a shed request costs little.
 * The loop signal caps each turn: once a turn has run that long (and the last one did too) the rest of the turn's
 * requests are shed and the next turn starts fresh, so an admitted request waits about a turn, and shedding stops
 * on the first turn that is short again. Requests that carry a cookie or an Authorization header (a ceremony under
 * way, a session, an API client, a ceremony's `/verify`) are shed by the loop only past 2.5 times the delay, and new
 * work gets only half of the in-flight room: new work goes first, so the
 * second half of a sign-in is not thrown away after its first half was served. A forged cookie buys no more than
 * that factor. While the overload lasts (two windows of 100 ms running), a window controller also thins out new
 * work read late in a turn (see Controller). It runs before Express (see AdmissionGate), and a shed response is written directly:
 * under overload most requests end here. Per-client limits are separate (server/rateLimits.ts).
 */
export function admission(opts: AdmissionOptions): AdmissionGate {
  const exempt = new Set(opts.exemptPaths)
  const controller: Controller = { limit: opts.maxEventLoopDelayMs, windowMaxGap: 0, lastWindowOver: false, admitNew: 1 }
  const suffixes = opts.underWaySuffixes ?? []
  const target = opts.latencyTargetMs ?? 0
  let inFlight = 0
  /** Of those, new work (see `underWaySuffixes`). */
  let newInFlight = 0
  /** The in-flight limit in force: `maxInFlight`, or less while answers are slower than the target. */
  let limit = opts.maxInFlight
  let windowStart = performance.now()
  let answered = 0
  let slow = 0
  // The utilization controller: the limit for new work while it is on (Infinity when off), this window's start and
  // loop reading, and whether new work hit the limit in it.
  const utilization = opts.utilization ?? 0
  let utilLimit = Infinity
  let utilWindowStart = performance.now()
  let utilMark = performance.eventLoopUtilization()
  let utilHit = false
  /** The most requests in flight at once in this window, and the new work admitted in it. */
  let utilPeak = 0
  let utilNewAdmitted = 0
  // Two loop readings at least UTIL_EARLY_MS apart: `recentBase` is 10 to 20 ms old while requests arrive.
  let recentBase = { mark: utilMark, at: utilWindowStart }
  let recentNext = recentBase
  const rollRecent = (now: number): void => {
    if (now - recentNext.at >= UTIL_EARLY_MS) { recentBase = recentNext; recentNext = { mark: performance.eventLoopUtilization(), at: now } }
  }
  const recentUtilization = (now: number): number =>
    now - recentBase.at < UTIL_EARLY_MS ? 0 : performance.eventLoopUtilization(performance.eventLoopUtilization(), recentBase.mark).utilization
  const endUtilWindow = (now: number): void => {
    const mark = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(mark, utilMark).utilization
    utilMark = mark
    // A long window means the process was idle (windows end on arrivals): it is not over. The limit comes in after a
    // window busier than `utilization` in which UTIL_QUEUED requests were in flight at some point (a queue, not a GC
    // or a slow call), at half of that peak. While in force it comes down by 40 % per window over; in
    // a window under, it goes up by a tenth if new work reached it, and is lifted if new work did not.
    const over = now - utilWindowStart < 4 * UTIL_WINDOW_MS && busy > utilization
    if (utilLimit === Infinity) {
      if (over && utilPeak >= UTIL_QUEUED) utilLimit = Math.floor(utilPeak * UTIL_START)
    } else if (over) utilLimit = Math.max(LIMIT_FLOOR, Math.floor(utilLimit * UTIL_DECREASE))
    else utilLimit = utilHit ? Math.ceil(utilLimit * (1 + UTIL_INCREASE)) : Infinity
    utilHit = false
    utilNewAdmitted = 0
    utilPeak = inFlight
    utilWindowStart = now
  }
  const endLimitWindow = (now: number): void => {
    // Too slow: down by a quarter, or at once to what Little's law says would meet the target at this window's
    // throughput (answered per ms × target ms), whichever is lower.
    if (answered > 0 && slow > answered * SLOW_SHARE) {
      const fits = Math.floor((answered / (now - windowStart)) * target)
      limit = Math.max(Math.min(LIMIT_FLOOR, opts.maxInFlight), Math.min(Math.floor(limit * LIMIT_DECREASE), fits))
    }
    else if (answered > 0) limit = Math.min(opts.maxInFlight, Math.ceil(limit * (1 + LIMIT_INCREASE)))
    else if (inFlight === 0) limit = opts.maxInFlight
    answered = 0
    slow = 0
    windowStart = now
  }
  const shedReason = (underWay: boolean, now: number): AdmissionShedReason | undefined => {
    if (inFlight >= opts.maxInFlight) return 'in_flight'
    if (target > 0 && now - windowStart >= LIMIT_WINDOW_MS) endLimitWindow(now)
    if (inFlight >= (underWay ? limit : Math.max(1, Math.floor(limit * NEW_WORK_SHARE)))) {
      // New work filled its whole room: more is arriving than the process answers. The utilization limit comes in.
      if (!underWay && utilization > 0 && utilLimit === Infinity) {
        utilLimit = Math.max(LIMIT_FLOOR, Math.floor(inFlight * UTIL_START))
        utilWindowStart = now
        utilMark = performance.eventLoopUtilization()
      }
      return limit < opts.maxInFlight ? 'latency' : 'in_flight'
    }
    if (utilization > 0) {
      rollRecent(now)
      if (now - utilWindowStart >= UTIL_WINDOW_MS) endUtilWindow(now)
      // A queue building on a saturated loop, or new work pouring in (what becomes the queue once its second halves
      // arrive), brings the limit in at once, not at the window's end: at 3x, every millisecond of delay admits three
      // more sign-ins, and their verifies come later whatever happens.
      else if (utilLimit === Infinity && (inFlight >= UTIL_QUEUED || utilNewAdmitted >= UTIL_QUEUED) && recentUtilization(now) > utilization) {
        utilLimit = Math.max(LIMIT_FLOOR, Math.floor(inFlight * UTIL_START))
      }
      if (!underWay && inFlight >= utilLimit && newInFlight >= UTIL_NEW_MIN) { utilHit = true; return 'utilization' }
    }
    const { age, lastGap } = loop.read(now, opts.maxEventLoopDelayMs, controller)
    if (age >= opts.maxEventLoopDelayMs * (underWay ? UNDER_WAY_FACTOR : 1) && lastGap >= opts.maxEventLoopDelayMs) return 'event_loop'
    // New work is thinned out while the loop is behind; a loop back at its timers within a fraction of the limit
    // is not behind (load has dropped, or this turn has only just begun), so it admits at once.
    if (!underWay && controller.admitNew < 1 && age >= opts.maxEventLoopDelayMs * CALM && Math.random() >= controller.admitNew) return 'event_loop'
    return undefined
  }
  return (req, res, next) => {
    const path = pathOf(req.url ?? '/')
    if (exempt.has(path)) return next()
    const admittedAt = performance.now()
    const underWay = req.headers.cookie !== undefined || req.headers.authorization !== undefined || suffixes.some((x) => path.endsWith(x))
    const reason = shedReason(underWay, admittedAt)
    if (reason) {
      opts.metrics?.shed.inc({ reason })
      // Written directly (no JSON encoding, no further middleware): under overload most requests end here.
      res.writeHead(503, SHED_HEADERS).end(SHED_BODY)
      return
    }
    if (++inFlight > utilPeak) utilPeak = inFlight
    if (!underWay) { newInFlight++; utilNewAdmitted++ }
    opts.metrics?.inFlight.inc()
    // 'close' comes once per response, whether it finished or the client went away.
    res.once('close', () => {
      inFlight--
      if (!underWay) newInFlight--
      if (target > 0) {
        answered++
        if (performance.now() - admittedAt > target) slow++
      }
      opts.metrics?.inFlight.dec()
    })
    next()
  }
}
