/**
 * Load generator, run as a child process (`fork`) so it never shares an event loop with the server it
 * measures. The parent drives it over IPC, one command at a time: `setup` creates accounts with software
 * authenticators, `closed` runs N virtual users in a loop (peak throughput), `open` starts logins at a
 * fixed arrival rate whether or not earlier ones finished (latency at a given load, no coordinated
 * omission: latency counts from the scheduled start). One login = options → sign → verify.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { createSoftAuthenticator, type SoftAuthenticator } from '../server/testing/index.ts'
import { summarize, type PhaseResult } from './stats.ts'

export type Flavor = 'sigil' | 'reference'

export type LoadCommand =
  /** `url` may list several instances, comma-separated: each login's steps then go to different instances. */
  | { cmd: 'setup'; url: string; origin: string; flavor: Flavor; accounts: number; connections: number }
  | { cmd: 'closed'; concurrency: number; warmupSeconds: number; seconds: number }
  | { cmd: 'open'; rate: number; warmupSeconds: number; seconds: number; maxInFlight: number }
  | { cmd: 'exit' }

export type LoadReply = { ok: true; result?: PhaseResult; accounts?: number; setupSeconds?: number } | { ok: false; error: string }

const PATHS = {
  sigil: { regOptions: '/v1/passkeys/register/options', regVerify: '/v1/passkeys/register/verify', regStatus: 201,
    loginOptions: '/v1/passkeys/login/options', loginVerify: '/v1/passkeys/login/verify', wrap: (r: unknown) => ({ response: r }) },
  reference: { regOptions: '/register/options', regVerify: '/register/verify', regStatus: 200,
    loginOptions: '/login/options', loginVerify: '/login/verify', wrap: (r: unknown) => r },
}

interface Target { pools: Pool[]; origin: string; paths: (typeof PATHS)[Flavor]; flavor: Flavor }
interface Reply { status: number; json: any; cookie: string | undefined }

let target: Target | undefined
let authenticators: SoftAuthenticator[] = []
let nextAccount = 0

let turn = 0

/** Round-robin over the instances, so with two a ceremony's options and verify land on different ones. */
async function post(t: Target, path: string, body: unknown, cookie?: string): Promise<Reply> {
  const pool = t.pools[turn++ % t.pools.length]!
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: t.origin }
  if (cookie) headers.cookie = cookie
  const res = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(body) })
  const text = await res.body.text()
  const set = res.headers['set-cookie']
  const first = Array.isArray(set) ? set[0] : set
  let json: unknown
  try { json = text ? JSON.parse(text) : undefined } catch { json = text }
  return { status: res.statusCode, json, cookie: first?.split(';')[0] }
}

/** One complete login; returns undefined on success or a short error key. A browser keeps the cookie the options call set. */
async function login(t: Target): Promise<string | undefined> {
  const auth = authenticators[nextAccount++ % authenticators.length]!
  const o = await post(t, t.paths.loginOptions, {})
  if (o.status !== 200) return `options ${o.status} ${o.json?.title ?? o.json?.error ?? ''}`.trim()
  const response = await auth.authenticate(o.json, { origin: t.origin })
  const v = await post(t, t.paths.loginVerify, t.paths.wrap(response), o.cookie)
  if (v.status !== 200) return `verify ${v.status} ${v.json?.title ?? v.json?.error ?? ''}`.trim()
  if (t.flavor === 'sigil' && !v.cookie) return 'verify without Set-Cookie'
  if (t.flavor === 'reference' && v.json?.verified !== true) return 'verify not verified'
  return undefined
}

async function register(t: Target, i: number): Promise<SoftAuthenticator> {
  const auth = createSoftAuthenticator({ alg: 'ES256' })
  const handle = `bench${i}x${process.pid}`
  const o = await post(t, t.paths.regOptions, { handle, displayName: `Bench ${i}` })
  if (o.status !== 200) throw new Error(`register options ${o.status}: ${JSON.stringify(o.json)}`)
  const response = await auth.register(o.json, { origin: t.origin })
  const v = await post(t, t.paths.regVerify, t.paths.wrap(response), o.cookie)
  if (v.status !== t.paths.regStatus) throw new Error(`register verify ${v.status}: ${JSON.stringify(v.json)}`)
  return auth
}

