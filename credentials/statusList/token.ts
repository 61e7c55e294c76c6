import { CredentialError, fail } from '../errors.ts'
import { checkTimeClaims, decodeJws, epochSeconds, signJws, verifyJwsSignature } from '../jws/index.ts'
import { assertAlgAllowed, type Signer, type SigningAlg } from '../keys/index.ts'
import { decodeStatusList, encodeStatusList, type StatusList } from './statusList.ts'

/** JWS `typ` of a status list token (§5.1). */
export const STATUS_LIST_TYP = 'statuslist+jwt'

/** Options of createStatusListToken. */
export interface CreateStatusListTokenOptions {
  signer: Signer
  /** The list's URI: the token's `sub`, and what credentials put in `status.status_list.uri`. */
  uri: string
  /** The token's `iss`, normally the credential issuer. */
  issuer?: string
  list: StatusList
  now: Date
  /** How long relying parties may cache it (`ttl`, seconds). */
  ttlSeconds?: number
  /** Lifetime (`exp` = now + this, seconds). */
  validitySeconds?: number
}

/** Signs a status list token (§5.1): `typ: statuslist+jwt`, `sub`, `iat`, optional `iss`/`exp`/`ttl`, `status_list`. */
export async function createStatusListToken(options: CreateStatusListTokenOptions): Promise<string> {
  const iat = epochSeconds(options.now)
  return signJws(options.signer, STATUS_LIST_TYP, {
    ...(options.issuer === undefined ? {} : { iss: options.issuer }),
    sub: options.uri,
    iat,
    ...(options.validitySeconds === undefined ? {} : { exp: iat + options.validitySeconds }),
    ...(options.ttlSeconds === undefined ? {} : { ttl: options.ttlSeconds }),
    status_list: await encodeStatusList(options.list),
  })
}

/** Finds the key a status list token is signed with. Trust caveat: only keys of the credential's issuer. */
export type StatusListKeyResolver = (alg: SigningAlg, kid: string | undefined) => Promise<CryptoKey>

/** Options of verifyStatusListToken. */
export interface VerifyStatusListTokenOptions {
  /** The URI the credential referenced; the token's `sub` must equal it (§8.3 step 4). */
  expectedUri: string
  resolveKey: StatusListKeyResolver
  now: Date
  clockToleranceSeconds?: number
  allowedAlgs?: readonly SigningAlg[]
  /** Largest inflated list accepted, in bytes. */
  maxListBytes?: number
  /**
   * How old (now − `iat`, beyond the clock tolerance) a token may be, seconds. Default: its own `ttl`, or 300
   * when it has none. A value here sets the limit outright: shorter to be stricter, or longer for an issuer that
   * signs its list less often than its `ttl` says (the draft defines `ttl` as a caching time), at the cost of
   * seeing a revocation that much later.
   */
  maxStatusAgeSeconds?: number
}

/** How old a status list token without `ttl` may be by default, seconds (StatusListCache's default too). */
const DEFAULT_MAX_STATUS_AGE_SECONDS = 300

/** A verified status list token. */
export interface VerifyStatusListTokenResult {
  list: StatusList
  iat: number
  exp: number | undefined
  ttl: number | undefined
  issuer: string | undefined
  /** When (epoch seconds) the token becomes too old to trust: `iat` + the accepted age + the clock tolerance. */
  freshUntil: number
}

/**
 * Verifies a status list token (§8.3): `typ`, allowed `alg`, signature, `sub`, `iat`/`exp`; then inflates the list.
 * A token older than its `ttl` (or `maxStatusAgeSeconds`) is `status_unavailable`, however far off its `exp`: it is
 * signed and for the right list, but it may predate a revocation (a stale cache, a proxy, someone on the path
 * replaying it), and §8.3 leaves freshness to the verifier's policy on `iat`. Sigil signs its lists for 24 h with a
 * `ttl` of 60 s, so `exp` alone would let a revocation be hidden for a day.
 */
export async function verifyStatusListToken(token: string, options: VerifyStatusListTokenOptions): Promise<VerifyStatusListTokenResult> {
  let verified: VerifyStatusListTokenResult
  try {
    const jws = decodeJws(token, 'status_list_invalid')
    if (jws.header.typ !== STATUS_LIST_TYP) fail('status_list_invalid', 'typ is not statuslist+jwt')
    const alg = assertAlgAllowed(jws.header.alg, options.allowedAlgs)
    const kid = typeof jws.header.kid === 'string' ? jws.header.kid : undefined
    const key = await options.resolveKey(alg, kid)
    if (!await verifyJwsSignature(jws, alg, key)) fail('status_list_invalid', 'signature does not verify')
    const p = jws.payload
    if (p.sub !== options.expectedUri) fail('status_list_invalid', 'sub is not the referenced URI')
    if (typeof p.iat !== 'number') fail('status_list_invalid', 'iat missing')
    checkTimeClaims(p, { now: options.now, clockToleranceSeconds: options.clockToleranceSeconds ?? 10 })
    if (p.ttl !== undefined && (typeof p.ttl !== 'number' || !(p.ttl > 0))) fail('status_list_invalid', 'ttl must be positive')
    if (typeof p.status_list !== 'object' || p.status_list === null) fail('status_list_invalid', 'status_list missing')
    const ttl = p.ttl as number | undefined
    const maxAge = options.maxStatusAgeSeconds ?? ttl ?? DEFAULT_MAX_STATUS_AGE_SECONDS
    verified = {
      list: await decodeStatusList(p.status_list as { bits: unknown; lst: unknown }, options.maxListBytes),
      iat: p.iat,
      exp: p.exp as number | undefined,
      ttl,
      issuer: typeof p.iss === 'string' ? p.iss : undefined,
      freshUntil: p.iat + maxAge + (options.clockToleranceSeconds ?? 10),
    }
  } catch (cause) {
    if (cause instanceof CredentialError && cause.code === 'status_list_invalid') throw cause
    fail('status_list_invalid', cause instanceof CredentialError ? cause.code : 'unverifiable', { cause })
  }
  if (epochSeconds(options.now) > verified.freshUntil) {
    fail('status_unavailable', `the status list token is ${epochSeconds(options.now) - verified.iat} s old, older than its ttl allows`)
  }
  return verified
}
