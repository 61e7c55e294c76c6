/**
 * `npm run soak -- --minutes 30` (not in CI): Sigil (SQLite) as a child process under steady, moderate load, a
 * fixed-rate mix of sign-ups, sign-ins and session reads, well below capacity. Every few seconds it samples the
 * server's RSS (/proc), heap used and event-loop delay p99 (its /metrics: prom-client's default metrics, the delay
 * histogram reset at each scrape). Writes bench/results/soak-<date>.json and an SVG chart beside it, and says
 * whether RSS stayed within ±10 % after warm-up (the goal). Asserts nothing.
 *
 *   tsx bench/soak.ts [--minutes 30] [--rate 20] [--sample-seconds 5] [--warmup-minutes <20 % of the run, 0.5 to 5>]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort, startServer } from './procs.ts'
import { percentile } from './stats.ts'
import { root } from './targets.ts'
import { rssBytes, signIn, signUp, signUpMany, sigilClient } from './ceremonies.ts'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '20' },
    'sample-seconds': { type: 'string', default: '5' },
    'warmup-minutes': { type: 'string' },
  },
})
const minutes = Number(args.minutes)
const rate = Number(args.rate)
const sampleSeconds = Number(args['sample-seconds'])
const warmupMinutes = args['warmup-minutes'] !== undefined ? Number(args['warmup-minutes']) : Math.min(5, Math.max(0.5, minutes * 0.2))
if (![minutes, rate, sampleSeconds].every((n) => Number.isFinite(n) && n > 0) || !(warmupMinutes >= 0 && warmupMinutes < minutes)) {
  process.stderr.write('usage: tsx bench/soak.ts [--minutes 30] [--rate 20] [--sample-seconds 5] [--warmup-minutes M]  (M < minutes)\n')
  process.exit(2)
}
const log = (s: string): void => void process.stderr.write(s + '\n')

interface SoakSample {
  /** Seconds since the load started. */
  t: number
  rssBytes: number
  heapUsedBytes: number
  loopDelayP99Ms: number
  /** Operations finished in this sample's interval, failed ones, and the p99 of the finished ones. */
  ops: number
  errors: number
  p99Ms: number
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)
  return m ? Number(m[1]) : NaN
}

