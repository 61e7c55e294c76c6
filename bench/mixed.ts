/**
 * `npm run bench:mixed`: a realistic mix of Sigil's flows at once, closed loop, against Sigil on SQLite (one
 * process) and on Redis (two processes over one redis-server, AOF everysec; every flow's steps alternate between
 * the instances, as bench/ha.ts does). Per 100 operations: 10 sign-ups, 55 sign-ins, 10 signing approvals (create →
 * options → verify per approver the policy asks → token → redeem, shipped policy), 10 KYC credential issuances
 * (vendor submits the subject → officer offers → wallet: token → nonce → credential), 10 OpenID4VP presentations
 * (app asks → wallet fetches the request object and answers by direct_post → app reads the result) and 5 stateless
 * presentation checks (POST /v1/presentations/verify). Software authenticators and wallets run in this process;
 * Sigil runs in child processes, so they never share an event loop. Prints one table per mode (endpoint, count,
 * p50, p99, errors; then per operation) and writes bench/results/<date>-mixed.json. Asserts nothing.
 *
 *   tsx bench/mixed.ts [--seconds 60] [--warmup 3] [--concurrency 32] [--accounts 600] [--only sqlite|redis] [--quick]
 *
 * --quick: 5 s measured after 1 s warm-up, fewer accounts. Any answer but the expected 2xx is an error.
 * Sign-ins rotate evenly over --accounts accounts (Sigil allows 30 sign-ins per account per minute: 600 leave room for
 * 300 sign-ins/s, 240 gave 429s at 100/s, windows being per minute and not sliding); approvers rotate
 * (300 approvals per approver per minute; 12 per group gave 429s at 343 operations/s on Redis, so 24); every approval uses a new source wallet (the velocity rule stays quiet).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { decodeJwt } from 'jose'
import { Pool } from 'undici'
import { presentSdJwtVc, type ClaimPath } from '../credentials/index.ts'
import { openKeyRing } from '../server/keys/index.ts'
import { createApiClient } from '../server/clients/index.ts'
import { connectRedisStore, openSqliteStore, type Store } from '../server/store/index.ts'
import { createSoftAuthenticator, startRedisServer, type SoftAuthenticator } from '../server/testing/index.ts'
import { KYC_DATA, makeHolder } from '../server/testing/kycHarness.ts'
import { freePort, machineBusySeconds, startServer, treeCpuSeconds, type ServerProcess } from './procs.ts'
import { percentile } from './stats.ts'
import { reportRows } from './report.ts'
import { root } from './targets.ts'

const { values: args } = parseArgs({ options: {
  seconds: { type: 'string' }, warmup: { type: 'string' }, concurrency: { type: 'string', default: '32' },
  accounts: { type: 'string' }, approvers: { type: 'string', default: '24' }, only: { type: 'string' },
  quick: { type: 'boolean', default: false },
} })
const quick = args.quick
const seconds = Number(args.seconds ?? (quick ? 5 : 60))
const warmup = Number(args.warmup ?? (quick ? 1 : 3))
const concurrency = Number(args.concurrency)
const accountCount = Number(args.accounts ?? (quick ? 120 : 600))
const approversPerGroup = Number(args.approvers)
if (![seconds, warmup, concurrency, accountCount, approversPerGroup].every((n) => Number.isFinite(n) && n > 0)
  || (args.only !== undefined && args.only !== 'sqlite' && args.only !== 'redis')) {
  process.stderr.write('usage: tsx bench/mixed.ts [--seconds 60] [--warmup 3] [--concurrency 32] [--accounts 600] [--approvers 24] [--only sqlite|redis] [--quick]\n')
  process.exit(2)
}
const log = (s: string): void => void process.stderr.write(s + '\n')

/** Operations per 100, in a fixed shuffled order every virtual user walks through. */
const MIX = { signUp: 10, signIn: 55, approval: 10, issuance: 10, presentation: 10, verify: 5 } as const
type Op = keyof typeof MIX
const OP_NAMES: Record<Op, string> = { signUp: 'sign-up', signIn: 'sign-in', approval: 'approval round trip', issuance: 'credential issuance',
  presentation: 'presentation (OpenID4VP)', verify: 'presentation (stateless verify)' }
