import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import http, { type Server } from 'node:http'
import { pino } from 'pino'
import { loadConfig } from '../config.ts'
import { createApp } from '../http/index.ts'
import type { AppDeps } from '../deps.ts'
import { createMetrics } from '../http/index.ts'
import { openKeyRing } from '../keys/index.ts'
import { keyFileFailingSeconds } from '../runtime.ts'
import { DEFAULT_POLICIES } from '../passkeys/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { startDispatcher, type LookupFunction } from '../audit/index.ts'

/** The origin the test browser pretends to be; it need not match the port the app listens on. */
export const TEST_ORIGIN = 'http://localhost:8080'

export interface TestClock {
  now: () => number
  advance: (ms: number) => void
}

export interface TestApp {
  url: string
  deps: AppDeps
  clock: TestClock
  close: () => Promise<void>
}

export interface StartTestAppOptions {
  env?: Record<string, string>
  /** Another store (Redis); closed with the app unless `keepStore`. */
  store?: Store
  keepStore?: boolean
  /** Share signing keys between app instances (several instances behind one load balancer). */
  keysDir?: string
  /** Share a clock between app instances. */
  clock?: TestClock
  attestationPolicies?: AppDeps['attestationPolicies']
  /** How the webhook dispatcher resolves receiver names (tests point a name at a local receiver). */
  webhookLookup?: LookupFunction
}

/** The real app on a free loopback port, an in-memory SQLite store, real keys in a temp dir, and a clock the test moves. */
export async function startTestApp(opts: StartTestAppOptions = {}): Promise<TestApp> {
  let t = Date.now()
  const clock: TestClock = opts.clock ?? { now: () => t, advance: (ms) => { t += ms } }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-test-'))
  const config = loadConfig({ SIGIL_ORIGINS: TEST_ORIGIN, SIGIL_DATA_DIR: dir, SIGIL_RATE_LIMIT_PER_MINUTE: '100000', ...opts.env })
  const store = opts.store ?? openSqliteStore({ path: ':memory:' })
  const keys = await openKeyRing({ dir: opts.keysDir ?? dir, createIfMissing: true, retainSeconds: 600, now: clock.now })
  const log = pino({ level: 'silent' })
  const outbox = startDispatcher({ store, config, log, now: clock.now, lookup: opts.webhookLookup })
  const deps: AppDeps = {
    config, store, keys, log, metrics: createMetrics({ defaults: false, outboxPending: () => store.outbox.pending(), keyFileFailingSeconds: () => keyFileFailingSeconds(keys, clock.now()) }), now: clock.now, outbox,
    attestationPolicies: opts.attestationPolicies ?? DEFAULT_POLICIES,
  }
  const { listener, serverOptions } = createApp(deps)
  const server: Server = await new Promise((resolve) => { const s = http.createServer(serverOptions, listener).listen(0, '127.0.0.1', () => resolve(s)) })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    clock,
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await outbox.stop()
      if (!opts.keepStore) await store.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface TestResponse<T = any> {
  status: number
  headers: Headers
  body: T
}

/** A browser-like HTTP client: sends Origin, keeps the session cookie. */
export class TestClient {
  cookie: string | undefined
  constructor(readonly baseUrl: string, readonly origin: string = TEST_ORIGIN) {}

  async request<T = any>(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse<T>> {
    const h: Record<string, string> = { origin: this.origin, ...headers }
    if (this.cookie) h.cookie = this.cookie
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json'
    const res = await fetch(this.baseUrl + p, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const value = pair!.slice(pair!.indexOf('=') + 1)
      this.cookie = value ? pair : undefined
    }
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = text ? JSON.parse(text) : undefined } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: parsed as T }
  }
  get<T = any>(p: string, headers?: Record<string, string>) { return this.request<T>('GET', p, undefined, headers) }
  post<T = any>(p: string, body: unknown = {}, headers?: Record<string, string>) { return this.request<T>('POST', p, body, headers) }
  patch<T = any>(p: string, body: unknown, headers?: Record<string, string>) { return this.request<T>('PATCH', p, body, headers) }
  delete<T = any>(p: string, headers?: Record<string, string>) { return this.request<T>('DELETE', p, undefined, headers) }
}
