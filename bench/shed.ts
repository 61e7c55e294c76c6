/**
 * `npm run bench:shed`: what one shed request costs the server, written before Express (Sigil's admission gate runs on
 * Node's request listener) against the same pre-built 503 written by a first Express middleware (where admission
 * control ran before 2026-12-06). Each variant is a child process answering every request with the 503; the load
 * (64 keep-alive connections, POST with a small JSON body, loopback) runs here. Prints requests/s and the server's CPU
 * per request, alternating the variants twice. Asserts nothing.
 *
 *   tsx bench/shed.ts [--seconds 5]
 */
import { fork } from 'node:child_process'
import http from 'node:http'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import express from 'express'
import { Pool } from 'undici'
import { treeCpuSeconds, freePort } from './procs.ts'

const BODY = JSON.stringify({ type: 'https://sigil.dev/problems/overloaded', title: 'Service Unavailable', status: 503, code: 'overloaded',
  detail: 'The server is overloaded; retry after the delay in Retry-After.' })
const HEADERS = { 'Content-Type': 'application/problem+json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(BODY)),
  'Retry-After': '1', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }
type Variant = 'before-express' | 'express-middleware'

if (process.env.SIGIL_SHED_SERVER) {
  const variant = process.env.SIGIL_SHED_SERVER as Variant
  let server: http.Server
  if (variant === 'before-express') server = http.createServer((_req, res) => void res.writeHead(503, HEADERS).end(BODY))
  else {
    const app = express()
    app.use((_req, res) => void res.writeHead(503, HEADERS).end(BODY))
    server = http.createServer(app)
  }
  server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'))
} else {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } })
  const seconds = Number(values.seconds)
  const cpus = os.cpus()
  process.stderr.write(`${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}; load generator in this process\n`)
  const results: Record<Variant, { rps: number[]; us: number[] }> = { 'before-express': { rps: [], us: [] }, 'express-middleware': { rps: [], us: [] } }
  for (const variant of ['express-middleware', 'before-express', 'express-middleware', 'before-express'] as Variant[]) {
    const port = await freePort()
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, SIGIL_SHED_SERVER: variant, PORT: String(port) } })
    await new Promise((resolve) => child.once('message', resolve))
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 })
    let n = 0
    const user = async (until: number): Promise<void> => {
      while (performance.now() < until) {
        const r = await pool.request({ method: 'POST', path: '/v1/passkeys/login/options', headers: { 'content-type': 'application/json' }, body: '{}' })
        await r.body.dump()
        if (r.statusCode !== 503) throw new Error(`unexpected ${r.statusCode}`)
        n++
      }
    }
    await Promise.all(Array.from({ length: 64 }, () => user(performance.now() + 1000)))
    n = 0
    const [t0, c0] = [performance.now(), treeCpuSeconds(child.pid!)]
    await Promise.all(Array.from({ length: 64 }, () => user(t0 + seconds * 1000)))
    const wall = (performance.now() - t0) / 1000
    const cpu = treeCpuSeconds(child.pid!) - c0
    results[variant].rps.push(n / wall)
    results[variant].us.push((cpu * 1e6) / n)
    await pool.close()
    child.kill()
  }
  const fmt = (xs: number[], d: number): string => xs.map((x) => x.toFixed(d)).join(', ')
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  for (const [variant, r] of Object.entries(results)) {
    process.stdout.write(`${variant.padEnd(20)} ${fmt(r.rps, 0).padStart(16)} shed requests/s   ${fmt(r.us, 1).padStart(14)} µs server CPU each\n`)
  }
  const ratio = mean(results['express-middleware'].us) / mean(results['before-express'].us)
  process.stdout.write(`a shed request before Express costs ${ratio.toFixed(1)}x less server CPU than one shed by a first Express middleware\n`)
}