function sequence(): Op[] {
  const ops = (Object.entries(MIX) as [Op, number][]).flatMap(([op, n]) => Array<Op>(n).fill(op))
  let seed = 42
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  for (let i = ops.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [ops[i], ops[j]] = [ops[j]!, ops[i]!] }
  return ops
}

const ASKED = ['age_equal_or_over.18', 'sanctions_screened']
const ASKED_PATHS: ClaimPath[] = ASKED.map((c) => c.split('.'))
const STATELESS_NONCE = 'bench-mixed-nonce-0123456789'

class Failure extends Error {}

interface Reply { status: number; json: any; text: string; cookie: string | undefined }
interface Stats { latencies: Map<string, number[]>; errors: Map<string, number>; ops: Map<Op, number[]>; opErrors: Map<Op, number> }

/** HTTP to one or more instances; each call goes to the next instance in turn. Records per route template while `measuring`. */
class Client {
  private pools: Pool[]
  private turn = 0
  measuring = false
  /** In the set-up only: a request shed with 503 (admission control) is retried after its Retry-After. */
  retryShed = false
  stats: Stats = { latencies: new Map(), errors: new Map(), ops: new Map(), opErrors: new Map() }
  constructor(urls: string[], readonly origin: string) {
    this.pools = urls.map((u) => new Pool(u, { connections: 64, pipelining: 1, keepAliveTimeout: 4_000, headersTimeout: 30_000, bodyTimeout: 30_000 }))
  }

