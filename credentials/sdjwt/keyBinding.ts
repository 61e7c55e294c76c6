import { CredentialError, fail } from '../errors.ts'
import { decodeJws, epochSeconds, signJwsWithHeader, verifyJwsSignature } from '../jws/index.ts'
import { assertAlgAllowed, type Signer, type SigningAlg } from '../keys/index.ts'
import { sha256Base64url } from './hash.ts'

/** JWS `typ` of a Key Binding JWT (RFC 9901 §4.3). */
export const KB_JWT_TYP = 'kb+jwt'

/** Options of createKbJwt. */
export interface CreateKbJwtOptions {
  holder: Signer
  /** The SD-JWT being presented, ending in `~`: what `sd_hash` covers. */
  sdJwt: string
  nonce: string
  audience: string
  now: Date
}

/** Signs a KB-JWT (RFC 9901 §4.3): header `typ: kb+jwt` and `alg` only; payload `iat`, `aud`, `nonce`, `sd_hash`. */
export async function createKbJwt(options: CreateKbJwtOptions): Promise<string> {
  return signJwsWithHeader(options.holder, { typ: KB_JWT_TYP }, {
    iat: epochSeconds(options.now),
    aud: options.audience,
    nonce: options.nonce,
    sd_hash: sha256Base64url(options.sdJwt),
  })
}

/** Options of verifyKbJwt. */
export interface VerifyKbJwtOptions {
  /** Imports the holder key (`cnf.jwk`) for the KB-JWT's alg. */
  holderKey: (alg: SigningAlg) => Promise<CryptoKey>
  sdJwt: string
  expectedNonce: string | undefined
  expectedAudience: string | undefined
  now: Date
  maxAgeSeconds: number
  clockToleranceSeconds: number
  allowedAlgs: readonly SigningAlg[]
}

/** The checked KB-JWT claims. */
export interface VerifiedKbJwt {
  iat: number
  aud: string
  nonce: string
}

/**
 * Verifies a KB-JWT (RFC 9901 §7.3): `typ`, allowed `alg`, signature with the holder key, `sd_hash`, `nonce`,
 * `aud`, and `iat` within [now − maxAge − tolerance, now + tolerance] → `kb_jwt_stale` otherwise.
 * `expectedNonce`/`expectedAudience` undefined skip those checks (only when key binding is optional).
 */
export async function verifyKbJwt(kbJwt: string, options: VerifyKbJwtOptions): Promise<VerifiedKbJwt> {
  const jws = decodeJws(kbJwt, 'kb_jwt_invalid')
  if (jws.header.typ !== KB_JWT_TYP) fail('kb_jwt_invalid', 'typ is not kb+jwt')
  const alg = assertAlgAllowed(jws.header.alg, options.allowedAlgs)
  let key: CryptoKey
  try {
    key = await options.holderKey(alg)
  } catch (cause) {
    fail('kb_jwt_invalid', `holder key: ${cause instanceof CredentialError ? cause.code : 'unusable'}`, { cause })
  }
  if (!await verifyJwsSignature(jws, alg, key)) fail('kb_jwt_invalid', 'signature does not verify with cnf.jwk')
  const { iat, aud, nonce, sd_hash } = jws.payload
  if (typeof iat !== 'number' || typeof aud !== 'string' || typeof nonce !== 'string' || typeof sd_hash !== 'string') {
    fail('kb_jwt_invalid', 'iat, aud, nonce and sd_hash are required')
  }
  if (sd_hash !== sha256Base64url(options.sdJwt)) fail('sd_hash_mismatch')
  if (options.expectedNonce !== undefined && nonce !== options.expectedNonce) fail('nonce_mismatch')
  if (options.expectedAudience !== undefined && aud !== options.expectedAudience) fail('audience_mismatch')
  const now = options.now.getTime() / 1000
  if (iat > now + options.clockToleranceSeconds || iat < now - options.maxAgeSeconds - options.clockToleranceSeconds) {
    fail('kb_jwt_stale', `iat ${iat}`)
  }
  return { iat, aud, nonce }
}