async function setup(c: Extract<LoadCommand, { cmd: 'setup' }>): Promise<LoadReply> {
  // Timeouts keep every phase bounded even against a server that stops answering.
  const pools = c.url.split(',').map((u) => new Pool(u, { connections: c.connections, pipelining: 1, keepAliveTimeout: 4_000, headersTimeout: 30_000, bodyTimeout: 30_000 }))
  const t: Target = { pools, origin: c.origin, paths: PATHS[c.flavor], flavor: c.flavor }
  const started = performance.now()
  const made: SoftAuthenticator[] = []
  let i = 0
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (i < c.accounts) made.push(await register(t, i++))
  }))
  target = t
  authenticators = made
  return { ok: true, accounts: made.length, setupSeconds: (performance.now() - started) / 1000 }
}

interface Recorder { latencies: number[]; errors: Map<string, number>; ok: number; loopDelay: IntervalHistogram; closed: boolean }
/** Also watches this process's own event loop from `fromMs` on: a generator that lags would inflate latencies. */
function recorder(fromMs: number): Recorder {
  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  setTimeout(() => loopDelay.enable(), fromMs).unref()
  return { latencies: [], errors: new Map(), ok: 0, loopDelay, closed: false }
}
function record(r: Recorder, err: string | undefined, ms: number): void {
  if (r.closed) return
  if (err === undefined) { r.ok++; r.latencies.push(ms); return }
  r.errors.set(err, (r.errors.get(err) ?? 0) + 1)
}
async function attempt(t: Target): Promise<string | undefined> {
  try { return await login(t) } catch (err) { return `exception ${(err as Error).message.slice(0, 80)}` }
}

/** Closed loop: `concurrency` users, each starting its next login when the last one ends. */
async function closed(t: Target, c: Extract<LoadCommand, { cmd: 'closed' }>): Promise<PhaseResult> {
  const measureFrom = performance.now() + c.warmupSeconds * 1000
  const end = measureFrom + c.seconds * 1000
  const r = recorder(c.warmupSeconds * 1000)
  await Promise.all(Array.from({ length: c.concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now()
      const err = await attempt(t)
      const t1 = performance.now()
      if (t1 >= measureFrom && t1 <= end) record(r, err, t1 - t0) // completions in the window: unbiased throughput
    }
  }))
  r.closed = true
  return summarize({ mode: 'closed', concurrency: c.concurrency, seconds: c.seconds, ...r })
}

/** Open loop: arrivals every 1/rate s; a login that finds maxInFlight already running is counted as dropped. */
async function open(t: Target, c: Extract<LoadCommand, { cmd: 'open' }>): Promise<PhaseResult> {
  const interval = 1000 / c.rate
  const start = performance.now()
  const measureFrom = start + c.warmupSeconds * 1000
  const end = measureFrom + c.seconds * 1000
  const r = recorder(c.warmupSeconds * 1000)
  const running = new Map<Promise<void>, boolean>() // → counts in the measurement
  const timeline: [number, number][] = []
  let maxSeen = 0
  let due = start
  while (due < end) {
    const now = performance.now()
    for (; due <= now && due < end; due += interval) {
      const scheduled = due
      const measured = scheduled >= measureFrom
      if (running.size >= c.maxInFlight) { if (measured) record(r, 'dropped (max in flight)', 0); continue }
      const p: Promise<void> = attempt(t).then((err) => {
        if (!measured) return
        const ms = performance.now() - scheduled
        record(r, err, ms)
        if (err === undefined) timeline.push([scheduled - measureFrom, ms])
      })
        .finally(() => running.delete(p))
      running.set(p, measured)
      maxSeen = Math.max(maxSeen, running.size)
    }
    await sleep(1)
  }
  await Promise.race([Promise.all(running.keys()), sleep(10_000)])
  // Logins still running 10 s after the last arrival count as errors rather than vanish from the latencies.
  for (const measured of running.values()) if (measured) record(r, 'unfinished 10 s after the phase', 0)
  r.closed = true
  return summarize({ mode: 'open', rate: c.rate, seconds: c.seconds, ...r, maxInFlight: maxSeen, timeline })
}

async function handle(c: LoadCommand): Promise<LoadReply> {
  if (c.cmd === 'setup') return setup(c)
  if (c.cmd === 'exit') {
    await Promise.all(target?.pools.map((p) => p.close()) ?? [])
    setImmediate(() => process.exit(0))
    return { ok: true }
  }
  if (!target) return { ok: false, error: 'setup first' }
  return { ok: true, result: c.cmd === 'closed' ? await closed(target, c) : await open(target, c) }
}

process.on('message', (msg: LoadCommand) => {
  handle(msg).then(
    (reply) => process.send!(reply),
    (err: Error) => process.send!({ ok: false, error: err.stack ?? err.message } satisfies LoadReply),
  )
})
process.on('disconnect', () => process.exit(0))
