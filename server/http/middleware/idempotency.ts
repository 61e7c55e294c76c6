import { createHash } from 'node:crypto'
import type { Request, Response } from 'express'
import type { AppDeps, Principal } from '../../deps.ts'
import { ProblemError, problemBody } from '../problem.ts'

const KEY_TTL_MS = 24 * 3600_000
/**
 * A claim still pending this long was left by a process that died mid-request (a request cannot run longer: the
 * server's request timeout is 30 s): a retry with the same key and body takes it over and runs, instead of being
 * told "in progress" until the key expires a day later. The first run may have changed something before it died;
 * the operations' own single-use checks (challenges, compare-and-set) still hold.
 */
export const PENDING_LEASE_MS = 60_000
const KEY_RE = /^[\x21-\x7e]{1,255}$/

interface Outcome { status: number; body: unknown }

/**
 * Whose keys these are: a retry only matches a request of the same caller. A caller with no session or key (a
 * sign-up or sign-in beginning) is known by its address alone (hashed: the store keeps no IP addresses), so that
 * another client cannot be handed its answer, or learn from a 422 that its key was used, by sending the same key.
 */
export function idempotencyScope(p: Principal, clientIp: string | undefined): string {
  if (p.kind === 'session') return `user:${p.user.id}`
  if (p.kind === 'client') return `client:${p.client.id}`
  return `anon:${createHash('sha256').update(`sigil-idempotency\n${clientIp ?? ''}`).digest('base64url').slice(0, 22)}`
}

/**
 * The scope of a caller known only by a credential it presents (an OAuth access token, a pre-authorized code, a
 * response id): a hash of it, so the key store never holds the credential and two wallets' keys never meet.
 */
export const credentialScope = (kind: string, credential: string): string =>
  `${kind}:${createHash('sha256').update(credential).digest('base64url')}`

/** What the idempotency layer needs to know of an operation. */
export interface IdempotentOperation {
  operationId: string
  /** The answer holds a secret (or personal data) shown once: it is not kept, and a retry gets 409. */
  secretResponse?: boolean
}

/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the first request with a key runs and its
 * answer is kept in the store for 24 h; a retry with the same body, on any instance, gets that answer;
 * the same key with a different body is refused with 422; a retry while the first still runs gets 409.
 * Answers are kept for success and client errors, not for 429 or 5xx, so those can be retried.
 */
export async function withIdempotency(deps: AppDeps, req: Request, res: Response, scope: string | (() => string), def: IdempotentOperation,
  execute: () => Promise<Outcome>): Promise<Outcome | undefined> {
  const raw = req.headers['idempotency-key']
  if (raw === undefined) return execute()
  if (typeof raw !== 'string' || !KEY_RE.test(raw)) {
    throw new ProblemError('idempotency_key_invalid', 400, { detail: 'Idempotency-Key must be 1-255 visible ASCII characters.', field: 'idempotency-key' })
  }
  // A function is called only here: most calls carry no key, and a caller's scope may cost a hash.
  const key = `${typeof scope === 'function' ? scope() : scope}:${def.operationId}:${raw}`
  // The raw bytes (kept by the JSON parser), not a re-serialisation: deep bodies cannot overflow the stack. A form
  // body (flat, parsed by urlencoded) is fingerprinted by its parsed fields.
  const rawBody = (req as { rawBody?: Buffer }).rawBody ?? (req.is('application/x-www-form-urlencoded') ? JSON.stringify(req.body ?? {}) : undefined)
  const fingerprint = createHash('sha256').update(`${req.method} ${req.originalUrl}\n`).update(rawBody ?? '').digest('base64url')
  const begun = await deps.store.idempotency.begin(key, fingerprint, deps.now(), KEY_TTL_MS, PENDING_LEASE_MS)
  if (begun.state !== 'new') {
    if (begun.fingerprint !== fingerprint) {
      throw new ProblemError('idempotency_key_reused', 422, { detail: 'This Idempotency-Key was used with a different request.', field: 'idempotency-key' })
    }
    if (begun.state === 'pending') {
      throw new ProblemError('idempotency_request_in_progress', 409, { detail: 'The first request with this key is still running.', headers: { 'Retry-After': '1' } })
    }
    if (begun.response.status === 0) {
      throw new ProblemError('idempotency_replay_unavailable', 409, { detail: 'The first response held a secret that is shown only once.' })
    }
    res.setHeader('Idempotent-Replayed', 'true')
    res.status(begun.response.status).type(begun.response.contentType).send(begun.response.body)
    return undefined
  }
  try {
    const out = await execute()
    // A body holding a secret shown once is not stored: status 0 marks "done, not replayable".
    const response = def.secretResponse
      ? { status: 0, contentType: 'application/json', body: '' }
      : { status: out.status, contentType: 'application/json', body: out.body === undefined ? '' : JSON.stringify(out.body) }
    await deps.store.idempotency.complete(key, response)
    return out
  } catch (err) {
    if (err instanceof ProblemError && err.status < 500 && err.status !== 429 && err.status !== 409) {
      await deps.store.idempotency.complete(key, {
        status: err.status, contentType: 'application/problem+json',
        body: JSON.stringify(problemBody(err, res.locals.requestId as string | undefined)),
      })
    } else {
      await deps.store.idempotency.abandon(key).catch(() => undefined)
    }
    throw err
  }
}
