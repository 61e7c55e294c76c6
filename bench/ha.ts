/**
 * `npx tsx bench/ha.ts`: the cost of high availability. Complete passkey logins per second for one Sigil
 * instance on SQLite and for two Sigil instances over one Redis (AOF), in one run on this machine; with two
 * instances every login's options and verify go to different instances. Both setups also deliver every `login`
 * event to a local webhook receiver, and the run prints the outbox delivery latency (event written → receiver got
 * the signed POST), p50 and p99. It asserts nothing.
 *
 * Durability is matched by default: SQLite runs WAL with synchronous=NORMAL (a commit reaches the OS, not the
 * disk: it survives a killed process, not a power cut), and the like-for-like Redis setting is appendfsync
 * everysec (Redis writes the AOF before it answers, fsyncs once a second). `--fsync always` buys power-cut
 * durability for Redis alone; it is slower and compares unlike with like.
 *
 * Single runs on this shared 2-core machine move by up to 20 %, so by default the two setups run three times,
 * alternating (SQLite, Redis, SQLite, …), and the table shows each figure's median over the rounds and the
 * ratio of the median throughputs; every round's figures are printed as it ends.
 *
 *   tsx bench/ha.ts [--seconds 8] [--warmup 2] [--concurrency 64] [--accounts 600] [--fsync always|everysec|no] [--rounds 3]
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { newWebhookSecret } from '../server/audit/index.ts'
import { openKeyRing } from '../server/keys/index.ts'
import { createClient } from 'redis'
import { connectRedisStore, openSqliteStore, type Store } from '../server/store/index.ts'
import { startRedisServer } from '../server/testing/index.ts'
import { freePort, startServer, type ServerProcess } from './procs.ts'
import { percentile } from './stats.ts'
import { attach, root, type Target } from './targets.ts'
import { reportRows } from './report.ts'

const { values: args } = parseArgs({ options: {
  seconds: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2' },
  concurrency: { type: 'string', default: '64' }, accounts: { type: 'string', default: '600' },
  fsync: { type: 'string', default: 'everysec' }, only: { type: 'string' }, 'cpu-prof': { type: 'boolean', default: false },
  rounds: { type: 'string', default: '3' },
} })
const seconds = Number(args.seconds)
const warmupSeconds = Number(args.warmup)
const concurrency = Number(args.concurrency)
const accounts = Number(args.accounts)
const log = (s: string): void => void process.stderr.write(s + '\n')

/** Records, for every webhook POST, how long after the event was written it arrived. */
async function receiver(): Promise<{ url: string; latencies: number[]; close: () => Promise<void> }> {
  const latencies: number[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      const at = Date.parse((JSON.parse(body) as { timestamp: string }).timestamp)
      latencies.push(Date.now() - at)
      res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, latencies,
    close: async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)) } }
}

async function subscribe(store: Store, url: string): Promise<void> {
  await store.webhooks.createSubscription({ id: 'wh_bench', url, description: 'bench', eventTypes: ['login'],
    secret: newWebhookSecret(), createdAt: Date.now(), disabledAt: null })
  await store.close()
}

const baseEnv = (port: number, origin: string): Record<string, string> => ({
  PORT: String(port), HOST: '127.0.0.1', SIGIL_ORIGINS: origin, SIGIL_RP_ID: 'localhost', SIGIL_LOG_LEVEL: 'warn',
  SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production', SIGIL_OUTBOX_POLL_MS: '200',
  // Peak throughput: the utilization limit, which keeps latency down under overload by shedding, is off here
  // (bench/overload.ts measures it).
  SIGIL_ADMISSION_UTILIZATION: '0',
})

async function sqliteTarget(hookUrl: string): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-ha-'))
  await subscribe(openSqliteStore({ path: path.join(dir, 'sigil.db') }), hookUrl)
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const server = await startServer({ name: 'sigil-sqlite', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz',
    env: { ...baseEnv(port, origin), SIGIL_DATA_DIR: dir } })
  return attach('sigil', server, origin, { accounts, connections: 128 }, () => fs.rmSync(dir, { recursive: true, force: true }))
}

