import { isIP } from 'node:net'
import path from 'node:path'
import { z } from 'zod'

const zBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const zSeconds = z.coerce.number().int().positive()
const zList = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
/** An http(s) URL: an origin, a public URL (did:web and the OpenID4VCI metadata cannot be made from another scheme). */
const zHttpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
const TRUST_PROXY_WORDS = new Set(['true', 'false', 'loopback', 'linklocal', 'uniquelocal'])
/** One entry of a trust-proxy list: an IP address, a subnet (address/prefix) or one of Express's names. */
function trustProxyEntry(v: string): boolean {
  if (TRUST_PROXY_WORDS.has(v.toLowerCase())) return true
  const [addr = '', prefix, ...rest] = v.split('/')
  const family = isIP(addr)
  if (family === 0 || rest.length) return false
  // A prefix length, or (IPv4) a dotted netmask as Express's proxy-addr also takes: 10.0.0.0/255.0.0.0.
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)) || (family === 4 && isIP(prefix) === 4)
}

/** Every environment variable Sigil reads, with its default. README's configuration table mirrors this. */
const zEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  SIGIL_DATA_DIR: z.string().min(1).default('./data'),
  SIGIL_KEYS_DIR: z.string().min(1).optional(),
  SIGIL_STORE: z.enum(['sqlite', 'redis']).default('sqlite'),
  SIGIL_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
  SIGIL_REDIS_CLUSTER_NODES: zList.optional(),
  SIGIL_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/).default('sigil'),
  SIGIL_RP_ID: z.string().regex(/^[a-z0-9.-]+$/i, 'a host name such as example.com').default('localhost'),
  SIGIL_RP_NAME: z.string().min(1).max(64).default('Sigil'),
  SIGIL_ORIGINS: zList.pipe(z.array(zHttpUrl).min(1)).optional(),
  SIGIL_RELATED_ORIGINS: zList.pipe(z.array(zHttpUrl)).default([]),
  SIGIL_SESSION_IDLE_SECONDS: zSeconds.default(3600),
  SIGIL_SESSION_ABSOLUTE_SECONDS: zSeconds.default(86400),
  SIGIL_ACCESS_TOKEN_SECONDS: zSeconds.max(3600).default(300),
  SIGIL_CHALLENGE_SECONDS: zSeconds.max(600).default(300),
  SIGIL_FRESH_AUTH_SECONDS: zSeconds.max(3600).default(300),
  SIGIL_TRUST_PROXY: z.string().refine((v) => /^\d{1,2}$/.test(v) || v.split(',').every((e) => trustProxyEntry(e.trim())),
    'true, false, a hop count, or comma-separated IP addresses, subnets (address/prefix), loopback, linklocal or uniquelocal').default('false'),
  SIGIL_ATTESTATION_POLICY: z.string().min(1).optional(),
  SIGIL_RATE_LIMIT_PER_MINUTE: zSeconds.default(60),
  SIGIL_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000).default(256),
  SIGIL_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(10).max(60_000).default(150),
  SIGIL_ADMISSION_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  SIGIL_ADMISSION_UTILIZATION: z.coerce.number().min(0).max(1).default(0.97),
  SIGIL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIGIL_METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{24,256}$/, '24-256 visible ASCII characters (a random secret)').optional(),
  SIGIL_PUBLIC_URL: zHttpUrl.optional(),
  SIGIL_DEV_KEYS: zBool.default(true),
  SIGIL_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  SIGIL_SQLITE_MODE: z.enum(['group', 'thread', 'direct']).default('group'),
  /** Replaced by SIGIL_SQLITE_MODE: refused with a message rather than silently ignored. */
  SIGIL_SQLITE_THREAD: z.string().optional(),
  SIGIL_DIRECT_ROUTES: zBool.default(true),
  SIGIL_AUDIT_CHECKPOINT_SECONDS: zSeconds.default(300),
  SIGIL_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  SIGIL_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  SIGIL_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  SIGIL_WEBHOOK_ALLOW_HTTP: zBool.default(false),
  SIGIL_WEBHOOK_ALLOW_PRIVATE: zBool.default(false),
  SIGIL_OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  SIGIL_KYC_RETAIN_PII: zBool.default(false),
  SIGIL_KYC_OFFER_SECONDS: zSeconds.max(86400).default(600),
})

