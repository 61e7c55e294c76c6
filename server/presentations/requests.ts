import { randomBytes } from 'node:crypto'
import QRCode from 'qrcode'
import { signJwt } from '../keys/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { issuerIdentity } from '../kyc/index.ts'
import type { ApiClientRecord } from '../store/index.ts'
import { createResponseKey, openEncryptedResponse, type ResponseKey } from './responseEncryption.ts'
import { recordBeneficiaryFailure, recordBeneficiaryPresentation, TRAVEL_RULE_VERIFIER } from '../approvals/index.ts'
import { requireDisclosure, verifyForApp, type DisclosingApp } from './verify.ts'

/** The DCQL credential query id (OpenID4VP 1.0 §6): the key of the credential in `vp_token`. */
export const CREDENTIAL_QUERY_ID = 'kyc'
/** How long a verified result waits for the relying app before it is deleted unread. */
export const RESULT_TTL_MS = 10 * 60_000

/** How the wallet answers (OpenID4VP 1.0 §8.2 `direct_post`, §8.3.1 `direct_post.jwt`). */
export type ResponseMode = 'direct_post' | 'direct_post.jwt'

interface RequestData {
  appId: string; claims: string[]; nonce: string; state: string; clientId: string
  /** Absent on requests made before response modes existed: direct_post. */
  responseMode?: ResponseMode
  /** direct_post.jwt: this request's own decryption key; it leaves the store with the request, used once. */
  responseKey?: ResponseKey
  /** Set on Sigil's own Travel Rule request for an approval's beneficiary: a verified answer is linked to that approval. */
  approvalId?: string
}

/** The algorithms a wallet may use for the credential and the KB-JWT (client_metadata.vp_formats_supported, §11.1). */
const VP_FORMATS = { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256', 'EdDSA'], 'kb-jwt_alg_values': ['ES256', 'EdDSA'] } }

/**
 * The verifier's client identifier (OpenID4VP 1.0 §5.9.3, prefix `decentralized_identifier`): Sigil's did:web,
 * whose key signs the request object. The holder's key-binding JWT names it as `aud`.
 */
const clientIdOf = (deps: AppDeps): string => `decentralized_identifier:${issuerIdentity(deps).did}`

/**
 * `POST /v1/presentations/requests`: checks the app's disclosure policy, then makes a signed request object
 * (JAR, `typ: oauth-authz-req+jwt`) with a DCQL query for exactly the asked claims, a nonce, `response_uri` and
 * the response mode. For `direct_post.jwt` a fresh P-256 key is made for this request only: its public half goes
 * in `client_metadata.jwks`, the private half stays in the store with the request. The request is answered once
 * and expires; its object can be fetched once by reference (`request_uri`). Nothing about the holder is stored.
 */
export async function createPresentationRequest(deps: AppDeps, app: DisclosingApp, claims: string[], expiresInSeconds: number,
  responseMode: ResponseMode = 'direct_post', approvalId?: string) {
  await requireDisclosure(deps, app, claims)
  const id = `pr_${randomBytes(18).toString('base64url')}`
  const now = deps.now()
  const issuer = issuerIdentity(deps)
  const responseKey = responseMode === 'direct_post.jwt' ? await createResponseKey() : undefined
  const data: RequestData = { appId: app.id, claims, nonce: randomBytes(24).toString('base64url'), state: randomBytes(16).toString('base64url'),
    clientId: clientIdOf(deps), responseMode, ...(responseKey ? { responseKey } : {}), ...(approvalId ? { approvalId } : {}) }
  const responseUri = `${deps.config.publicUrl}/v1/presentations/responses/${id}`
  const requestUri = `${deps.config.publicUrl}/v1/presentations/request-objects/${id}`
  const clientMetadata = responseKey
    ? { vp_formats_supported: VP_FORMATS, jwks: { keys: [responseKey.publicJwk] }, encrypted_response_enc_values_supported: responseKey.encs }
    : { vp_formats_supported: VP_FORMATS }
  const dcql = { credentials: [{ id: CREDENTIAL_QUERY_ID, format: 'dc+sd-jwt', meta: { vct_values: [issuer.vct] },
    claims: claims.map((c) => ({ path: c.split('.') })) }] }
  // Signed by the key behind the verifier's DID: the kid is its DID URL, as in the DID document. No `iss` (a SHOULD
  // in RFC 9101 §4): wallets disagree on its value for this prefix (the bare DID for @openid4vc/openid4vp, the client
  // id for others); `client_id` names the verifier (OpenID4VP 1.0 §5.10), and every wallet accepts its absence.
  const signer = deps.keys.signer()
  const request = await signJwt({ ...signer, kid: `${issuer.did}#${signer.kid}`, sign: (d) => signer.sign(d) }, 'oauth-authz-req+jwt', {
    aud: 'https://self-issued.me/v2', client_id: data.clientId, response_type: 'vp_token', response_mode: responseMode,
    response_uri: responseUri, nonce: data.nonce, state: data.state, dcql_query: dcql, client_metadata: clientMetadata, iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000) + expiresInSeconds,
  })
  await deps.store.challenges.put({ challenge: id, kind: 'presentation', data: data as unknown as Record<string, unknown>, expiresAt: now + expiresInSeconds * 1000 })
  await deps.store.challenges.put({ challenge: `object:${id}`, kind: 'presentation-object', data: { request }, expiresAt: now + expiresInSeconds * 1000 })
  await deps.store.audit.append({ type: 'presentation.requested', actor: app.id, subject: id, data: { claims } }, now)
  const deepLink = `openid4vp://?client_id=${encodeURIComponent(data.clientId)}&request=${request}`
  // By reference (RFC 9101 §5.2; OpenID4VP 1.0 §5.10, GET): short enough for a QR code a phone reads at a glance.
  const deepLinkByReference = `openid4vp://?client_id=${encodeURIComponent(data.clientId)}&request_uri=${encodeURIComponent(requestUri)}`
  return { id, request, requestUri, deepLink, deepLinkByReference, qrSvg: await QRCode.toString(deepLinkByReference, { type: 'svg', errorCorrectionLevel: 'M' }),
    dcqlQuery: dcql, responseMode, nonce: data.nonce, expiresAt: new Date(now + expiresInSeconds * 1000).toISOString() }
}

