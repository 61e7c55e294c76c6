/**
 * Sigil's ceremonies over HTTP for the in-process load of bench/overload.ts and bench/soak.ts: each call
 * reports every HTTP exchange (status, Retry-After, latency), so shed requests can be told from failures.
 * bench/load.ts does the same for the login benchmarks in a child process, without the per-request detail.
 */
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool, errors } from 'undici'
import { createSoftAuthenticator, type SoftAuthenticator } from '../server/testing/index.ts'

export interface Exchange {
  /** HTTP status, or 0 when no answer came (`error` says why). */
  status: number
  ms: number
  retryAfter: string | undefined
  error?: 'timeout' | 'connection'
  /** The client error's code (ECONNRESET, UND_ERR_SOCKET, …) when no answer came. */
  errorCode?: string
  json: any
  cookie: string | undefined
}

export interface SigilClient {
  origin: string
  request: (method: 'GET' | 'POST', path: string, body?: unknown, cookie?: string) => Promise<Exchange>
  close: () => Promise<void>
}

/** Keep-alive connections to one Sigil; a request unanswered after `timeoutMs` counts as a timeout. */
export function sigilClient(url: string, origin: string, opts: { connections: number; timeoutMs: number }): SigilClient {
  const pool = new Pool(url, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 4_000, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs })
  return {
    origin,
    async request(method, path, body, cookie) {
      const t0 = performance.now()
      const headers: Record<string, string> = { origin }
      if (body !== undefined) headers['content-type'] = 'application/json'
      if (cookie) headers.cookie = cookie
      try {
        const res = await pool.request({ path, method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
        const text = await res.body.text()
        const set = res.headers['set-cookie']
        const first = Array.isArray(set) ? set[0] : set
        let json: unknown
        try { json = text ? JSON.parse(text) : undefined } catch { json = text }
        const retryAfter = res.headers['retry-after']
        return { status: res.statusCode, ms: performance.now() - t0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, json, cookie: first?.split(';')[0] }
      } catch (err) {
        const timeout = err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError
        return { status: 0, ms: performance.now() - t0, retryAfter: undefined, error: timeout ? 'timeout' : 'connection',
          errorCode: String((err as { code?: string }).code ?? (err as Error).name), json: undefined, cookie: undefined }
      }
    },
    close: () => pool.close(),
  }
}

/** Creates an account with a software passkey; returns the authenticator and the sign-up's session cookie. */
export async function signUp(c: SigilClient, handle: string, onExchange?: (x: Exchange) => void): Promise<{ auth: SoftAuthenticator; cookie: string | undefined } | undefined> {
  const auth = createSoftAuthenticator({ alg: 'ES256' })
  const o = await c.request('POST', '/v1/passkeys/register/options', { handle, displayName: 'Bench user' })
  onExchange?.(o)
  if (o.status !== 200) return undefined
  const response = await auth.register(o.json, { origin: c.origin })
  const v = await c.request('POST', '/v1/passkeys/register/verify', { response }, o.cookie)
  onExchange?.(v)
  return v.status === 201 ? { auth, cookie: v.cookie } : undefined
}

/** Discoverable sign-in: options → sign → verify; `verify` is absent when the options call failed. */
export async function signIn(c: SigilClient, auth: SoftAuthenticator): Promise<{ options: Exchange; verify?: Exchange }> {
  const options = await c.request('POST', '/v1/passkeys/login/options', {})
  if (options.status !== 200) return { options }
  const response = await auth.authenticate(options.json, { origin: c.origin })
  return { options, verify: await c.request('POST', '/v1/passkeys/login/verify', { response }, options.cookie) }
}

/**
 * `count` accounts, `parallel` sign-ups at a time (each hashes ten recovery codes with scrypt, so more would only
 * queue); a shed sign-up (503 with Retry-After) is retried after the delay, any other failure throws.
 */
export async function signUpMany(c: SigilClient, count: number, prefix: string, parallel = 8): Promise<SoftAuthenticator[]> {
  const made: SoftAuthenticator[] = []
  let i = 0
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (i < count) {
      const n = i++
      for (let attempt = 1; ; attempt++) {
        let last: Exchange | undefined
        const r = await signUp(c, `${prefix}${n}-${attempt}`, (x) => { last = x })
        if (r) { made.push(r.auth); break }
        if (last?.status !== 503 || attempt === 5) throw new Error(`sign-up ${n} failed: ${last?.status} ${JSON.stringify(last?.json)}`)
        await sleep(Number(last.retryAfter ?? 1) * 1000)
      }
    }
  }))
  return made
}

/** Resident set size of a process in bytes, from /proc (Linux); NaN elsewhere. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}
