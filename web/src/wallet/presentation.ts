import { CompactEncrypt, importJWK, type JWK } from 'jose'
import { CredentialError, decodeJws, presentSdJwtVc, verifyJwsSignature, type ClaimPath, type DecodedJws } from '../../../credentials/index.ts'
import { siteOf } from './claims.ts'
import { didKey } from './didKeys.ts'
import type { Holder } from './holderKey.ts'
import { WalletError } from './issuance.ts'

/**
 * OpenID4VP 1.0 with a signed request object (JAR), by value or by reference, answered by `direct_post` or, encrypted
 * to a key of the verifier's, `direct_post.jwt`: who asks (checked against its did:web), for which claims (DCQL), and
 * the SD-JWT VC presentation with a key-binding JWT that answers it.
 */

/** How to encrypt a `direct_post.jwt` answer (OpenID4VP 1.0 §8.3): ECDH-ES to the verifier's key, then `enc`. */
export interface ResponseEncryption {
  jwk: JWK
  enc: string
}

export interface PresentationRequest {
  clientId: string
  responseUri: string
  nonce: string
  state: string | undefined
  /** The DCQL credential query id: the key of the presentation in `vp_token`. */
  queryId: string
  vctValues: string[]
  claims: ClaimPath[]
  expiresAt: Date | undefined
  /** Set for `direct_post.jwt`: the answer goes as a JWE only this verifier can open. */
  encryption: ResponseEncryption | undefined
}

/** JAR `typ` (RFC 9101 §10.8), and the one algorithm this wallet accepts for request objects. */
const REQUEST_TYP = 'oauth-authz-req+jwt'
const REQUEST_ALG = 'ES256'
/** OpenID4VP 1.0 §5.9.3: the verifier is a DID, and signs the request object with a key of its DID document. */
const DID_PREFIX = 'decentralized_identifier:'
/** OpenID4VP 1.0 §5.8: the request's `aud` when the wallet's metadata is static (this wallet publishes none). */
const STATIC_AUDIENCE = 'https://self-issued.me/v2'
/** Content encryption this wallet can do, in the order it prefers them (HAIP: A128GCM and A256GCM). */
const RESPONSE_ENCS = ['A128GCM', 'A256GCM']

/**
 * The verifier's response-encryption key and content encryption from `client_metadata` (OpenID4VP 1.0 §8.3, §11.1):
 * an ECDH-ES P-256 public key in `jwks` (not marked for another use or algorithm), and the first `enc` both sides
 * support (A128GCM when the verifier names none). Anything else: refused, never sent in the clear instead.
 */
export function responseEncryptionOf(metadata: unknown): ResponseEncryption {
  const m = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as { jwks?: { keys?: unknown }; encrypted_response_enc_values_supported?: unknown }
  const keys = Array.isArray(m.jwks?.keys) ? (m.jwks.keys as Record<string, unknown>[]) : []
  const key = keys.find((k) => typeof k === 'object' && k !== null && k.kty === 'EC' && k.crv === 'P-256' && typeof k.x === 'string' &&
    typeof k.y === 'string' && !('d' in k) && (k.use === undefined || k.use === 'enc') && (k.alg === undefined || k.alg === 'ECDH-ES'))
  const offered = m.encrypted_response_enc_values_supported ?? ['A128GCM']
  const enc = Array.isArray(offered) ? RESPONSE_ENCS.find((e) => offered.includes(e)) : undefined
  if (!key || !enc) throw new WalletError('request_invalid', 'This request asks for an encrypted answer in a way this wallet doesn’t support.')
  const jwk: JWK = { kty: 'EC', crv: 'P-256', x: key.x as string, y: key.y as string, ...(typeof key.kid === 'string' ? { kid: key.kid } : {}) }
  return { jwk, enc }
}

/**
 * The request object by reference (RFC 9101 §5.2; OpenID4VP 1.0 §5.10 with `request_uri_method` get): fetched once,
 * over https or from this page's own origin; what comes back is checked exactly as a request by value is.
 */