/**
 * `GET /v1/presentations/request-objects/:id` (the wallet's `request_uri`): the signed request object, once. A
 * second fetch, an unknown id or an expired request is 404; the request itself stays open for the answer.
 */
export async function takeRequestObject(deps: AppDeps, id: string): Promise<string> {
  const rec = await deps.store.challenges.consume(`object:${id}`)
  if (!rec || rec.kind !== 'presentation-object' || rec.expiresAt <= deps.now()) {
    throw new ProblemError('presentation_request_unknown', 404, { detail: 'The request object is unknown, already fetched or expired.', field: 'id' })
  }
  return (rec.data as { request: string }).request
}

/** What the wallet posted to the response URI: `vp_token` and `state` (direct_post) or `response` (direct_post.jwt). */
export interface WalletAnswer { vp_token?: string | undefined; state?: string | undefined; response?: string | undefined }

/** The answer's vp_token and state, opened (direct_post.jwt) or parsed (direct_post); the wrong form for the request is refused. */
async function readAnswer(data: RequestData, answer: WalletAnswer): Promise<{ token: unknown; state: string | undefined }> {
  const mode = data.responseMode ?? 'direct_post'
  const wrongMode = (field: string) => new ProblemError('presentation_invalid', 422, { detail: `This request asked for response_mode ${mode}.`, field,
    extra: { reason: 'response_mode_mismatch' } })
  if (mode === 'direct_post.jwt') {
    if (answer.response === undefined || answer.vp_token !== undefined || !data.responseKey) throw wrongMode('response')
    const opened = await openEncryptedResponse(answer.response, data.responseKey)
    return { token: opened.vpToken, state: opened.state }
  }
  if (answer.vp_token === undefined) throw wrongMode('vp_token')
  let token: unknown
  try { token = JSON.parse(answer.vp_token) } catch { token = undefined }
  return { token, state: answer.state }
}

/**
 * `POST /v1/presentations/responses/:id` (the wallet's direct_post or direct_post.jwt): takes the request once
 * (with its decryption key), verifies the presentation under the app's policy with the request's nonce and client
 * id as audience, and keeps only the asked-for claims until the app reads them (or for 10 minutes). A failed check
 * is kept as a failure. Either way a `presentation.verified` or `presentation.failed` event (ids and reason code only) goes out.
 */
