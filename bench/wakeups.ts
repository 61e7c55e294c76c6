/**
 * `npx tsx bench/wakeups.ts`: what one HTTP request costs a bare node:http server (no framework, no store; each
 * answer hashes 20 times, about 20 µs of work) when requests arrive at fixed rates, and when they queue (closed
 * loop). On a machine where waking an idle CPU is cheap the cost per request hardly moves with the rate; on
 * this 2-core VM it is several times higher at low rates (README, Performance: the p99 at 70 % of peak). Open-loop
 * arrivals from a second process over keep-alive; server CPU from the server's own `process.cpuUsage()`.
 *
 *   tsx bench/wakeups.ts [--rates 200,1000,3000,6000] [--seconds 4]
 */
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { percentile } from './stats.ts'

const SERVER = `
const http = require('node:http')
const { createHash } = require('node:crypto')
const s = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    let h = 'x'
    for (let i = 0; i < 20; i++) h = createHash('sha256').update(h).digest('hex')
    res.end(h.slice(0, 8))
  })
})
s.keepAliveTimeout = 60000
s.listen(0, '127.0.0.1', () => process.send({ port: s.address().port }))
process.on('message', () => { const c = process.cpuUsage(); process.send({ cpu: (c.user + c.system) / 1e6 }) })
`

const { values: args } = parseArgs({ options: { rates: { type: 'string', default: '200,1000,3000,6000' }, seconds: { type: 'string', default: '4' } } })
const rates = args.rates.split(',').map(Number)
const seconds = Number(args.seconds)
if (![seconds, ...rates].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write('usage: tsx bench/wakeups.ts [--rates 200,1000,3000,6000] [--seconds 4]\n')
  process.exit(2)
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve((m as { port: number }).port)))
  const serverCpu = () => new Promise<number>((resolve) => { child.once('message', (m) => resolve((m as { cpu: number }).cpu)); child.send('cpu') })
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 })
  const get = async () => { const r = await pool.request({ path: '/', method: 'GET' }); await r.body.text() }
  const lines = [`${'load'.padEnd(22)}${'req/s'.padStart(8)}${'µs CPU/req'.padStart(12)}${'cores'.padStart(7)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}`]
  const row = (load: string, n: number, cpu: number, wall: number, lat: number[]) => {
    lat.sort((a, b) => a - b)
    lines.push(`${load.padEnd(22)}${(n / wall).toFixed(0).padStart(8)}${((cpu / n) * 1e6).toFixed(0).padStart(12)}${(cpu / wall).toFixed(2).padStart(7)}${percentile(lat, 50).toFixed(2).padStart(8)}${percentile(lat, 99).toFixed(2).padStart(8)}`)
  }
  try {
    for (let i = 0; i < 2000; i++) await get() // warm-up
    for (const rate of rates) {
      const total = Math.round(rate * seconds)
      const lat: number[] = []
      const c0 = await serverCpu()
      const t0 = performance.now()
      await new Promise<void>((resolve, reject) => {
        let sent = 0
        let done = 0
        const tick = () => {
          const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate))
          for (; sent < due; sent++) {
            const at = t0 + (sent * 1000) / rate
            get().then(() => { lat.push(performance.now() - at); if (++done === total) resolve() }, reject)
          }
          if (sent < total) setTimeout(tick, 1)
        }
        tick()
      })
      const wall = (performance.now() - t0) / 1000
      row(`paced ${rate}/s`, total, (await serverCpu()) - c0, wall, lat)
    }
    // Closed loop: 64 requests always in flight, so the server never waits for one.
    const lat: number[] = []
    const c0 = await serverCpu()
    const t0 = performance.now()
    const end = t0 + seconds * 1000
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (performance.now() < end) { const s = performance.now(); await get(); lat.push(performance.now() - s) }
    }))
    row('closed loop, 64', lat.length, (await serverCpu()) - c0, (performance.now() - t0) / 1000, lat)
  } finally {
    await pool.close()
    child.kill()
  }
  process.stdout.write(['', 'A bare node:http server (about 20 µs of work per request) and its CPU per request by arrival rate:', '', ...lines, ''].join('\n') + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