export interface Config {
  port: number
  host: string
  dataDir: string
  keysDir: string | undefined
  store: 'sqlite' | 'redis'
  /** Redis connection for SIGIL_STORE=redis; with cluster nodes, the url is one of the seeds. */
  redis: { url: string; clusterNodes: string[]; prefix: string } | undefined
  rpId: string
  rpName: string
  /** Origins allowed in WebAuthn clientData and in the Origin header of cookie-authenticated calls. */
  origins: string[]
  relatedOrigins: string[]
  /** Issuer of access tokens and base of absolute links. */
  publicUrl: string
  sessionIdleSeconds: number
  sessionAbsoluteSeconds: number
  accessTokenSeconds: number
  challengeSeconds: number
  freshAuthSeconds: number
  /** Passed to express `trust proxy`: false, true, a hop count or a list of subnets. */
  trustProxy: boolean | number | string
  attestationPolicyFile: string | undefined
  rateLimitPerMinute: number
  /** Admission control (server/http/middleware/admission): past either limit, requests are shed with 503. */
  admission: { maxInFlight: number; maxEventLoopDelayMs: number; latencyTargetMs: number; utilization: number }
  logLevel: string
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (the scraper's); otherwise it is open. */
  metricsToken: string | undefined
  /** May generate signing keys on first start when none exist. */
  devKeys: boolean
  /** Server processes on this host sharing the port (node:cluster); state is in the store, so any may answer. */
  workers: number
  /** How SQLite runs: `group` (event loop, group commit), `thread` (a store thread, group commit), `direct` (one commit per call). */
  sqliteMode: 'group' | 'thread' | 'direct'
  /** API routes are matched by Sigil's own table instead of Express's router (same middleware and handlers). */
  directRoutes: boolean
  /** How often the head of the audit chain is signed (when it moved). */
  auditCheckpointSeconds: number
  webhooks: {
    /** Attempts before a delivery is dead (replay with `npm run sigil -- webhooks replay`). */
    maxAttempts: number
    /** First retry delay; each next one doubles (with jitter), up to six hours. */
    backoffMs: number
    timeoutMs: number
    /** Allow http:// receiver URLs besides loopback ones (never in production). */
    allowHttp: boolean
    /** Allow receivers at addresses that are not public (private, link-local, loopback…). */
    allowPrivate: boolean
    /**
     * Allow loopback receivers named as such (localhost, 127.0.0.1, [::1]): in development (a public URL on
     * http://localhost) or with allowPrivate; a production server's loopback is where sidecars' admin ports live.
     */
    allowLoopback: boolean
    /** How often an idle instance looks for new events and due deliveries. */
    pollMs: number
  }
  kyc: {
    /** Keep the (sealed) KYC data after issuance; by default it is erased once the credential is issued. */
    retainPii: boolean
    /** Lifetime of a credential offer (its pre-authorized code). */
    offerSeconds: number
  }
}

export class ConfigError extends Error {
  readonly issues: string[]
  constructor(issues: string[]) {
    super('Invalid configuration:\n' + issues.map((i) => `  - ${i}`).join('\n'))
    this.name = 'ConfigError'
    this.issues = issues
  }
}

function parseTrustProxy(v: string): boolean | number | string {
  if (v === 'true' || v === 'false') return v === 'true'
  if (/^\d+$/.test(v)) return Number(v)
  return v
}

/** Reads the environment into a typed config; throws one ConfigError naming every bad variable. */
/** Variables of the tooling around the server (tests, benchmarks), not settings: never reported as unknown. */
const TOOLING = /^SIGIL_(BENCH|E2E|TEST|DOCS|CHROMIUM|SHED)_?/

/**
 * `SIGIL_*` variables that are set but are no setting (a misspelling such as SIGIL_STOR would otherwise be silently
 * ignored and the default used), each with the setting it most resembles when there is one.
 */
export function unknownVariables(env: Record<string, string | undefined> = process.env): string[] {
  const known = Object.keys(zEnv.shape)
  return Object.keys(env).filter((k) => k.startsWith('SIGIL_') && !(k in zEnv.shape) && !TOOLING.test(k)).sort().map((k) => {
    const near = known.filter((n) => n.startsWith('SIGIL_') && editDistance(k, n) <= 2)
    return near.length ? `${k} (did you mean ${near.join(' or ')}?)` : k
  })
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/** A public URL on plain http at the machine itself: development, where local webhook receivers are the norm. */
const isLocalDevelopment = (url: string): boolean => {
  const u = new URL(url)
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in zEnv.shape && v !== ''))
  const issues: string[] = []
  // Variables that are malformed on their own; the checks across variables below still run on all the others, so
  // one message names every bad variable. A check that involves a malformed one is skipped (it would be judged
  // against a default the operator did not choose).
  const bad = new Set<string>()
  let r = zEnv.safeParse(present)
  if (!r.success) {
    for (const i of r.error.issues) {
      bad.add(String(i.path[0]))
      issues.push(`${String(i.path[0])}: ${i.message}`)
    }
    r = zEnv.safeParse(Object.fromEntries(Object.entries(present).filter(([k]) => !bad.has(k))))
    if (!r.success) throw new ConfigError(issues)
  }
  const e = r.data
  const involves = (...names: string[]): boolean => names.some((n) => bad.has(n))
  const origins = e.SIGIL_ORIGINS ?? [`http://localhost:${e.PORT}`]
  // The default origin is built from PORT; given origins do not depend on it.
  if (!involves('SIGIL_ORIGINS', 'SIGIL_RP_ID') && !(e.SIGIL_ORIGINS === undefined && involves('PORT'))) {
    for (const o of origins) {
      const u = new URL(o)
      const host = u.hostname
      if (host !== e.SIGIL_RP_ID && !host.endsWith('.' + e.SIGIL_RP_ID)) {
        issues.push(`SIGIL_ORIGINS: ${o} is not within SIGIL_RP_ID ${e.SIGIL_RP_ID}`)
      }
      if (u.protocol !== 'https:' && host !== 'localhost') issues.push(`SIGIL_ORIGINS: ${o} must use https`)
    }
  }
  if (e.SIGIL_SQLITE_THREAD !== undefined) issues.push('SIGIL_SQLITE_THREAD: replaced by SIGIL_SQLITE_MODE (group, thread or direct)')
  if (e.SIGIL_STORE === 'redis' && !e.SIGIL_REDIS_URL && !involves('SIGIL_REDIS_URL')) issues.push('SIGIL_REDIS_URL: required when SIGIL_STORE=redis')
  // Every host of a shared store must sign with the same keys: with a development key each host makes its own in its
  // data directory, and then tokens minted on one host are refused by the others, the JWKS differs per host and the
  // audit checkpointer reports the other hosts' checkpoints as a broken chain. Only an explicit SIGIL_DEV_KEYS=true
  // (one host trying Redis) goes without a shared key directory.
  if (e.SIGIL_STORE === 'redis' && !e.SIGIL_KEYS_DIR && !involves('SIGIL_KEYS_DIR', 'SIGIL_DEV_KEYS')
    && !(present.SIGIL_DEV_KEYS !== undefined && e.SIGIL_DEV_KEYS)) {
    issues.push('SIGIL_KEYS_DIR: required when SIGIL_STORE=redis (every host must sign with the same key set: a directory shared by all of them, '
      + 'created once with `keys init`); to try Redis on a single host with a development key, set SIGIL_DEV_KEYS=true explicitly')
  }
  if (e.SIGIL_SESSION_IDLE_SECONDS > e.SIGIL_SESSION_ABSOLUTE_SECONDS && !involves('SIGIL_SESSION_IDLE_SECONDS', 'SIGIL_SESSION_ABSOLUTE_SECONDS')) {
    issues.push('SIGIL_SESSION_IDLE_SECONDS: must not exceed SIGIL_SESSION_ABSOLUTE_SECONDS')
  }
  if (issues.length) throw new ConfigError(issues)
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.SIGIL_DATA_DIR),
    keysDir: e.SIGIL_KEYS_DIR ? path.resolve(e.SIGIL_KEYS_DIR) : undefined,
    store: e.SIGIL_STORE,
    redis: e.SIGIL_REDIS_URL ? { url: e.SIGIL_REDIS_URL, clusterNodes: e.SIGIL_REDIS_CLUSTER_NODES ?? [], prefix: e.SIGIL_REDIS_PREFIX } : undefined,
    rpId: e.SIGIL_RP_ID,
    rpName: e.SIGIL_RP_NAME,
    origins: origins.map((o) => new URL(o).origin),
    relatedOrigins: e.SIGIL_RELATED_ORIGINS.map((o) => new URL(o).origin),
    publicUrl: (e.SIGIL_PUBLIC_URL ?? origins[0]!).replace(/\/$/, ''),
    sessionIdleSeconds: e.SIGIL_SESSION_IDLE_SECONDS,
    sessionAbsoluteSeconds: e.SIGIL_SESSION_ABSOLUTE_SECONDS,
    accessTokenSeconds: e.SIGIL_ACCESS_TOKEN_SECONDS,
    challengeSeconds: e.SIGIL_CHALLENGE_SECONDS,
    freshAuthSeconds: e.SIGIL_FRESH_AUTH_SECONDS,
    trustProxy: parseTrustProxy(e.SIGIL_TRUST_PROXY),
    attestationPolicyFile: e.SIGIL_ATTESTATION_POLICY,
    rateLimitPerMinute: e.SIGIL_RATE_LIMIT_PER_MINUTE,
    admission: { maxInFlight: e.SIGIL_MAX_IN_FLIGHT, maxEventLoopDelayMs: e.SIGIL_MAX_EVENT_LOOP_DELAY_MS, latencyTargetMs: e.SIGIL_ADMISSION_LATENCY_MS, utilization: e.SIGIL_ADMISSION_UTILIZATION },
    logLevel: e.SIGIL_LOG_LEVEL,
    metricsToken: e.SIGIL_METRICS_TOKEN,
    devKeys: e.SIGIL_DEV_KEYS,
    workers: e.SIGIL_WORKERS,
    sqliteMode: e.SIGIL_SQLITE_MODE,
    directRoutes: e.SIGIL_DIRECT_ROUTES,
    auditCheckpointSeconds: e.SIGIL_AUDIT_CHECKPOINT_SECONDS,
    webhooks: { maxAttempts: e.SIGIL_WEBHOOK_MAX_ATTEMPTS, backoffMs: e.SIGIL_WEBHOOK_BACKOFF_MS,
      timeoutMs: e.SIGIL_WEBHOOK_TIMEOUT_MS, allowHttp: e.SIGIL_WEBHOOK_ALLOW_HTTP, allowPrivate: e.SIGIL_WEBHOOK_ALLOW_PRIVATE,
      allowLoopback: e.SIGIL_WEBHOOK_ALLOW_PRIVATE || isLocalDevelopment((e.SIGIL_PUBLIC_URL ?? origins[0]!)), pollMs: e.SIGIL_OUTBOX_POLL_MS },
    kyc: { retainPii: e.SIGIL_KYC_RETAIN_PII, offerSeconds: e.SIGIL_KYC_OFFER_SECONDS },
  }
}
