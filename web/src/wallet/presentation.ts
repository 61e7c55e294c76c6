import { presentSdJwtVc, type ClaimPath } from '../../../credentials/index.ts'
import type { Holder } from './holderKey.ts'
import { WalletError } from './issuance.ts'
import { decodeJwt } from './jwt.ts'

/**
 * OpenID4VP 1.0 with a signed request object (JAR) in the link and `direct_post`: who asks, for which claims
 * (DCQL), and the SD-JWT VC presentation with a key-binding JWT that answers it.
 */

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
}

/** `openid4vp://?client_id=…&request=<JWT>` → the request, checked for what the wallet needs. */
export function parseRequestLink(link: string, now = Date.now()): PresentationRequest {
  const text = link.trim()
  const q = text.indexOf('?')
  const bad = (why: string): never => { throw new WalletError('request_invalid', why) }
  if (!/^(openid4vp|eudi-openid4vp|haip):\/\//.test(text) || q < 0) bad('That isn’t a presentation request link. It starts with openid4vp://.')
  const params = new URLSearchParams(text.slice(q + 1))
  let p: Record<string, unknown> = {}
  try {
    p = decodeJwt(params.get('request') ?? '').payload
  } catch {
    bad('The request link is incomplete or damaged. Copy the whole link again.')
  }
  const clientId = String(p.client_id ?? '')
  if (!clientId || clientId !== params.get('client_id')) bad('The request doesn’t say consistently who is asking, so it was not opened.')
  if (p.response_mode !== 'direct_post' || typeof p.response_uri !== 'string' || typeof p.nonce !== 'string') bad('This request asks for an answer in a way this wallet doesn’t support.')
  if (typeof p.exp === 'number' && p.exp * 1000 < now) bad('This request has expired. Ask the service for a new one.')
  const query = (p.dcql_query as { credentials?: { id?: string; meta?: { vct_values?: string[] }; claims?: { path?: unknown[] }[] }[] } | undefined)?.credentials?.[0]
  const claims = (query?.claims ?? []).map((c) => c.path).filter((x): x is (string | number)[] => Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string' || typeof s === 'number'))
  if (!query?.id || claims.length === 0) bad('The request doesn’t say which claims it wants, so it was not opened.')
  return {
    clientId, responseUri: p.response_uri as string, nonce: p.nonce as string, state: typeof p.state === 'string' ? p.state : undefined,
    queryId: query!.id!, vctValues: query!.meta?.vct_values ?? [], claims, expiresAt: typeof p.exp === 'number' ? new Date(p.exp * 1000) : undefined,
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
  const body = new URLSearchParams({ vp_token: JSON.stringify({ [request.queryId]: [presentation] }) })
  if (request.state) body.set('state', request.state)
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
