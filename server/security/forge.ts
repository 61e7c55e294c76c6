import { createPublicKey } from 'node:crypto'
import { CompactSign, type JWK } from 'jose'

/**
 * What an attacker does to a JWS he holds or makes, for the security regression tests: real crypto, no mocks.
 * Test-only; nothing outside server/security imports it.
 */

const b64u = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** Header and payload of a compact JWS, unverified. */
export function partsOf(jws: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = jws.split('.')
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) }
}

/** RFC 7519 §6.1 unsecured JWT: `alg` none (or a case variant) and an empty signature. */
export function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, alg = 'none'): string {
  return `${b64u({ ...header, alg })}.${b64u(payload)}.`
}

/** The public key as the SPKI PEM a confused verifier would read as an HMAC secret. */
export function publicPem(jwk: JWK): string {
  const { kty, crv, x, y } = jwk
  return createPublicKey({ key: { kty, crv, x, y } as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
}

/**
 * Algorithm confusion (CVE-2015-9235 and kin): HS256 with the verifier's *public* key as the HMAC secret, once as
 * PEM and once as the JWK's JSON. A verifier that lets the token choose its algorithm accepts either.
 */
export async function hs256WithPublicKey(header: Record<string, unknown>, payload: Record<string, unknown>, jwk: JWK): Promise<string[]> {
  const secrets = [publicPem(jwk), JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y })]
  return Promise.all(secrets.map((s) => new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ ...header, alg: 'HS256' }).sign(new TextEncoder().encode(s))))
}

/** A valid-looking `kid` that points somewhere else: a file path, a URL, SQL, and a key the attacker holds. */
export const HOSTILE_KIDS = ['../../../../../../dev/null', '/etc/passwd', 'https://attacker.example/jwks.json', "x' OR '1'='1", '']

/** Headers that would make a careless verifier fetch or trust the attacker's key (RFC 7515 §4.1.2–4.1.5). */
export function keyInjectionHeaders(attackerJwk: JWK): Record<string, unknown>[] {
  return [
    { jwk: attackerJwk },
    { jku: 'https://attacker.example/jwks.json' },
    { x5u: 'https://attacker.example/cert.pem' },
    { kid: 'https://attacker.example/jwks.json', jku: 'https://attacker.example/jwks.json', jwk: attackerJwk },
  ]
}