async function main(): Promise<void> {
  const cpus = os.cpus()
  log(`${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-soak-'))
  const server = await startServer({ name: 'sigil', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz', env: {
    PORT: String(port), HOST: '127.0.0.1', SIGIL_DATA_DIR: dataDir, SIGIL_ORIGINS: origin, SIGIL_RP_ID: 'localhost',
    // All load comes from 127.0.0.1, so the per-IP limit is lifted (as in bench/login.ts).
    SIGIL_LOG_LEVEL: 'warn', SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production',
  } })
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { stopping = true })
  const pid = server.child.pid!
  const client = sigilClient(server.url, origin, { connections: 64, timeoutMs: 10_000 })
  try {
    const auths = await signUpMany(client, 200, `s${process.pid}-`)
    const cookies: string[] = []
    let n = 0
    let made = 0
    /** One operation of the mix: 10 % sign-ups, 40 % sign-ins, 50 % session reads (GET /v1/me). */
    const operation = async (): Promise<boolean> => {
      const k = n++ % 10
      if (k === 0) return (await signUp(client, `s${process.pid}-n${made++}`)) !== undefined
      if (k <= 4) {
        const r = await signIn(client, auths[n % auths.length]!)
        if (r.verify?.status !== 200 || !r.verify.cookie) return false
        cookies[n % 100] = r.verify.cookie
        return true
      }
      const cookie = cookies[n % cookies.length]
      return cookie === undefined || (await client.request('GET', '/v1/me', undefined, cookie)).status === 200
    }

    log(`Sigil on ${server.url} (MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}): ${rate} operations/s for ${minutes} min, a sample every ${sampleSeconds} s, warm-up ${+warmupMinutes.toFixed(2)} min (Ctrl-C stops early and still writes the results)`)
    const samples: SoakSample[] = []
    let window = { ops: 0, errors: 0, lat: [] as number[] }
    const start = performance.now()
    const end = start + minutes * 60_000
    let nextSample = start + sampleSeconds * 1000
    let due = start
    const running = new Set<Promise<void>>()
    while (!stopping && performance.now() < end && server.child.exitCode === null) {
      const now = performance.now()
      for (; due <= now; due += 1000 / rate) {
        const scheduled = due
        const p: Promise<void> = operation().catch(() => false).then((ok) => {
          window.ops++
          if (!ok) window.errors++
          else window.lat.push(performance.now() - scheduled)
        }).finally(() => running.delete(p))
        running.add(p)
      }
      if (now >= nextSample) {
        nextSample += sampleSeconds * 1000
        const text = (await client.request('GET', '/metrics')).json as string
        const lat = Float64Array.from(window.lat).sort()
        const s: SoakSample = { t: Math.round((now - start) / 100) / 10, rssBytes: rssBytes(pid) || metric(text, 'sigil_process_resident_memory_bytes'),
          heapUsedBytes: metric(text, 'sigil_nodejs_heap_size_used_bytes'), loopDelayP99Ms: metric(text, 'sigil_nodejs_eventloop_lag_p99_seconds') * 1000,
          ops: window.ops, errors: window.errors, p99Ms: percentile(lat, 99) }
        samples.push(s)
        window = { ops: 0, errors: 0, lat: [] }
        if (samples.length % Math.max(1, Math.round(60 / sampleSeconds)) === 0) {
          log(`  ${(s.t / 60).toFixed(1)} min: RSS ${(s.rssBytes / 2 ** 20).toFixed(1)} MB, heap ${(s.heapUsedBytes / 2 ** 20).toFixed(1)} MB, loop p99 ${s.loopDelayP99Ms.toFixed(1)} ms, ${s.ops} ops (${s.errors} failed) in ${sampleSeconds} s`)
        }
      }
      await sleep(5)
    }
    await Promise.race([Promise.all(running), sleep(10_000)])
    if (server.child.exitCode !== null) log(`Sigil exited with ${server.child.exitCode}:\n${server.output()}`)

    // After warm-up, RSS is judged against the median of its first minute (or first three samples).
    const after = samples.filter((s) => s.t >= warmupMinutes * 60)
    const head = after.slice(0, Math.max(3, Math.round(60 / sampleSeconds))).map((s) => s.rssBytes).sort((a, b) => a - b)
    const reference = head[Math.floor(head.length / 2)] ?? NaN
    const deviations = after.map((s) => (s.rssBytes - reference) / reference * 100)
    const maxUp = Math.max(...deviations)
    const maxDown = Math.min(...deviations)
    const within = after.length >= 3 && maxUp <= 10 && maxDown >= -10
    // Least-squares trend of RSS after warm-up, in % of the reference per hour: a leak shows as a steady climb.
    const mt = after.reduce((a, s) => a + s.t, 0) / after.length
    const mr = after.reduce((a, s) => a + s.rssBytes, 0) / after.length
    const slope = after.reduce((a, s) => a + (s.t - mt) * (s.rssBytes - mr), 0) / after.reduce((a, s) => a + (s.t - mt) ** 2, 0)
    const trendPctPerHour = slope * 3600 / reference * 100
    const verdict = { warmupSeconds: warmupMinutes * 60, referenceRssBytes: reference, maxDeviationPct: { up: maxUp, down: maxDown }, withinTenPercent: within, trendPctPerHour,
      operations: samples.reduce((a, s) => a + s.ops, 0), failed: samples.reduce((a, s) => a + s.errors, 0) }

    const stamp = new Date().toISOString().slice(0, 16).replace(':', '')
    const base = path.join(root, 'bench', 'results', `soak-${stamp}`)
    fs.mkdirSync(path.dirname(base), { recursive: true })
    fs.writeFileSync(`${base}.json`, JSON.stringify({ date: new Date().toISOString(), machine: { cpu: cpus[0]?.model, cores: cpus.length, node: process.version, loadAverageAtEnd: os.loadavg() },
      settings: { minutes, rate, sampleSeconds, warmupMinutes, mix: '10 % sign-ups, 40 % sign-ins, 50 % GET /v1/me',
        // glibc's allocator setting, inherited by the server (it changes how much freed native memory RSS keeps).
        mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null }, verdict, samples }, null, 2) + '\n')
    fs.writeFileSync(`${base}.svg`, soakChart(samples, { warmupSeconds: warmupMinutes * 60, referenceRssBytes: reference, title: `Sigil soak, ${rate} ops/s, ${new Date().toISOString().slice(0, 16)}Z` }))
    process.stdout.write([
      '',
      `${samples.length} samples over ${(samples.at(-1)?.t ?? 0) / 60 > 0 ? ((samples.at(-1)!.t) / 60).toFixed(1) : 0} min; ${verdict.operations} operations, ${verdict.failed} failed`,
      `RSS after warm-up: reference ${(reference / 2 ** 20).toFixed(1)} MB, range ${maxDown.toFixed(1)} % .. +${maxUp.toFixed(1)} %, trend ${trendPctPerHour.toFixed(1)} %/h`,
      `goal, RSS flat within ±10 % after warm-up: ${within ? 'met' : after.length < 3 ? 'not judged (too few samples after warm-up)' : 'NOT met'}`,
      `heap used: ${(Math.min(...samples.map((s) => s.heapUsedBytes)) / 2 ** 20).toFixed(1)} .. ${(Math.max(...samples.map((s) => s.heapUsedBytes)) / 2 ** 20).toFixed(1)} MB; event-loop delay p99, worst sample: ${Math.max(...samples.map((s) => s.loopDelayP99Ms)).toFixed(1)} ms`,
      `wrote ${path.relative(root, base)}.json and .svg`,
      '',
    ].join('\n'))
  } finally {
    await client.close()
    await server.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

/** A self-contained SVG: RSS (with the ±10 % band), heap used and event-loop delay p99 over time; warm-up shaded. */
function soakChart(samples: SoakSample[], opts: { warmupSeconds: number; referenceRssBytes: number; title: string }): string {
  const MB = 2 ** 20
  const [W, L, R, T, PH, GAP] = [960, 70, 20, 40, 170, 45]
  const panels: { name: string; get: (s: SoakSample) => number; band?: [number, number] }[] = [
    { name: 'RSS, MB (band: ±10 % of the reference after warm-up)', get: (s) => s.rssBytes / MB,
      ...(Number.isFinite(opts.referenceRssBytes) ? { band: [opts.referenceRssBytes * 0.9 / MB, opts.referenceRssBytes * 1.1 / MB] as [number, number] } : {}) },
    { name: 'heap used, MB', get: (s) => s.heapUsedBytes / MB },
    { name: 'event-loop delay p99, ms', get: (s) => s.loopDelayP99Ms },
  ]
  const tMax = Math.max(1, ...samples.map((s) => s.t))
  const x = (t: number): number => L + (t / tMax) * (W - L - R)
  const H = T + panels.length * (PH + GAP)
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`, `<text x="${L}" y="22" font-size="15">${opts.title}</text>`]
  panels.forEach((p, i) => {
    const top = T + i * (PH + GAP)
    const values = samples.map(p.get).filter(Number.isFinite)
    let lo = Math.min(...values, ...(p.band ? [p.band[0]] : []), Infinity)
    let hi = Math.max(...values, ...(p.band ? [p.band[1]] : []), -Infinity)
    if (!Number.isFinite(lo)) [lo, hi] = [0, 1]
    if (hi - lo < 1e-9) hi = lo + 1
    const pad = (hi - lo) * 0.05
    lo = Math.max(0, lo - pad)
    hi += pad
    const y = (v: number): number => top + PH - ((v - lo) / (hi - lo)) * PH
    out.push(`<rect x="${L}" y="${top}" width="${W - L - R}" height="${PH}" fill="none" stroke="#999"/>`,
      `<rect x="${L}" y="${top}" width="${(x(opts.warmupSeconds) - L).toFixed(1)}" height="${PH}" fill="#eee"/>`,
      `<text x="${L}" y="${top - 6}">${p.name}</text>`)
    if (p.band) out.push(`<rect x="${L}" y="${y(p.band[1]).toFixed(1)}" width="${W - L - R}" height="${(y(p.band[0]) - y(p.band[1])).toFixed(1)}" fill="#2a7" fill-opacity="0.12"/>`)
    for (const v of [lo, (lo + hi) / 2, hi]) out.push(`<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`)
    const points = samples.filter((s) => Number.isFinite(p.get(s))).map((s) => `${x(s.t).toFixed(1)},${y(p.get(s)).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${points}" fill="none" stroke="#2563eb" stroke-width="1.5"/>`)
    for (let k = 0; k <= 5; k++) out.push(`<text x="${x((tMax * k) / 5).toFixed(1)}" y="${top + PH + 15}" text-anchor="middle">${((tMax * k) / 5 / 60).toFixed(1)} min</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

main().catch((err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