export async function receivePresentation(deps: AppDeps, id: string, answer: WalletAnswer): Promise<void> {
  const req = await deps.store.challenges.consume(id)
  if (!req || req.kind !== 'presentation' || req.expiresAt <= deps.now()) {
    throw new ProblemError('presentation_request_unknown', 400, { detail: 'The request is unknown, used or expired.', field: 'id' })
  }
  const data = req.data as unknown as RequestData
  let outcome: Record<string, unknown>
  try {
    const { token, state } = await readAnswer(data, answer)
    if (state !== undefined && state !== data.state) throw new ProblemError('presentation_invalid', 422, { detail: 'state does not match', field: 'state', extra: { reason: 'state_mismatch' } })
    const entry = (token as Record<string, unknown> | undefined)?.[CREDENTIAL_QUERY_ID]
    const presentation = Array.isArray(entry) ? entry[0] : entry
    if (typeof presentation !== 'string') throw new ProblemError('presentation_invalid', 422, { detail: `vp_token must hold the "${CREDENTIAL_QUERY_ID}" presentation`, field: 'vp_token', extra: { reason: 'vp_token_malformed' } })
    const app = data.approvalId ? TRAVEL_RULE_VERIFIER : await deps.store.apiClients.get(data.appId)
    if (!app) throw new ProblemError('presentation_request_unknown', 400, { field: 'id' })
    const r = await verifyForApp(deps, app, { presentation, nonce: data.nonce, audience: data.clientId, claims: data.claims })
    // Travel Rule: the claims go to the approval (or the answer fails), not to a result for an app to read.
    if (data.approvalId) await recordBeneficiaryPresentation(deps, data.approvalId, { presentationRequestId: id, issuer: r.issuer, claims: r.claims })
    outcome = data.approvalId ? { status: 'verified' } : { status: 'verified', claims: r.claims, issuer: r.issuer, credentialStatus: r.status }
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err
    outcome = { status: 'failed', reason: (err.extra?.reason as string | undefined) ?? err.code }
  }
  // The result and its event are one write (transactional outbox): a result the app can read always has its event.
  const event = outcome.status === 'verified' ? 'presentation.verified' : 'presentation.failed'
  await deps.store.challenges.put({ challenge: `result:${id}`, kind: 'presentation-result', data: { appId: data.appId, ...outcome }, expiresAt: deps.now() + RESULT_TTL_MS },
    [domainEvent(event, id, deps.now(), { app: data.appId, ...(outcome.reason ? { reason: outcome.reason } : {}) })])
  if (outcome.status !== 'verified') {
    await deps.store.audit.append({ type: 'presentation.failed', actor: data.appId, subject: id, data: { reason: outcome.reason } }, deps.now())
    // Travel Rule: the approval keeps why its beneficiary's answer failed (a reason code only).
    if (data.approvalId) await recordBeneficiaryFailure(deps, data.approvalId, { presentationRequestId: id, reason: String(outcome.reason) })
    throw new ProblemError('presentation_invalid', 422, { detail: `The presentation does not verify: ${String(outcome.reason)}.`, field: 'vp_token', extra: { reason: outcome.reason } })
  }
}

/**
 * `GET /v1/presentations/requests/:id`: the result for the app that asked, once: reading deletes it. Before the
 * wallet answers (or after the result was read or expired) the answer is `pending`.
 */
export async function readPresentationResult(deps: AppDeps, app: ApiClientRecord, id: string) {
  const rec = await deps.store.challenges.consume(`result:${id}`)
  if (!rec || rec.kind !== 'presentation-result') return { id, status: 'pending' as const }
  const data = rec.data as { appId: string; status: 'verified' | 'failed'; claims?: Record<string, unknown>; reason?: string }
  if (data.appId !== app.id) {
    // Not this app's: put it back untouched, and answer as for an unknown id.
    await deps.store.challenges.put(rec)
    return { id, status: 'pending' as const }
  }
  return { id, status: data.status, ...(data.claims ? { claims: data.claims } : {}), ...(data.reason ? { reason: data.reason } : {}) }
}
