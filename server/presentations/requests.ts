import { randomBytes } from 'node:crypto'
import QRCode from 'qrcode'
import { signJwt } from '../keys/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { issuerIdentity } from '../kyc/index.ts'
import type { ApiClientRecord } from '../store/index.ts'
import { requireDisclosure, verifyForApp } from './verify.ts'

/** The DCQL credential query id (OpenID4VP 1.0 §6): the key of the credential in `vp_token`. */
export const CREDENTIAL_QUERY_ID = 'kyc'
/** How long a verified result waits for the relying app before it is deleted unread. */
export const RESULT_TTL_MS = 10 * 60_000

interface RequestData { appId: string; claims: string[]; nonce: string; state: string; clientId: string }

/**
 * The verifier's client identifier (OpenID4VP 1.0 §5.9.3, prefix `decentralized_identifier`): Sigil's did:web,
 * whose key signs the request object. The holder's key-binding JWT names it as `aud`.
 */
const clientIdOf = (deps: AppDeps): string => `decentralized_identifier:${issuerIdentity(deps).did}`

/**
 * `POST /v1/presentations/requests`: checks the app's disclosure policy, then makes a signed request object
 * (JAR, `typ: oauth-authz-req+jwt`) with a DCQL query for exactly the asked claims, a nonce, `response_uri` and
 * `response_mode: direct_post`. The request is single use and expires. Nothing about the holder is stored.
 */
export async function createPresentationRequest(deps: AppDeps, app: ApiClientRecord, claims: string[], expiresInSeconds: number) {
  await requireDisclosure(deps, app, claims)
  const id = `pr_${randomBytes(18).toString('base64url')}`
  const now = deps.now()
  const issuer = issuerIdentity(deps)
  const data: RequestData = { appId: app.id, claims, nonce: randomBytes(24).toString('base64url'), state: randomBytes(16).toString('base64url'), clientId: clientIdOf(deps) }
  const responseUri = `${deps.config.publicUrl}/v1/presentations/responses/${id}`
  const dcql = { credentials: [{ id: CREDENTIAL_QUERY_ID, format: 'dc+sd-jwt', meta: { vct_values: [issuer.vct] },
    claims: claims.map((c) => ({ path: c.split('.') })) }] }
  // Signed by the key behind the verifier's DID: the kid is its DID URL, as in the DID document.
  const signer = deps.keys.signer()
  const request = await signJwt({ ...signer, kid: `${issuer.did}#${signer.kid}`, sign: (d) => signer.sign(d) }, 'oauth-authz-req+jwt', {
    iss: data.clientId, aud: 'https://self-issued.me/v2', client_id: data.clientId, response_type: 'vp_token', response_mode: 'direct_post',
    response_uri: responseUri, nonce: data.nonce, state: data.state, dcql_query: dcql, iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000) + expiresInSeconds,
  })
  await deps.store.challenges.put({ challenge: id, kind: 'presentation', data: data as unknown as Record<string, unknown>, expiresAt: now + expiresInSeconds * 1000 })
  await deps.store.audit.append({ type: 'presentation.requested', actor: app.id, subject: id, data: { claims } }, now)
  const deepLink = `openid4vp://?client_id=${encodeURIComponent(data.clientId)}&request=${request}`
  return { id, request, deepLink, qrSvg: await QRCode.toString(deepLink, { type: 'svg', errorCorrectionLevel: 'L' }), dcqlQuery: dcql,
    nonce: data.nonce, expiresAt: new Date(now + expiresInSeconds * 1000).toISOString() }
}

/**
 * `POST /v1/presentations/responses/:id` (the wallet's direct_post): takes the request once, verifies the
 * presentation under the app's policy with the request's nonce and client id as audience, and keeps only the
 * asked-for claims until the app reads them (or for 10 minutes). A failed check is kept as a failure.
 */
export async function receivePresentation(deps: AppDeps, id: string, vpToken: string, state: string | undefined): Promise<void> {
  const req = await deps.store.challenges.consume(id)
  if (!req || req.kind !== 'presentation' || req.expiresAt <= deps.now()) {
    throw new ProblemError('presentation_request_unknown', 400, { detail: 'The request is unknown, used or expired.', field: 'id' })
  }
  const data = req.data as unknown as RequestData
  let outcome: Record<string, unknown>
  try {
    if (state !== undefined && state !== data.state) throw new ProblemError('presentation_invalid', 422, { detail: 'state does not match', extra: { reason: 'state_mismatch' } })
    let token: unknown
    try { token = JSON.parse(vpToken) } catch { token = undefined }
    const entry = (token as Record<string, unknown> | undefined)?.[CREDENTIAL_QUERY_ID]
    const presentation = Array.isArray(entry) ? entry[0] : entry
    if (typeof presentation !== 'string') throw new ProblemError('presentation_invalid', 422, { detail: `vp_token must hold the "${CREDENTIAL_QUERY_ID}" presentation`, field: 'vp_token', extra: { reason: 'vp_token_malformed' } })
    const app = await deps.store.apiClients.get(data.appId)
    if (!app) throw new ProblemError('presentation_request_unknown', 400, { field: 'id' })
    const r = await verifyForApp(deps, app, { presentation, nonce: data.nonce, audience: data.clientId, claims: data.claims })
    outcome = { status: 'verified', claims: r.claims, issuer: r.issuer, credentialStatus: r.status }
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err
    outcome = { status: 'failed', reason: (err.extra?.reason as string | undefined) ?? err.code }
  }
  await deps.store.challenges.put({ challenge: `result:${id}`, kind: 'presentation-result', data: { appId: data.appId, ...outcome }, expiresAt: deps.now() + RESULT_TTL_MS })
  await deps.store.outbox.publish([domainEvent('presentation.received', id, deps.now(), { app: data.appId, status: outcome.status })])
  if (outcome.status !== 'verified') throw new ProblemError('presentation_invalid', 422, { detail: `The presentation does not verify: ${String(outcome.reason)}.`, extra: { reason: outcome.reason } })
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
