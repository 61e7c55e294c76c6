/**
 * `npm run bench:overload`: what Sigil does at 3x its capacity. Starts Sigil (SQLite, default admission
 * control unless overridden) on 127.0.0.1, measures its capacity in sign-ins/s (64 closed-loop users, admission control
 * off for that measurement, on a first server), then
 * offers 3x that as open-loop arrivals (fixed rate, whether or not earlier sign-ins finished) and drops straight to
 * 0.5x. Prints, per phase: admitted throughput, shed requests by status, other 5xx, timeouts, p50/p99 of admitted
 * requests, the server's RSS, and how long after the drop requests were still shed. Asserts nothing.
 * The load runs in this process (the server is a child process); loopback only, each phase bounded in time.
 *
 *   tsx bench/overload.ts [--capacity-seconds 8] [--seconds 20] [--factor 3] [--low 0.5] [--warm-up-seconds 5] [--accounts 4000]
 *                         [--max-in-flight N] [--max-delay-ms N] [--latency-ms N] [--utilization U]   (Sigil's admission settings)
 *                         [--cpu-prof]    (a V8 profile of the server of the overload phases, in bench/results/profiles/overload)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort, startServer, treeCpuSeconds } from './procs.ts'
import { percentile } from './stats.ts'
import { reportRows } from './report.ts'
import { root } from './targets.ts'
import { rssBytes, signIn, signUpMany, sigilClient, type Exchange } from './ceremonies.ts'

const { values: args } = parseArgs({
  options: {
    'capacity-seconds': { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    factor: { type: 'string', default: '3' },
    low: { type: 'string', default: '0.5' },
    'warm-up-seconds': { type: 'string', default: '5' },
    accounts: { type: 'string', default: '4000' },
    'max-in-flight': { type: 'string' },
    'max-delay-ms': { type: 'string' },
    'latency-ms': { type: 'string' },
    utilization: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
})
const [capacitySeconds, seconds, factor, low, accounts, warmUpSeconds] = [args['capacity-seconds'], args.seconds, args.factor, args.low, args.accounts, args['warm-up-seconds']].map(Number) as [number, number, number, number, number, number]
if (![capacitySeconds, seconds, factor, low, accounts].every((n) => Number.isFinite(n) && n > 0) || !(warmUpSeconds >= 0)) {
  process.stderr.write('usage: tsx bench/overload.ts [--capacity-seconds 8] [--seconds 20] [--factor 3] [--low 0.5] [--warm-up-seconds 5] [--accounts 4000] [--max-in-flight N] [--max-delay-ms N] [--latency-ms N] [--utilization U]\n')
  process.exit(2)
}
const log = (s: string): void => void process.stderr.write(s + '\n')
const TIMEOUT_MS = 10_000
/** Keep-alive connections to Sigil: enough that the client never queues while Sigil sheds promptly. */
const CONNECTIONS = 512
/** Sign-ins the generator keeps open at once; past it an arrival is dropped here (and counted), never queued. */
const GENERATOR_MAX_OPEN = 4096

/** One HTTP exchange of the open-loop phases: latency counts from the scheduled arrival (no coordinated omission). */
interface Rec { phase: number; step: 'options' | 'verify'; start: number; end: number; status: number; code: string | undefined; retryAfter: boolean; error?: string }
const isShed = (r: Rec): boolean => r.status === 503 || r.status === 429

