import { isObject } from '../encoding/index.ts'
import { CredentialError, fail } from '../errors.ts'
import { resolveDidKey } from '../dids/index.ts'
import { decodeJws, verifyJwsSignature, type DecodedJws } from '../jws/index.ts'
import { assertAlgAllowed, importPublicJwk, type SigningAlg } from '../keys/index.ts'
import { verifyJwtVc, type VerifyJwtVcOptions, type VerifyJwtVcResult } from './verifyJwtVc.ts'

/** Options of verifyJwtVp: those of verifyJwtVc for the credential, and what the holder's proof must answer. */
export interface VerifyJwtVpOptions extends VerifyJwtVcOptions {
  /** The nonce this verifier issued for this presentation; the caller consumes it once (it is not remembered here). */
  nonce: string
  /** This verifier's identifier, which the presentation's `aud` must be. */
  audience: string
  /** How old the presentation's `iat` may be; default 300 s (as for an SD-JWT VC's key-binding JWT). */
  maxAgeSeconds?: number
}

/** A verified JWT-VC presentation: the credential, and the holder DID that signed it. */
export interface VerifyJwtVpResult extends VerifyJwtVcResult {
  holder: string
}

const fromVp = (err: unknown): never => {
  // The presentation's own failures keep their codes; a credential inside it that fails says so in its field.
  if (err instanceof CredentialError) throw new CredentialError(err.code, { detail: err.detail, field: err.field ?? 'vp.verifiableCredential[0]', cause: err })
  throw err
}

/**
 * Verifies a W3C JWT-VC presentation (VC Data Model 1.1 §6.3.1, the JWT form did-jwt-vc writes): a JWT signed by the
 * holder (`iss`, a did:jwk or did:key, resolved offline by the resolver) whose `vp.verifiableCredential` holds
 * exactly one JWT-VC. This is the holder binding a bare JWT-VC lacks: the credential's `sub` must be the DID that
 * signed the presentation, so a copy of someone else's credential cannot be shown. Checked, each failing with its
 * own code: `alg` allowlisted and `typ` `JWT` or `vp+jwt` (`vp_invalid`); the holder's signature with the key of its
 * DID's `authentication` relationship (`vp_invalid`); `nonce` (`nonce_mismatch`) and `aud` (`audience_mismatch`)
 * always required; `iat` within `maxAgeSeconds` and not in the future, `exp` if present (`vp_stale`); the credential
 * with verifyJwtVc (issuer trust, vct, time, signature, status); `sub` = `iss` (`holder_mismatch`).
 * The nonce is single-use only if the caller makes it so: consume it atomically before or after this call.
 */
export async function verifyJwtVp(jwt: string, options: VerifyJwtVpOptions): Promise<VerifyJwtVpResult> {
  if (typeof options.nonce !== 'string' || options.nonce === '') fail('options_invalid', 'a nonce is required: without one a presentation can be replayed')
  if (typeof options.audience !== 'string' || options.audience === '') fail('options_invalid', 'an audience is required')
  let decoded: DecodedJws
  try {
    decoded = decodeJws(jwt)
  } catch (err) {
    return fromVp(err)
  }
  const { header, payload } = decoded
  assertAlgAllowed(header.alg, options.allowedAlgs)
  if (header.typ !== 'JWT' && header.typ !== 'vp+jwt') fail('vp_invalid', `typ ${String(header.typ)}`, { field: 'vp.typ' })
  const holder = typeof payload.iss === 'string' && (payload.iss.startsWith('did:jwk:') || payload.iss.startsWith('did:key:'))
    ? payload.iss : fail('vp_invalid', 'iss must be the holder\'s did:jwk or did:key', { field: 'vp.iss' })
  if (payload.nonce !== options.nonce) fail('nonce_mismatch', 'the presentation answers another nonce', { field: 'vp.nonce' })
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (aud.length !== 1 || aud[0] !== options.audience) fail('audience_mismatch', 'the presentation is for another verifier', { field: 'vp.aud' })
  const now = Math.floor(options.now.getTime() / 1000)
  const tolerance = options.clockToleranceSeconds ?? 10
  const iat = typeof payload.iat === 'number' && Number.isFinite(payload.iat) ? payload.iat : fail('vp_invalid', 'iat missing', { field: 'vp.iat' })
  if (iat > now + tolerance || iat < now - (options.maxAgeSeconds ?? 300) - tolerance) fail('vp_stale', `iat ${iat}`, { field: 'vp.iat' })
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || payload.exp <= now - tolerance)) fail('vp_stale', 'expired', { field: 'vp.exp' })
  // The holder's signature, with the key its DID names for authentication (a did:jwk or did:key has exactly one).
  const jwk = await resolveDidKey(options.resolver, typeof header.kid === 'string' ? header.kid : undefined,
    { expectedController: holder, relationship: 'authentication' }).catch(fromVp)
  const alg = header.alg as SigningAlg
  let key: CryptoKey
  try {
    key = await importPublicJwk(jwk, alg)
  } catch (cause) {
    return fail('vp_invalid', 'the holder key does not fit the alg', { field: 'vp.alg', cause })
  }
  if (!(await verifyJwsSignature(decoded, alg, key))) fail('vp_invalid', 'the holder\'s signature does not verify', { field: 'vp' })
  const vp = isObject(payload.vp) ? payload.vp : fail('vp_invalid', 'vp claim missing', { field: 'vp.vp' })
  const types = Array.isArray(vp.type) ? vp.type : [vp.type]
  if (!types.includes('VerifiablePresentation')) fail('vp_invalid', 'vp.type lacks VerifiablePresentation', { field: 'vp.vp.type' })
  const creds = Array.isArray(vp.verifiableCredential) ? vp.verifiableCredential : []
  if (creds.length !== 1 || typeof creds[0] !== 'string') fail('vp_invalid', 'exactly one JWT-VC expected', { field: 'vp.vp.verifiableCredential' })
  const credential = await verifyJwtVc(creds[0], options).catch(fromVp)
  if (credential.subject !== holder) fail('holder_mismatch', 'the credential was issued to another holder than the one presenting it', { field: 'vp.vp.verifiableCredential[0].sub' })
  return { ...credential, holder }
}
