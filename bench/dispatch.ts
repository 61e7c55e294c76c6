/**
 * `npm run bench:dispatch`: the server CPU one API request costs with Sigil's own route table
 * (`SIGIL_DIRECT_ROUTES=true`, the default) and with every request routed by Express (`false`). The real server
 * (server/main.ts, SQLite) runs once per variant, alternating, three times each; the load (64 keep-alive connections,
 * loopback) runs here. Two requests: `GET /v1/me` without a session (401 problem: middleware, authentication and
 * the problem answer, no store call), `POST /v1/passkeys/login/options` (the first half of a sign-in: rate limit
 * and challenge in the store), and `GET /.well-known/jwks.json`, which Express's router still routes (with the
 * setting on, without swapping prototypes). Prints requests/s and server CPU per request for each. Asserts nothing.
 *
 *   tsx bench/dispatch.ts [--seconds 5] [--rounds 3]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { freePort, startServer, treeCpuSeconds } from './procs.ts'
import { peakSigilEnv, root } from './targets.ts'
import { reportRows } from './report.ts'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } })
const seconds = Number(values.seconds)
const rounds = Number(values.rounds)
const cpus = os.cpus()
process.stderr.write(`${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}; load generator in this process\n`)

type Variant = 'express' | 'direct'
const requests = [
  { name: 'GET /v1/me (401)', method: 'GET' as const, path: '/v1/me', body: undefined, status: 401 },
  { name: 'POST /v1/passkeys/login/options', method: 'POST' as const, path: '/v1/passkeys/login/options', body: '{}', status: 200 },
  // Routed by Express's router in both variants; with the setting on, without app.handle's prototype swap.
  { name: 'GET /.well-known/jwks.json', method: 'GET' as const, path: '/.well-known/jwks.json', body: undefined, status: 200 },
]
const results = new Map<string, { rps: number[]; us: number[] }>()

for (let round = 0; round < rounds; round++) {
  for (const variant of ['express', 'direct'] as Variant[]) {
    const port = await freePort()
    const origin = `http://localhost:${port}`
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-dispatch-'))
    const server = await startServer({ name: 'sigil', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz',
      env: { ...peakSigilEnv(port, dataDir), SIGIL_DIRECT_ROUTES: String(variant === 'direct') } })
    const pool = new Pool(server.url, { connections: 64 })
    try {
      for (const r of requests) {
        let n = 0
        const user = async (until: number): Promise<void> => {
          while (performance.now() < until) {
            const res = await pool.request({ method: r.method, path: r.path, body: r.body,
              headers: { 'content-type': 'application/json', origin } })
            await res.body.dump()
            if (res.statusCode !== r.status) throw new Error(`${r.name}: ${res.statusCode}`)
            n++
          }
        }
        await Promise.all(Array.from({ length: 64 }, () => user(performance.now() + 1500)))
        n = 0
        const [t0, c0] = [performance.now(), treeCpuSeconds(server.child.pid!)]
        await Promise.all(Array.from({ length: 64 }, () => user(t0 + seconds * 1000)))
        const wall = (performance.now() - t0) / 1000
        const cpu = treeCpuSeconds(server.child.pid!) - c0
        const key = `${r.name}|${variant}`
        if (!results.has(key)) results.set(key, { rps: [], us: [] })
        results.get(key)!.rps.push(n / wall)
        results.get(key)!.us.push((cpu * 1e6) / n)
      }
    } finally {
      await pool.close()
      await server.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

const fmt = (xs: number[], d: number): string => xs.map((x) => x.toFixed(d)).join(', ')
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const rows = []
for (const r of requests) {
  const e = results.get(`${r.name}|express`)!
  const d = results.get(`${r.name}|direct`)!
  process.stdout.write(`${r.name}\n`)
  process.stdout.write(`  Express router   ${fmt(e.rps, 0).padStart(20)} requests/s   ${fmt(e.us, 1).padStart(20)} µs server CPU each\n`)
  process.stdout.write(`  direct routes    ${fmt(d.rps, 0).padStart(20)} requests/s   ${fmt(d.us, 1).padStart(20)} µs server CPU each\n`)
  process.stdout.write(`  median saving    ${(median(e.us) - median(d.us)).toFixed(1)} µs per request (${(100 * (1 - median(d.us) / median(e.us))).toFixed(1)} %)\n`)
  rows.push({ figure: `${r.name}: server CPU per request, direct routes (µs)`, sigil: median(d.us), reference: { name: 'Express router', value: median(e.us) }, unit: 'µs' })
}
reportRows(rows)