async function main(): Promise<void> {
  const started = Date.now()
  const cpus = os.cpus()
  log(`${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  log('The machine may be shared: other processes on these cores show up as noise in every figure below.')
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-overload-'))
  const admissionEnv = {
    ...(args['max-in-flight'] ? { SIGIL_MAX_IN_FLIGHT: args['max-in-flight'] } : {}),
    ...(args['max-delay-ms'] ? { SIGIL_MAX_EVENT_LOOP_DELAY_MS: args['max-delay-ms'] } : {}),
    ...(args['latency-ms'] ? { SIGIL_ADMISSION_LATENCY_MS: args['latency-ms'] } : {}),
    ...(args.utilization ? { SIGIL_ADMISSION_UTILIZATION: args.utilization } : {}),
  }
  const start = (admission: Record<string, string>, nodeArgs: string[] = []) => startServer({ name: 'sigil', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz', nodeArgs, env: {
    PORT: String(port), HOST: '127.0.0.1', SIGIL_DATA_DIR: dataDir, SIGIL_ORIGINS: origin, SIGIL_RP_ID: 'localhost',
    // All load comes from 127.0.0.1, so the per-IP limit is lifted (as in bench/login.ts): what sheds here is admission control.
    SIGIL_LOG_LEVEL: 'warn', SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production', ...admission,
  } })
  // Capacity is what Sigil completes with nothing shed: 64 back-to-back users are a queue admission control would
  // (rightly) thin out, and shed users retrying at once would measure the shedding, not the capacity. So the first
  // server runs with admission control off; the overload phases run on a second one, same port and data, as configured.
  let server = await start({ SIGIL_MAX_EVENT_LOOP_DELAY_MS: '60000', SIGIL_MAX_IN_FLIGHT: '100000', SIGIL_ADMISSION_LATENCY_MS: '0', SIGIL_ADMISSION_UTILIZATION: '0' })
  let client = sigilClient(server.url, origin, { connections: CONNECTIONS, timeoutMs: TIMEOUT_MS })
  try {
    const t0 = performance.now()
    const auths = await signUpMany(client, accounts, `o${process.pid}-`)
    log(`Sigil on ${server.url}, admission for the phases ${JSON.stringify(admissionEnv)} (empty: defaults); ${auths.length} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    let next = 0
    const auth = () => auths[next++ % auths.length]!

    // Capacity: 64 users back to back; sign-ins completed in the window after a 2 s warm-up.
    log(`capacity: 64 closed-loop users, 2+${capacitySeconds} s ...`)
    const from = performance.now() + 2000
    const until = from + capacitySeconds * 1000
    let completed = 0
    let capacityShed = 0
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (performance.now() < until) {
        const r = await signIn(client, auth())
        const now = performance.now()
        if (now < from || now > until) continue
        if (r.verify?.status === 200) completed++
        else if ([r.options, r.verify].some((x) => x?.status === 503)) capacityShed++
      }
    }))
    const capacity = completed / capacitySeconds
    log(`  ${capacity.toFixed(0)} sign-ins/s (${capacityShed} shed)`)
    if (capacity < 1) throw new Error('no capacity measured')
    await client.close()
    await server.stop()
    // SIGIL_BENCH_NODE_ARGS: extra node flags for the server of the overload phases (as in bench/login.ts).
    const extra = process.env.SIGIL_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []
    server = await start(admissionEnv, [...extra, ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'profiles', 'overload')}`] : [])])
    client = sigilClient(server.url, origin, { connections: CONNECTIONS, timeoutMs: TIMEOUT_MS })
    const pid = server.child.pid!

    // Open every connection now: a storm of new connections at 3x would measure the kernel's accept queue, not Sigil.
    await Promise.all(Array.from({ length: CONNECTIONS }, () => client.request('GET', '/healthz')))
    const rates = [capacity * factor, capacity * low]
    const rssIdle = rssBytes(pid)
    let rssPeak = rssIdle
    const rssTimer = setInterval(() => { rssPeak = Math.max(rssPeak, rssBytes(pid)) }, 250)
    const loopDelay = monitorEventLoopDelay({ resolution: 5 })
    loopDelay.enable()
    const recs: Rec[] = []
    const dropped = [0, 0]
    const signedIn = [0, 0]
    const cpu: number[] = []
    const running = new Set<Promise<void>>()
    const keep = (phase: number, step: Rec['step'], start: number, x: Exchange): void => void (phase >= 0 && recs.push({ phase, step, start, end: performance.now(), status: x.status,
      code: x.json?.code ?? x.errorCode, retryAfter: x.retryAfter !== undefined, ...(x.error ? { error: x.error } : {}) }))
    const attempt = async (phase: number, scheduled: number): Promise<void> => {
      const a = auth()
      const o = await client.request('POST', '/v1/passkeys/login/options', {})
      keep(phase, 'options', scheduled, o)
      if (o.status !== 200) return
      const response = await a.authenticate(o.json, { origin })
      const vStart = performance.now()
      const v = await client.request('POST', '/v1/passkeys/login/verify', { response }, o.cookie)
      keep(phase, 'verify', vStart, v)
      if (v.status === 200 && phase >= 0) signedIn[phase]!++
    }
    // Warm-up: the overload server is a fresh process (its admission settings are environment), so it first serves
    // the low rate for a few seconds, unrecorded, as an instance that was already running when load rose would have.
    if (warmUpSeconds > 0) {
      log(`warm-up: ${(capacity * low).toFixed(0)} sign-in arrivals/s for ${warmUpSeconds} s (not recorded) ...`)
      const warm: Promise<void>[] = []
      const t0 = performance.now()
      for (let due = t0; due < t0 + warmUpSeconds * 1000; due += 1000 / (capacity * low)) {
        const wait = due - performance.now()
        if (wait > 1) await sleep(wait)
        warm.push(attempt(-1, due))
      }
      await Promise.all(warm)
    }
    // Sigil's own latency histogram for the two sign-in routes (answered 200), read at the end of each phase: the part of
    // the client's latency spent inside the server (from the first middleware to the response); the rest is waiting to be read.
    const loginHistogram = async (): Promise<Map<number, number>> => {
      const text = (await client.request('GET', '/metrics')).json as unknown as string
      const counts = new Map<number, number>()
      for (const m of text.matchAll(/^sigil_http_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
        if (!/route="\/v1\/passkeys\/login\/(options|verify)"/.test(m[1]!) || !/status="200"/.test(m[1]!)) continue
        const le = /le="([^"]+)"/.exec(m[1]!)![1]!
        const bound = le === '+Inf' ? Infinity : Number(le)
        counts.set(bound, (counts.get(bound) ?? 0) + Number(m[2]))
      }
      return counts
    }
    const serverHist: Map<number, number>[] = [await loginHistogram()]
    /** The bucket bound (ms) under which `q` % of a phase's server-side latencies fall. */
    const histPercentile = (phase: number, q: number): string => {
      const a = serverHist[phase]!, b = serverHist[phase + 1]!
      const bounds = [...b.keys()].sort((x, y) => x - y)
      const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0)
      const hit = bounds.find((k) => (b.get(k) ?? 0) - (a.get(k) ?? 0) >= (q / 100) * total)
      return total === 0 || hit === undefined ? '-' : hit === Infinity ? '> 2500' : `<= ${hit * 1000}`
    }
    const phaseStart: number[] = []
    let due = performance.now()
    for (const [phase, rate] of rates.entries()) {
      log(`phase ${phase + 1}: ${rate.toFixed(0)} sign-in arrivals/s (${phase === 0 ? factor : low}x capacity) for ${seconds} s ...`)
      phaseStart.push(due)
      const c0 = treeCpuSeconds(pid)
      const end = due + seconds * 1000
      for (;;) {
        const now = performance.now()
        for (; due <= now && due < end; due += 1000 / rate) {
          if (running.size >= GENERATOR_MAX_OPEN) { dropped[phase]!++; continue }
          const p: Promise<void> = attempt(phase, due).finally(() => running.delete(p))
          running.add(p)
        }
        if (due >= end) break
        await sleep(1)
      }
      due = end
      cpu.push((treeCpuSeconds(pid) - c0) / seconds)
      serverHist.push(await loginHistogram())
    }
    const dropAt = phaseStart[1]!
    await Promise.race([Promise.all(running), sleep(TIMEOUT_MS + 5000)])
    const unfinished = running.size
    clearInterval(rssTimer)
    loopDelay.disable()
    await sleep(2000)
    const rssAfter = rssBytes(pid)
    const metricsText = (await client.request('GET', '/metrics')).json as string
    const shedByReason = Object.fromEntries([...metricsText.matchAll(/^sigil_http_requests_shed_total\{reason="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]))

    const mb = (b: number): string => (b / 2 ** 20).toFixed(0) + ' MB'
    const ms = (x: number): string => Number.isFinite(x) ? x.toFixed(1) : '-'
    const lines: string[] = ['', `Sign-ins (options -> ES256 sign -> verify) at ${factor}x then ${low}x the measured capacity of ${capacity.toFixed(0)}/s; load generator in this process, Sigil in a child; 2 cores shared by both.`, '']
    const summary = rates.map((rate, phase) => {
      const mine = recs.filter((r) => r.phase === phase)
      const admitted = mine.filter((r) => !isShed(r) && !r.error)
      const lat = Float64Array.from(admitted.map((r) => r.end - r.start)).sort()
      const byStatus = new Map<string, number>()
      for (const r of mine) {
        const key = r.error ? `${r.error} ${r.code}` : `${r.status} ${r.code ?? ''}`.trim()
        if (r.status !== 200) byStatus.set(key, (byStatus.get(key) ?? 0) + 1)
      }
      return {
        rate, signInsPerSecond: signedIn[phase]! / seconds, admittedPerSecond: admitted.length / seconds, shed: mine.filter(isShed).length,
        shedWithoutRetryAfter: mine.filter((r) => isShed(r) && !r.retryAfter).length,
        other5xx: mine.filter((r) => r.status >= 500 && r.status !== 503).length, timeouts: mine.filter((r) => r.error === 'timeout').length,
        connectionErrors: mine.filter((r) => r.error === 'connection').length, p50: percentile(lat, 50), p99: percentile(lat, 99),
        byStatus: Object.fromEntries(byStatus), dropped: dropped[phase]!, serverCores: cpu[phase]!,
      }
    })
    const lastShedAfterDrop = Math.max(0, ...recs.filter((r) => r.phase === 1 && isShed(r)).map((r) => r.start - dropAt))
    // Per 2 s of the run (by scheduled start): admitted and shed requests, admitted p99. Shows the drop and recovery.
    const t0Open = phaseStart[0]!
    const timeline: string[] = []
    for (let from = 0; from < rates.length * seconds * 1000; from += 2000) {
      const slice = recs.filter((r) => r.start - t0Open >= from && r.start - t0Open < from + 2000)
      const adm = slice.filter((r) => !isShed(r) && !r.error)
      timeline.push(`${(from / 1000).toFixed(0).padStart(4)} s  ${from < seconds * 1000 ? `${factor}x` : `${low}x`}  admitted ${String(adm.length).padStart(5)}  shed ${String(slice.filter(isShed).length).padStart(5)}  `
        + `p99 ${ms(percentile(Float64Array.from(adm.map((r) => r.end - r.start)).sort(), 99)).padStart(8)} ms`)
    }
    const row = (name: string, f: (s: (typeof summary)[number], i: number) => string): string => `${name.padEnd(52)}${summary.map((s, i) => f(s, i).padStart(20)).join('')}`
    lines.push(row('figure', (s) => `${(s.rate / capacity).toFixed(1)}x (${s.rate.toFixed(0)}/s)`),
      row('sign-ins completed/s', (s) => s.signInsPerSecond.toFixed(0)),
      row('admitted requests/s (answered, not shed)', (s) => s.admittedPerSecond.toFixed(0)),
      row('shed requests (503/429, all with Retry-After?)', (s) => `${s.shed} (${s.shedWithoutRetryAfter ? `${s.shedWithoutRetryAfter} without` : 'all'})`),
      row('5xx other than 503', (s) => String(s.other5xx)),
      row(`timeouts (${TIMEOUT_MS / 1000} s) / connection errors`, (s) => `${s.timeouts} / ${s.connectionErrors}`),
      row('sign-ins dropped by the generator (too many open)', (s) => String(s.dropped)),
      row('p50 / p99 ms of admitted requests', (s) => `${ms(s.p50)} / ${ms(s.p99)}`),
      row('server-side p50 / p99 ms, sign-in routes (buckets)', (_, i) => `${histPercentile(i, 50)} / ${histPercentile(i, 99)}`),
      row('server CPU, cores', (s) => s.serverCores.toFixed(2)),
      '',
      ...timeline,
      '',
      ...summary.map((s, i) => `phase ${i + 1} answers other than 200: ${JSON.stringify(s.byStatus)}`),
      `shed by reason (Sigil's counter, whole run): ${JSON.stringify(shedByReason)}`,
      `server RSS: ${mb(rssIdle)} before the phases, ${mb(rssPeak)} peak, ${mb(rssAfter)} 2 s after`,
      `last shed request after the drop to ${low}x: ${lastShedAfterDrop.toFixed(0)} ms (0: none)`,
      `requests still open ${(TIMEOUT_MS + 5000) / 1000} s after the last arrival: ${unfinished}`,
      `generator event-loop delay p99: ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms (if high, the generator adds latency)`,
      `goal, admitted p99 < 100 ms at ${factor}x: ${ms(summary[0]!.p99)} ms -> ${summary[0]!.p99 < 100 ? 'met' : 'NOT met'}; no 5xx but 503 and no timeouts: ${summary[0]!.other5xx + summary[0]!.timeouts === 0 ? 'met' : 'NOT met'}`, '')
    process.stdout.write(lines.join('\n'))
    if (process.env.SIGIL_BENCH_DUMP) fs.writeFileSync(process.env.SIGIL_BENCH_DUMP, JSON.stringify(recs.map((r) => ({ ...r, start: r.start - t0Open, end: r.end - t0Open }))))
    reportRows([
      { figure: `overload: admitted p99 at ${factor}x capacity (ms)`, sigil: summary[0]!.p99, unit: 'ms', goal: { text: '< 100 ms', met: summary[0]!.p99 < 100 } },
      { figure: `overload: 5xx but 503, and timeouts, at ${factor}x`, sigil: summary[0]!.other5xx + summary[0]!.timeouts, unit: '', goal: { text: '0', met: summary[0]!.other5xx + summary[0]!.timeouts === 0 } },
      { figure: `overload: last shed after the drop to ${low}x (ms)`, sigil: lastShedAfterDrop, unit: 'ms' },
    ])
    const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-overload.json`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: { cpu: cpus[0]?.model, cores: cpus.length, node: process.version },
      settings: { capacitySeconds, seconds, factor, low, accounts, admission: admissionEnv }, capacity, phases: summary,
      rss: { idle: rssIdle, peak: rssPeak, after: rssAfter }, shedByReason, lastShedAfterDropMs: lastShedAfterDrop, unfinished, wallSeconds: (Date.now() - started) / 1000 }, null, 2) + '\n')
    log(`wrote ${path.relative(root, file)}`)
  } finally {
    await client.close()
    await server.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
