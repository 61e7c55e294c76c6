import { jwtVerify, errors as joseErrors } from 'jose'
import type { Config } from '../config.ts'
import { signJwt, withKeyRefresh, type KeyRing } from '../keys/index.ts'
import type { SessionRecord } from '../store/index.ts'

/** RFC 9068 JWT access token media type; verification pins it with the algorithm and audience. */
export const ACCESS_TOKEN_TYP = 'at+jwt'

export interface AccessTokenClaims {
  sub: string
  sid: string
}

export async function issueAccessToken(keys: KeyRing, config: Config, session: SessionRecord, now: number): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(now / 1000)
  const exp = Math.min(iat + config.accessTokenSeconds, Math.floor(session.absoluteExpiresAt / 1000))
  const token = await signJwt(keys.signer(), ACCESS_TOKEN_TYP, {
    iss: config.publicUrl, aud: config.publicUrl, sub: session.userId, sid: session.ref,
    iat, exp, jti: crypto.randomUUID(), client_id: 'sigil-web',
  })
  return { token, expiresIn: exp - iat }
}

/** Verifies signature (ES256 only), typ, issuer, audience and lifetime; throws on anything else. */
export async function verifyAccessToken(keys: KeyRing, config: Config, token: string, now: number): Promise<AccessTokenClaims> {
  if (token.length > 4096) throw new joseErrors.JWTInvalid('token too large')
  const options = {
    algorithms: ['ES256'],
    typ: ACCESS_TOKEN_TYP,
    issuer: config.publicUrl,
    audience: config.publicUrl,
    currentDate: new Date(now),
    requiredClaims: ['sub', 'sid', 'exp', 'iat'],
  }
  // Another instance may have rotated the key a moment ago: an unknown kid re-reads the key set once.
  const { payload } = await withKeyRefresh(keys, (err) => err instanceof joseErrors.JWKSNoMatchingKey,
    () => jwtVerify(token, keys.verificationKeys(), options))
  if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new joseErrors.JWTClaimValidationFailed('bad claims', payload)
  return { sub: payload.sub, sid: payload.sid }
}
