import { inflateSync } from 'node:zlib'
import { compactVerify, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'

/**
 * A minimal OpenID4VCI 1.0 wallet in the test process (there is no browser wallet yet): it reads a credential
 * offer URI, finds the endpoints in the issuer's metadata, and runs the pre-authorized code flow with plain
 * fetch and jose (token with tx_code → nonce → credential with a key proof). It uses none of Sigil's code, so it
 * checks the wire format as a real wallet would (the same steps as server/testing/kycHarness.ts).
 */

export interface CredentialOffer {
  credential_issuer: string
  credential_configuration_ids: string[]
  grants: Record<string, { 'pre-authorized_code': string; tx_code?: { length: number; input_mode: string } }>
}

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code'

/** `openid-credential-offer://?credential_offer=…` (OpenID4VCI 1.0 §4.1) → the offer object. */
export function parseOfferUri(uri: string): CredentialOffer {
  const u = new URL(uri)
  if (u.protocol !== 'openid-credential-offer:') throw new Error(`not a credential offer URI: ${uri.slice(0, 40)}`)
  const raw = u.searchParams.get('credential_offer')
  if (!raw) throw new Error('the offer URI has no credential_offer parameter')
  return JSON.parse(raw) as CredentialOffer
}

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text()
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text}`)
  return JSON.parse(text) as T
}

interface Endpoints { token: string; nonce: string; credential: string }

async function endpoints(issuer: string): Promise<Endpoints> {
  const md = await json<{ credential_endpoint: string; nonce_endpoint: string }>(await fetch(`${issuer}/.well-known/openid-credential-issuer`), 'issuer metadata')
  const as = await json<{ token_endpoint: string }>(await fetch(`${issuer}/.well-known/oauth-authorization-server`), 'authorization server metadata')
  return { token: as.token_endpoint, nonce: md.nonce_endpoint, credential: md.credential_endpoint }
}

/** POST to the token endpoint, form-encoded (RFC 6749 §4.1.3, OpenID4VCI 1.0 §6.1). */
export function tokenRequest(tokenEndpoint: string, code: string, txCode?: string): Promise<Response> {
  const form = new URLSearchParams({ grant_type: PRE_AUTHORIZED_GRANT, 'pre-authorized_code': code })
  if (txCode !== undefined) form.set('tx_code', txCode)
  return fetch(tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
}

export interface Collected {
  credential: string
  holderJwk: JWK
  offer: CredentialOffer
  tokenEndpoint: string
}

/** Redeems an offer with its PIN: an ES256 holder key, a token, a c_nonce, and one proof → one credential. */
export async function collectCredential(offerUri: string, txCode: string | undefined): Promise<Collected> {
  const offer = parseOfferUri(offerUri)
  const issuer = offer.credential_issuer
  const grant = offer.grants[PRE_AUTHORIZED_GRANT]
  if (!grant) throw new Error('the offer has no pre-authorized code grant')
  const ep = await endpoints(issuer)
  const token = await json<{ access_token: string; token_type: string }>(await tokenRequest(ep.token, grant['pre-authorized_code'], txCode), 'token')
  const { c_nonce } = await json<{ c_nonce: string }>(await fetch(ep.nonce, { method: 'POST' }), 'nonce')

  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const holderJwk = await exportJWK(publicKey)
  // OpenID4VCI 1.0 Appendix F.1: typ, the key in the jwk header, aud = the credential issuer, the c_nonce, iat.
  const proof = await new SignJWT({ aud: issuer, nonce: c_nonce })
    .setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: holderJwk })
    .setIssuedAt()
    .sign(privateKey)
  const res = await fetch(ep.credential, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` },
    body: JSON.stringify({ credential_configuration_id: offer.credential_configuration_ids[0], proofs: { jwt: [proof] } }),
  })
  const out = await json<{ credentials: { credential: string }[] }>(res, 'credential')
  return { credential: out.credentials[0]!.credential, holderJwk, offer, tokenEndpoint: ep.token }
}

/** Checks a JWS against the issuer's JWKS; `kid` may be a DID URL (`did:web:…#kid`). Returns its payload. */
export async function verifyWithJwks(jws: string, jwksUrl: string): Promise<Record<string, unknown>> {
  const { kid, alg } = decodeProtectedHeader(jws)
  const { keys } = await json<{ keys: JWK[] }>(await fetch(jwksUrl), 'jwks')
  const bare = String(kid).split('#').pop()
  const jwk = keys.find((k) => k.kid === bare)
  if (!jwk) throw new Error(`no key ${String(kid)} in the JWKS`)
  await compactVerify(jws, await importJWK(jwk, alg))
  return decodeJwt(jws)
}

/** The status of entry `idx` in a Token Status List JWT (draft-ietf-oauth-status-list §4.1: ZLIB, LSB first). */
export function statusAt(payload: Record<string, unknown>, idx: number): number {
  const { bits, lst } = payload.status_list as { bits: number; lst: string }
  const bytes = inflateSync(Buffer.from(lst, 'base64url'))
  const bit = idx * bits
  return (bytes[bit >> 3]! >> (bit & 7)) & ((1 << bits) - 1)
}