  /** One request; anything but `expect` throws a Failure after counting it under "endpoint status code". */
  async call(endpoint: string, method: 'GET' | 'POST', p: string, expect: number, opts: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string>; cookie?: string; retries?: number } = {}): Promise<Reply> {
    const pool = this.pools[this.turn++ % this.pools.length]!
    const headers: Record<string, string> = { origin: this.origin, ...opts.headers }
    let body: string | undefined
    if (opts.json !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(opts.json) }
    if (opts.form) { headers['content-type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(opts.form).toString() }
    if (opts.cookie) headers.cookie = opts.cookie
    const t0 = performance.now()
    let status = 0
    let text = ''
    let cookie: string | undefined
    try {
      const res = await pool.request({ path: p, method, headers, body })
      text = await res.body.text()
      status = res.statusCode
      const set = res.headers['set-cookie']
      cookie = (Array.isArray(set) ? set[0] : set)?.split(';')[0]
    } catch (err) {
      const key = `${method} ${endpoint} no answer: ${String((err as { code?: string }).code ?? (err as Error).message).slice(0, 60)}`
      if (this.measuring) this.stats.errors.set(key, (this.stats.errors.get(key) ?? 0) + 1)
      throw new Failure(key)
    }
    const ms = performance.now() - t0
    if (status === 503 && this.retryShed && (opts.retries ?? 0) < 10) {
      await sleep(1000)
      return this.call(endpoint, method, p, expect, { ...opts, retries: (opts.retries ?? 0) + 1 })
    }
    let json: any
    try { json = text ? JSON.parse(text) : undefined } catch { json = undefined }
    const name = `${method} ${endpoint}`
    if (this.measuring) {
      if (!this.stats.latencies.has(name)) this.stats.latencies.set(name, [])
      this.stats.latencies.get(name)!.push(ms)
    }
    if (status !== expect) {
      const key = `${name} ${status} ${json?.code ?? json?.error ?? ''}`.trim()
      if (this.measuring) this.stats.errors.set(key, (this.stats.errors.get(key) ?? 0) + 1)
      throw new Failure(`${key}: ${text.slice(0, 300)}`)
    }
    return { status, json, text, cookie }
  }

  close(): Promise<void[]> { return Promise.all(this.pools.map((p) => p.close())) }
}

interface World {
  c: Client
  accounts: SoftAuthenticator[]
  approvers: Map<string, { cookie: string; auth: SoftAuthenticator }[]>
  officerCookie: string
  keys: { wallet: string; signer: string; signerId: string; vendor: string; app: string; appId: string }
  /** Credentials issued in the set-up, with their holders, for presentations. */
  credentials: { credential: string; holder: Awaited<ReturnType<typeof makeHolder>> }[]
  prefix: string
}

let uniq = 0
/** Separate turns for sign-in accounts and for held credentials, so each rotation is even whatever the mix. */
let nextAccount = 0
let nextCredential = 0

async function signUp(c: Client, handle: string): Promise<{ auth: SoftAuthenticator; cookie: string; userId: string }> {
  const auth = createSoftAuthenticator({ alg: 'ES256' })
  const o = await c.call('/v1/passkeys/register/options', 'POST', '/v1/passkeys/register/options', 200, { json: { handle, displayName: 'Bench user' } })
  const response = await auth.register(o.json, { origin: c.origin })
  const v = await c.call('/v1/passkeys/register/verify', 'POST', '/v1/passkeys/register/verify', 201, { json: { response }, cookie: o.cookie })
  return { auth, cookie: v.cookie!, userId: v.json.user.id }
}

async function signIn(w: World): Promise<void> {
  const auth = w.accounts[nextAccount++ % w.accounts.length]!
  const o = await w.c.call('/v1/passkeys/login/options', 'POST', '/v1/passkeys/login/options', 200, { json: {} })
  const response = await auth.authenticate(o.json, { origin: w.c.origin })
  const v = await w.c.call('/v1/passkeys/login/verify', 'POST', '/v1/passkeys/login/verify', 200, { json: { response }, cookie: o.cookie })
  if (!v.cookie) throw new Failure('sign-in verify without Set-Cookie')
}

const approverTurn = new Map<string, number>()
async function approval(w: World): Promise<void> {
  const wallet = { authorization: `Bearer ${w.keys.wallet}` }
  const created = await w.c.call('/v1/approvals', 'POST', '/v1/approvals', 201, { headers: wallet, json: { intent: { chain: 'ethereum', asset: 'eth', amount: '25',
    source: { walletId: `${w.prefix}w${uniq++}` }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }, signer: w.keys.signerId } })
  const id = created.json.id as string
  for (const need of created.json.requirements as { group: string; quorum: number }[]) {
    const pool = w.approvers.get(need.group)
    if (!pool) throw new Failure(`the policy asks for group ${need.group}, which the bench has no approvers for`)
    // Take the quorum's turns at once: with users interleaving, one person could otherwise come round twice.
    const t = approverTurn.get(need.group) ?? 0
    approverTurn.set(need.group, t + need.quorum)
    for (let k = 0; k < need.quorum; k++) {
      const a = pool[(t + k) % pool.length]!
      const o = await w.c.call('/v1/approvals/:id/options', 'POST', `/v1/approvals/${id}/options`, 200, { json: { decision: 'approve' }, cookie: a.cookie })
      await w.c.call('/v1/approvals/:id/verify', 'POST', `/v1/approvals/${id}/verify`, 200, { json: { response: await a.auth.authenticate(o.json, { origin: w.c.origin }) }, cookie: a.cookie })
    }
  }
  const tok = await w.c.call('/v1/approvals/:id/token', 'GET', `/v1/approvals/${id}/token`, 200, { headers: wallet })
  await w.c.call('/v1/approvals/:id/redeem', 'POST', `/v1/approvals/${id}/redeem`, 200, { headers: { authorization: `Bearer ${w.keys.signer}` }, json: { token: tok.json.token } })
}

/** The KYC vendor submits a subject, the officer makes an offer, and a wallet runs the pre-authorized code flow. */
async function issuance(w: World): Promise<{ credential: string; holder: Awaited<ReturnType<typeof makeHolder>> }> {
  const s = await w.c.call('/v1/kyc/subjects', 'POST', '/v1/kyc/subjects', 201, { json: { data: KYC_DATA }, headers: { authorization: `Bearer ${w.keys.vendor}` } })
  const offer = await w.c.call('/v1/kyc/offers', 'POST', '/v1/kyc/offers', 201, { json: { subjectRef: s.json.subjectRef }, cookie: w.officerCookie })
  const grant = offer.json.offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code']
  const issuer = offer.json.offer.credential_issuer as string
  const holder = await makeHolder()
  const tok = await w.c.call('/token', 'POST', '/token', 200, { form: { grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': grant['pre-authorized_code'] } })
  const n = await w.c.call('/nonce', 'POST', '/nonce', 200)
  const proof = await holder.proof({ aud: issuer, iat: Math.floor(Date.now() / 1000), nonce: n.json.c_nonce })
  const cred = await w.c.call('/credential', 'POST', '/credential', 200, { headers: { authorization: `Bearer ${tok.json.access_token}` },
    json: { credential_configuration_id: 'kyc_sd_jwt', proofs: { jwt: [proof] } } })
  return { credential: cred.json.credentials[0].credential, holder }
}

/** OpenID4VP: the app asks, the wallet fetches the signed request object and posts vp_token, the app reads the result. */
async function presentation(w: World): Promise<void> {
  const app = { authorization: `Bearer ${w.keys.app}` }
  const req = await w.c.call('/v1/presentations/requests', 'POST', '/v1/presentations/requests', 201, { json: { claims: ASKED }, headers: app })
  const ro = await w.c.call('/v1/presentations/request-objects/:id', 'GET', new URL(req.json.requestUri).pathname, 200)
  const payload = decodeJwt(ro.text.trim())
  const held = w.credentials[nextCredential++ % w.credentials.length]!
  const vp = await presentSdJwtVc(held.credential, { disclose: ASKED_PATHS,
    keyBinding: { holder: held.holder.signer, nonce: String(payload.nonce), audience: String(payload.client_id), now: new Date() } })
  await w.c.call('/v1/presentations/responses/:id', 'POST', new URL(String(payload.response_uri)).pathname, 200,
    { form: { vp_token: JSON.stringify({ kyc: [vp] }), state: String(payload.state) } })
  const result = await w.c.call('/v1/presentations/requests/:id', 'GET', `/v1/presentations/requests/${req.json.id}`, 200, { headers: app })
  if (result.json.status !== 'verified') throw new Failure(`presentation result ${result.json.status} ${result.json.reason ?? ''}`)
}

async function statelessVerify(w: World): Promise<void> {
  const held = w.credentials[nextCredential++ % w.credentials.length]!
  const vp = await presentSdJwtVc(held.credential, { disclose: ASKED_PATHS,
    keyBinding: { holder: held.holder.signer, nonce: STATELESS_NONCE, audience: w.keys.appId, now: new Date() } })
  await w.c.call('/v1/presentations/verify', 'POST', '/v1/presentations/verify', 200, { headers: { authorization: `Bearer ${w.keys.app}` },
    json: { presentation: vp, nonce: STATELESS_NONCE, claims: ASKED } })
}

async function runOp(w: World, op: Op): Promise<void> {
  if (op === 'signUp') await signUp(w.c, `${w.prefix}new${uniq++}`)
  else if (op === 'signIn') await signIn(w)
  else if (op === 'approval') await approval(w)
  else if (op === 'issuance') await issuance(w)
  else if (op === 'presentation') await presentation(w)
  else await statelessVerify(w)
}

/** `n` jobs, `parallel` at a time. */
async function parallel<T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  let i = 0
  await Promise.all(Array.from({ length: width }, async () => { while (i < n) { const k = i++; out[k] = await job(k) } }))
  return out
}

/** Accounts, approvers (roles set in the store, as `sigil users set-roles` does), the officer, and credentials to present. */
async function setUp(c: Client, openStore: () => Promise<Store>, keys: World['keys'], prefix: string): Promise<World> {
  const accounts = await parallel(accountCount, 8, (i) => signUp(c, `${prefix}acct${i}`))
  const groups = ['treasury', 'risk']
  const approvers = new Map<string, { cookie: string; auth: SoftAuthenticator }[]>()
  const store = await openStore()
  try {
    for (const g of groups) {
      const made = await parallel(approversPerGroup, 8, (i) => signUp(c, `${prefix}${g}${i}`))
      for (const a of made) await store.users.setRoles(a.userId, [g])
      approvers.set(g, made.map(({ cookie, auth }) => ({ cookie, auth })))
    }
    const officer = await signUp(c, `${prefix}officer`)
    await store.users.setRoles(officer.userId, ['compliance'])
    const w: World = { c, accounts: accounts.map((a) => a.auth), approvers, officerCookie: officer.cookie, keys, credentials: [], prefix }
    w.credentials = await parallel(32, 8, () => issuance(w))
    return w
  } finally {
    await store.close()
  }
}

interface EndpointRow { endpoint: string; count: number; p50: number; p99: number; errors: number }
interface ModeResult {
  mode: string; instances: number; seconds: number; concurrency: number; operations: number; operationsPerSecond: number; requestsPerSecond: number
  errorCount: number; errorsOutsideWindow: number; errors: Record<string, number>; endpoints: EndpointRow[]; operationsByKind: EndpointRow[]
  serverCores: number; otherCores: number; generatorLoopDelayP99: number; loadAverage: number[]; setupSeconds: number
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d

async function measure(mode: string, servers: ServerProcess[], origin: string, openStore: () => Promise<Store>, keys: World['keys']): Promise<ModeResult> {
  const c = new Client(servers.map((s) => s.url), origin)
  try {
    const s0 = performance.now()
    c.retryShed = true
    const w = await setUp(c, openStore, keys, `mx${mode[0]}${process.pid}`)
    c.retryShed = false
    const setupSeconds = (performance.now() - s0) / 1000
    log(`${mode}: set-up ${setupSeconds.toFixed(1)} s (${w.accounts.length} accounts, ${approversPerGroup} approvers per group, 32 credentials); `
      + `${concurrency} users, ${warmup}+${seconds} s, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} ...`)
    const ops = sequence()
    let next = 0
    const start = performance.now()
    const measureFrom = start + warmup * 1000
    const end = measureFrom + seconds * 1000
    const loop = monitorEventLoopDelay({ resolution: 5 })
    let cpu0 = 0
    let busy0 = 0
    const timer = setTimeout(() => {
      c.measuring = true
      loop.enable()
      cpu0 = servers.reduce((a, s) => a + treeCpuSeconds(s.child.pid!), 0)
      busy0 = machineBusySeconds()
    }, warmup * 1000)
    let firstError = ''
    let errorsOutsideWindow = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const op = ops[next++ % ops.length]!
        const t0 = performance.now()
        let failed = false
        try { await runOp(w, op) } catch (err) {
          failed = true
          const message = err instanceof Error ? err.message : String(err)
          if (!(err instanceof Failure) && c.measuring) { // a bug in a flow here, or an answer without the expected fields
            const key = `${OP_NAMES[op]}: exception ${message.slice(0, 80)}`
            c.stats.errors.set(key, (c.stats.errors.get(key) ?? 0) + 1)
          }
          firstError ||= message
          if (!c.measuring) errorsOutsideWindow++
        }
        const t1 = performance.now()
        if (t0 >= measureFrom && t1 <= end) { // operations started and finished inside the window
          if (failed) c.stats.opErrors.set(op, (c.stats.opErrors.get(op) ?? 0) + 1)
          else { if (!c.stats.ops.has(op)) c.stats.ops.set(op, []); c.stats.ops.get(op)!.push(t1 - t0) }
        }
        if (t1 > end) c.measuring = false
      }
    }))
    clearTimeout(timer)
    c.measuring = false
    loop.disable()
    const wall = seconds
    const serverCores = (servers.reduce((a, s) => a + treeCpuSeconds(s.child.pid!), 0) - cpu0) / wall
    const busyCores = (machineBusySeconds() - busy0) / wall
    const row = (name: string, xs: number[], errors: number): EndpointRow => {
      const sorted = Float64Array.from(xs).sort()
      return { endpoint: name, count: xs.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), errors }
    }
    const errorsBy = (name: string): number => [...c.stats.errors].filter(([k]) => k === name || k.startsWith(name + ' ')).reduce((a, [, n]) => a + n, 0)
    const endpoints = [...c.stats.latencies].map(([name, xs]) => row(name, xs, errorsBy(name)))
    for (const [k, n] of c.stats.errors) if (k.includes(' no answer: ') && !c.stats.latencies.has(k.split(' no answer: ')[0]!)) endpoints.push({ endpoint: k.split(' no answer: ')[0]!, count: 0, p50: NaN, p99: NaN, errors: n })
    const operationsByKind = (Object.keys(MIX) as Op[]).map((op) => row(OP_NAMES[op], c.stats.ops.get(op) ?? [], c.stats.opErrors.get(op) ?? 0))
    const operations = operationsByKind.reduce((a, r) => a + r.count, 0)
    const requests = endpoints.reduce((a, r) => a + r.count, 0)
    const errors = Object.fromEntries(c.stats.errors)
    const errorCount = Object.values(errors).reduce((a, b) => a + b, 0)
    if (firstError) log(`  first error: ${firstError.slice(0, 400)}`)
    return { mode, instances: servers.length, seconds, concurrency, operations, operationsPerSecond: round(operations / seconds), requestsPerSecond: round(requests / seconds),
      errorCount, errorsOutsideWindow, errors, endpoints, operationsByKind, serverCores: round(serverCores, 2), otherCores: round(Math.max(0, busyCores - serverCores), 2),
      generatorLoopDelayP99: loop.count ? round(loop.percentile(99) / 1e6) : NaN, loadAverage: os.loadavg().map((l) => round(l, 2)), setupSeconds: round(setupSeconds) }
  } finally {
    await c.close()
  }
}