async function fetchRequestObject(params: URLSearchParams): Promise<string> {
  const bad = (why: string): never => { throw new WalletError('request_invalid', why) }
  let uri: URL | undefined
  try {
    uri = new URL(params.get('request_uri') ?? '')
  } catch {
    bad('The request link is incomplete or damaged. Copy the whole link again.')
  }
  if (uri!.protocol !== 'https:' && uri!.origin !== location.origin) bad('The request link points to an insecure address, so it was not opened.')
  if ((params.get('request_uri_method') ?? 'get') !== 'get') bad('This request asks for an answer in a way this wallet doesn’t support.')
  let res: Response | undefined
  try {
    res = await fetch(uri!.href, { credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/oauth-authz-req+jwt' } })
  } catch {
    throw new WalletError('issuer_unreachable', 'Can’t reach the service that asked. Check your connection and try again.')
  }
  if (!res.ok) bad('The service no longer has this request (it was opened already, or it expired). Ask it for a new one.')
  return (await res.text()).trim()
}

/**
 * `openid4vp://?client_id=…&request=<JWT>` (or `request_uri=…`) → the request, after checking who signed it: the
 * request object (JAR, RFC 9101) must be an ES256 JWS of `typ` oauth-authz-req+jwt, its `client_id` a did:web
 * (`decentralized_identifier:did:web:…`) equal to the link's, and its `kid` a key of that DID's document; then
 * `aud` (when present) must be the static-discovery audience. Anything else is refused before the holder sees it.
 */
export async function readRequestLink(link: string, now = Date.now()): Promise<PresentationRequest> {
  const text = link.trim()
  const q = text.indexOf('?')
  const bad = (why: string): never => { throw new WalletError('request_invalid', why) }
  const untrusted = (why: string): never => { throw new WalletError('request_untrusted', why) }
  if (!/^(openid4vp|eudi-openid4vp|haip):\/\//.test(text) || q < 0) bad('That isn’t a presentation request link. It starts with openid4vp://.')
  const params = new URLSearchParams(text.slice(q + 1))
  const request = params.get('request') ?? (params.has('request_uri') ? await fetchRequestObject(params) : '')
  let jws: DecodedJws | undefined
  try {
    jws = decodeJws(request)
  } catch {
    bad('The request link is incomplete or damaged. Copy the whole link again.')
  }
  const { header, payload: p } = jws!
  const clientId = String(p.client_id ?? '')
  if (!clientId || clientId !== params.get('client_id')) bad('The request doesn’t say consistently who is asking, so it was not opened.')
  if (header.typ !== REQUEST_TYP || header.alg !== REQUEST_ALG) untrusted('The request isn’t signed the way this wallet requires, so it was not opened.')
  if (!clientId.startsWith(`${DID_PREFIX}did:web:`)) untrusted('The service doesn’t identify itself with a web address this wallet can check (did:web), so the request was not opened.')
  const did = clientId.slice(DID_PREFIX.length)
  const site = siteOf(did)
  if (typeof header.kid !== 'string' || !header.kid.startsWith(`${did}#`)) untrusted(`The request is signed with a key that isn’t ${site}’s, so it was not opened.`)
  let key: CryptoKey | undefined
  try {
    key = await didKey(did, header.kid as string, REQUEST_ALG)
  } catch (err) {
    const code = err instanceof CredentialError ? err.code : undefined
    untrusted(code === 'key_unknown'
      ? `The request is signed with a key ${site} doesn’t list as its own, so it was not opened.`
      : `Can’t check who is asking: ${site}’s identity document couldn’t be loaded. Check your connection and try again.`)
  }
  if (!await verifyJwsSignature(jws!, REQUEST_ALG, key!)) untrusted(`The request’s signature doesn’t match ${site}’s key: it may have been altered on the way, so it was not opened. Ask the service for a new link.`)
  if (p.iss !== undefined && p.iss !== clientId) untrusted('The request names another sender than the service asking, so it was not opened.')
  if (p.aud !== undefined && !(p.aud === STATIC_AUDIENCE || (Array.isArray(p.aud) && p.aud.includes(STATIC_AUDIENCE)))) bad('The request is addressed to another wallet, so it was not opened.')
  if (p.response_type !== undefined && p.response_type !== 'vp_token') bad('This request asks for an answer in a way this wallet doesn’t support.')
  if ((p.response_mode !== 'direct_post' && p.response_mode !== 'direct_post.jwt') || typeof p.response_uri !== 'string' || typeof p.nonce !== 'string') {
    bad('This request asks for an answer in a way this wallet doesn’t support.')
  }
  const encryption = p.response_mode === 'direct_post.jwt' ? responseEncryptionOf(p.client_metadata) : undefined
  if (typeof p.exp === 'number' && p.exp * 1000 < now) bad('This request has expired. Ask the service for a new one.')
  const query = (p.dcql_query as { credentials?: { id?: string; meta?: { vct_values?: string[] }; claims?: { path?: unknown[] }[] }[] } | undefined)?.credentials?.[0]
  const claims = (query?.claims ?? []).map((c) => c.path).filter((x): x is (string | number)[] => Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string' || typeof s === 'number'))
  if (!query?.id || claims.length === 0) bad('The request doesn’t say which claims it wants, so it was not opened.')
  let responseUri: URL | undefined
  try {
    responseUri = new URL(p.response_uri as string)
  } catch {
    bad('The request doesn’t say where to send the answer, so it was not opened.')
  }
  return {
    clientId, responseUri: responseUri!.href, nonce: p.nonce as string, state: typeof p.state === 'string' ? p.state : undefined,
    queryId: query!.id!, vctValues: query!.meta?.vct_values ?? [], claims, expiresAt: typeof p.exp === 'number' ? new Date(p.exp * 1000) : undefined,
    encryption,
  }
}

/**
 * direct_post.jwt (OpenID4VP 1.0 §8.3.1): the response parameters as JSON in a compact JWE, ECDH-ES to the
 * verifier's key (its `kid` in the header when it has one), sent as `response` alone.
 */
export async function encryptResponse(encryption: ResponseEncryption, params: Record<string, unknown>): Promise<string> {
  const { jwk, enc } = encryption
  try {
    return await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(params)))
      .setProtectedHeader({ alg: 'ECDH-ES', enc, ...(jwk.kid ? { kid: jwk.kid } : {}) })
      .encrypt(await importJWK(jwk, 'ECDH-ES'))
  } catch {
    throw new WalletError('request_invalid', 'The service’s encryption key can’t be used, so nothing was shared. Ask it for a new request.')
  }
}

/** Builds the presentation (only the asked-for disclosures + KB-JWT) and posts it to `response_uri`. */
export async function sharePresentation(request: PresentationRequest, credential: string, holder: Holder): Promise<void> {
  let presentation: string
  try {
    presentation = await presentSdJwtVc(credential, { disclose: request.claims, keyBinding: { holder: holder.signer, nonce: request.nonce, audience: request.clientId, now: new Date() } })
  } catch {
    throw new WalletError('claim_missing', 'Your credential doesn’t hold every claim this service asks for, so nothing was shared.')
  }
  const vpToken = { [request.queryId]: [presentation] }
  let body: URLSearchParams
  if (request.encryption) {
    body = new URLSearchParams({ response: await encryptResponse(request.encryption, { vp_token: vpToken, ...(request.state ? { state: request.state } : {}) }) })
  } else {
    body = new URLSearchParams({ vp_token: JSON.stringify(vpToken) })
    if (request.state) body.set('state', request.state)
  }
  let res: Response
  try {
    res = await fetch(request.responseUri, { method: 'POST', credentials: 'omit', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body })
  } catch {
    throw new WalletError('issuer_unreachable', 'Can’t reach the service that asked. Check your connection and try again.')
  }
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as { code?: string }
    throw new WalletError('presentation_refused', p.code === 'presentation_request_unknown'
      ? 'The service no longer accepts this request (it was answered already or expired). Ask it for a new one.'
      : 'The service didn’t accept the presentation. Ask it for a new request.')
  }
}