/** Commands redis-server has run so far, by name (INFO commandstats), to count round trips per login. */
async function redisCommandCounts(url: string): Promise<Map<string, number>> {
  const client = createClient({ url })
  await client.connect()
  try {
    const info = await client.info('commandstats')
    return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]))
  } finally {
    await client.quit()
  }
}

let redisUrl = ''

async function redisTarget(hookUrl: string): Promise<Target> {
  const redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', args.fsync!] })
  redisUrl = redis.url
  await subscribe(await connectRedisStore({ url: redis.url }), hookUrl)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-ha-'))
  await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
  // WebAuthn checks the origin, not the port answering: both instances serve the one origin a load balancer would.
  const origin = 'http://localhost:8080'
  const start = async (name: string): Promise<ServerProcess> => {
    const port = await freePort()
    const prof = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'profiles', name)}`] : []
    return startServer({ name, script: 'server/main.ts', port, cwd: root, readyPath: '/readyz', nodeArgs: prof,
      env: { ...baseEnv(port, origin), SIGIL_DATA_DIR: dir, SIGIL_KEYS_DIR: dir, SIGIL_STORE: 'redis', SIGIL_REDIS_URL: redis.url } })
  }
  const [a, b] = await Promise.all([start('sigil-a'), start('sigil-b')])
  const both: ServerProcess = { name: 'sigil x2', url: `${a.url},${b.url}`, child: a.child, output: () => a.output() + b.output(),
    stop: async () => { await Promise.all([a.stop(), b.stop()]); await redis.stop() } }
  return attach('sigil', both, origin, { accounts, connections: 64 }, () => fs.rmSync(dir, { recursive: true, force: true }))
}

interface Row { logins: number; p50: number; p99: number; errors: number; outboxP50: number; outboxP99: number; delivered: number; commandsPerLogin?: number }

async function measure(name: string, make: (hook: string) => Promise<Target>): Promise<Row> {
  const hook = await receiver()
  const t = await make(hook.url)
  try {
    log(`${name}: ${t.accounts} accounts in ${t.setupSeconds.toFixed(1)} s; ${concurrency} users, ${warmupSeconds}+${seconds} s ...`)
    hook.latencies.length = 0
    const before = name.includes('Redis') ? await redisCommandCounts(redisUrl) : undefined
    const r = await t.run({ cmd: 'closed', concurrency, warmupSeconds, seconds })
    let commandsPerLogin: number | undefined
    if (before) {
      const after = await redisCommandCounts(redisUrl)
      const logins = r.loginsPerSecond * (seconds + warmupSeconds)
      const delta = [...after].map(([cmd, n]) => [cmd, n - (before.get(cmd) ?? 0)] as const).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1])
      commandsPerLogin = delta.reduce((sum, [, n]) => sum + n, 0) / logins
      log(`  Redis commands per login (outbox and webhooks included; approximate, warm-up counted): ${commandsPerLogin.toFixed(1)}: ${delta.map(([c, n]) => `${c} ${(n / logins).toFixed(2)}`).join(', ')}`)
    }
    await new Promise((res) => setTimeout(res, 3000)) // let the outbox catch up before reading its figures
    const sorted = [...hook.latencies].sort((x, y) => x - y)
    log(`  ${r.loginsPerSecond} logins/s, p99 ${r.p99} ms, ${r.errorCount} errors; ${sorted.length} webhooks`)
    return { logins: r.loginsPerSecond, p50: r.p50, p99: r.p99, errors: r.errorCount,
      outboxP50: percentile(sorted, 50), outboxP99: percentile(sorted, 99), delivered: sorted.length, commandsPerLogin }
  } finally {
    await t.close()
    await hook.close()
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus()
  log(`${cpu[0]?.model}, ${cpu.length} cores, Node ${process.version}`)
  const none: Row = { logins: NaN, p50: NaN, p99: NaN, errors: NaN, outboxP50: NaN, outboxP99: NaN, delivered: NaN }
  const rounds = Math.max(1, Math.floor(Number(args.rounds)) || 1)
  const sqliteRounds: Row[] = []
  const redisRounds: Row[] = []
  for (let i = 1; i <= rounds; i++) {
    if (args.only !== 'redis') sqliteRounds.push(await measure(`round ${i}/${rounds}: SQLite, 1 instance`, sqliteTarget))
    if (args.only !== 'sqlite') redisRounds.push(await measure(`round ${i}/${rounds}: Redis (AOF ${args.fsync}), 2 instances`, redisTarget))
  }
  const median = (rows: Row[]): Row => {
    if (rows.length === 0) return none
    const m = (get: (r: Row) => number) => percentile([...rows.map(get)].sort((x, y) => x - y), 50)
    return { logins: m((r) => r.logins), p50: m((r) => r.p50), p99: m((r) => r.p99), errors: Math.max(...rows.map((r) => r.errors)),
      outboxP50: m((r) => r.outboxP50), outboxP99: m((r) => r.outboxP99), delivered: m((r) => r.delivered),
      commandsPerLogin: rows[0]!.commandsPerLogin === undefined ? undefined : m((r) => r.commandsPerLogin!) }
  }
  const sqlite = median(sqliteRounds)
  const redis = median(redisRounds)
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-')
  const rows: [string, (r: Row) => number][] = [
    ['logins/s (complete: options + verify)', (r) => r.logins], ['  p50 ms', (r) => r.p50], ['  p99 ms', (r) => r.p99],
    ['  errors', (r) => r.errors], ['outbox → webhook latency p50 ms', (r) => r.outboxP50],
    ['outbox → webhook latency p99 ms', (r) => r.outboxP99], ['webhooks delivered', (r) => r.delivered],
    ['Redis commands per login (approximate)', (r) => r.commandsPerLogin ?? NaN],
  ]
  const ratio = redis.logins / sqlite.logins
  process.stdout.write([
    '',
    `Logins with every login event delivered to a local webhook receiver; ${concurrency} closed-loop users; all on ${cpu.length} cores.`,
    `Medians of ${rounds} alternating round(s); errors: the most in any round.`,
    '',
    `Redis: appendonly yes, appendfsync ${args.fsync}.`,
    `${'figure'.padEnd(42)}${'SQLite x1'.padStart(11)}${'Redis x2'.padStart(11)}`,
    ...rows.map(([n, g]) => `${n.padEnd(42)}${f(g(sqlite)).padStart(11)}${f(g(redis)).padStart(11)}`),
    '',
    `goal Redis mode >= 0.8x SQLite mode: ${ratio.toFixed(2)}x -> ${ratio >= 0.8 ? 'met' : 'NOT met'}`,
    '',
  ].join('\n'))
  reportRows([
    { figure: 'sign-ins/s, 2 instances on Redis vs 1 on SQLite', sigil: redis.logins, unit: '/s', reference: { name: 'Sigil on SQLite x1', value: sqlite.logins },
      goal: { text: '>= 0.8x SQLite', met: ratio >= 0.8 } },
    { figure: 'outbox -> webhook p50 (ms), Redis x2', sigil: redis.outboxP50, unit: 'ms' },
    { figure: 'outbox -> webhook p99 (ms), Redis x2', sigil: redis.outboxP99, unit: 'ms' },
  ])
  const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-ha.json`)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: { cpu: cpu[0]?.model, cores: cpu.length, node: process.version },
    settings: { seconds, warmupSeconds, concurrency, accounts, appendfsync: args.fsync, rounds }, sqlite, redis, ratio, sqliteRounds, redisRounds }, null, 2) + '\n')
  log(`wrote ${path.relative(root, file)}`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