const baseEnv = (port: number, origin: string, dir: string): Record<string, string> => ({
  PORT: String(port), HOST: '127.0.0.1', SIGIL_ORIGINS: origin, SIGIL_RP_ID: 'localhost', SIGIL_LOG_LEVEL: 'warn', SIGIL_DATA_DIR: dir, SIGIL_KEYS_DIR: dir,
  // All load comes from 127.0.0.1: the per-IP limit is lifted; per-account and per-approver limits stay.
  SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production',
})

async function clients(store: Store): Promise<World['keys']> {
  const now = Date.now()
  const wallet = await createApiClient(store, 'bench-wallet', ['wallet-backend'], now)
  const signer = await createApiClient(store, 'bench-signer', ['signing-service'], now)
  const vendor = await createApiClient(store, 'bench-kyc-vendor', ['kyc-vendor'], now)
  const app = await createApiClient(store, 'bench-relying-app', ['relying-app'], now)
  await store.close()
  return { wallet: wallet.key, signer: signer.key, signerId: signer.client.id, vendor: vendor.key, app: app.key, appId: app.client.id }
}

async function sqliteMode(): Promise<ModeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-mixed-'))
  const db = path.join(dir, 'sigil.db')
  const keys = await clients(openSqliteStore({ path: db }))
  await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const server = await startServer({ name: 'sigil-sqlite', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz', env: baseEnv(port, origin, dir) })
  try {
    return await measure('SQLite x1', [server], origin, async () => openSqliteStore({ path: db }), keys)
  } catch (err) {
    log(server.output())
    throw err
  } finally {
    await server.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function redisMode(): Promise<ModeResult> {
  const redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'everysec'] })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-mixed-'))
  const servers: ServerProcess[] = []
  try {
    const keys = await clients(await connectRedisStore({ url: redis.url }))
    await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
    // WebAuthn checks the origin, not the port answering: both instances serve the one origin a load balancer would.
    const origin = 'http://localhost:8080'
    const start = async (name: string): Promise<ServerProcess> => {
      const port = await freePort()
      return startServer({ name, script: 'server/main.ts', port, cwd: root, readyPath: '/readyz',
        env: { ...baseEnv(port, origin, dir), SIGIL_STORE: 'redis', SIGIL_REDIS_URL: redis.url } })
    }
    servers.push(...await Promise.all([start('sigil-a'), start('sigil-b')]))
    return await measure('Redis x2', servers, origin, () => connectRedisStore({ url: redis.url }), keys)
  } catch (err) {
    for (const s of servers) log(s.output())
    throw err
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
    await redis.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-')
function table(r: ModeResult): string {
  const line = (e: EndpointRow): string => `  ${e.endpoint.padEnd(46)}${String(e.count).padStart(7)}${f(e.p50).padStart(9)}${f(e.p99).padStart(9)}${String(e.errors).padStart(8)}`
  return [
    `${r.mode}: ${r.operationsPerSecond} operations/s (${r.operations} in ${r.seconds} s), ${r.requestsPerSecond} requests/s, ${r.errorCount} errors`
      + ` (${r.errorsOutsideWindow} in warm-up or after the window); `
      + `Sigil used ${r.serverCores} cores, other processes ${r.otherCores}; generator loop delay p99 ${f(r.generatorLoopDelayP99)} ms`,
    `  ${'endpoint'.padEnd(46)}${'count'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}`,
    ...r.endpoints.sort((a, b) => b.count - a.count).map(line),
    `  ${'operation (all its requests)'.padEnd(46)}`,
    ...r.operationsByKind.map(line),
    ...Object.entries(r.errors).map(([k, n]) => `  error: ${k} x${n}`),
  ].join('\n')
}

async function main(): Promise<void> {
  const started = Date.now()
  const cpus = os.cpus()
  const machine = { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.release()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverageAtStart: os.loadavg().map((l) => round(l, 2)) }
  log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}${quick ? ' (--quick: not a measurement)' : ''}`)
  const sqlite = args.only === 'redis' ? undefined : await sqliteMode()
  if (sqlite) log(`  ${sqlite.operationsPerSecond} operations/s, ${sqlite.errorCount} errors`)
  const redis = args.only === 'sqlite' ? undefined : await redisMode()
  if (redis) log(`  ${redis.operationsPerSecond} operations/s, ${redis.errorCount} errors`)
  process.stdout.write([
    '',
    `Mixed load, per 100 operations: ${Object.entries(MIX).map(([op, n]) => `${n} ${OP_NAMES[op as Op]}`).join(', ')}; ${concurrency} closed-loop users, ${warmup}+${seconds} s.`,
    `Latencies per request (route template) and per operation; an operation counts if it started and ended in the window. ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, shared with the load generator.`,
    '',
    ...[sqlite, redis].filter((r) => r !== undefined).flatMap((r) => [table(r), '']),
  ].join('\n'))
  const rows = []
  if (sqlite) rows.push({ figure: 'mixed load operations/s, SQLite x1', sigil: sqlite.operationsPerSecond, unit: '/s', goal: { text: 'zero errors', met: sqlite.errorCount === 0 } })
  if (redis) {
    rows.push({ figure: 'mixed load operations/s, Redis x2', sigil: redis.operationsPerSecond, unit: '/s', goal: { text: 'zero errors', met: redis.errorCount === 0 },
      ...(sqlite ? { reference: { name: 'Sigil on SQLite x1', value: sqlite.operationsPerSecond } } : {}) })
  }
  reportRows(rows)
  const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-mixed${quick ? '-quick' : ''}.json`)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, quick, mix: MIX,
    settings: { seconds, warmupSeconds: warmup, concurrency, accounts: accountCount, approversPerGroup, redisAppendfsync: 'everysec', sigilRateLimitPerMinute: 100_000_000 },
    sqlite: sqlite ?? null, redis: redis ?? null, wallSeconds: (Date.now() - started) / 1000 }, null, 2) + '\n')
  log(`wrote ${path.relative(root, file)} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
