import type { Holder } from './holderKey.ts'
import { signJwt } from './jwt.ts'

/**
 * OpenID4VCI 1.0, pre-authorized code flow, with plain fetch: the offer names the issuer; its metadata names the
 * endpoints; the PIN (tx_code) buys a token; the nonce endpoint gives a c_nonce; one key proof signed by the
 * holder key gets one SD-JWT VC bound to that key.
 */

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code'

export interface CredentialOffer {
  credential_issuer: string
  credential_configuration_ids: string[]
  grants: Record<string, { 'pre-authorized_code'?: string; tx_code?: { length?: number; input_mode?: string; description?: string } } | undefined>
}

/** Why a step failed, in words for the holder; `code` is stable for the page to branch on. */
export class WalletError extends Error {
  constructor(readonly code: 'offer_invalid' | 'request_invalid' | 'request_untrusted' | 'grant_refused' | 'issuer_unreachable' | 'issuer_refused' | 'claim_missing' | 'presentation_refused', message: string) {
    super(message)
    this.name = 'WalletError'
  }
}

/** `openid-credential-offer://?credential_offer=…` (§4.1) → the offer. By-reference offers are not supported. */
export function parseOfferLink(link: string): CredentialOffer {
  const text = link.trim()
  const q = text.indexOf('?')
  if (!text.startsWith('openid-credential-offer://') || q < 0) throw new WalletError('offer_invalid', 'That isn’t a credential offer link. It starts with openid-credential-offer://.')
  const raw = new URLSearchParams(text.slice(q + 1)).get('credential_offer')
  try {
    const offer = JSON.parse(raw ?? '') as CredentialOffer
    const issuer = new URL(offer.credential_issuer)
    if (issuer.protocol !== 'https:' && issuer.hostname !== 'localhost' && issuer.hostname !== '127.0.0.1') throw new Error('issuer not https')
    if (!offer.grants?.[PRE_AUTHORIZED_GRANT]?.['pre-authorized_code'] || !offer.credential_configuration_ids?.length) throw new Error('no grant')
    return offer
  } catch {
    throw new WalletError('offer_invalid', 'The offer link is incomplete or damaged. Copy the whole link again.')
  }
}

/** The PIN the offer asks for, if any (`tx_code`, §4.1.1). */
export const pinOf = (offer: CredentialOffer) => offer.grants[PRE_AUTHORIZED_GRANT]?.tx_code

async function call<T>(url: string, init: RequestInit | undefined, what: string): Promise<T> {
  let res: Response
  try {
    res = await fetch(url, { credentials: 'omit', ...init })
  } catch {
    throw new WalletError('issuer_unreachable', `Can’t reach the issuer (${new URL(url).host}). Check your connection and try again.`)
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (res.ok) return body as T
  if (what === 'token' && body.error === 'invalid_grant') {
    // invalid_grant (RFC 6749 §5.2) covers a wrong PIN and a used or expired code alike: the wallet can't tell.
    throw new WalletError('grant_refused', 'The issuer refused the offer: the PIN is wrong, or the offer was already used or has expired. Check the PIN; after three wrong tries ask for a new offer.')
  }
  throw new WalletError('issuer_refused', `The issuer refused the ${what} request (${String(body.error ?? body.code ?? res.status)}). Ask for a new offer.`)
}

/** Runs the flow for the first credential the offer names; returns the credential as issued. */
export async function receiveCredential(offer: CredentialOffer, pin: string | undefined, holder: Holder): Promise<string> {
  const issuer = offer.credential_issuer.replace(/\/$/, '')
  const grant = offer.grants[PRE_AUTHORIZED_GRANT]!
  const md = await call<{ credential_endpoint: string; nonce_endpoint: string; authorization_servers?: string[] }>(`${issuer}/.well-known/openid-credential-issuer`, undefined, 'metadata')
  const as = await call<{ token_endpoint: string }>(`${(md.authorization_servers?.[0] ?? issuer).replace(/\/$/, '')}/.well-known/oauth-authorization-server`, undefined, 'metadata')
  const form = new URLSearchParams({ grant_type: PRE_AUTHORIZED_GRANT, 'pre-authorized_code': grant['pre-authorized_code']! })
  if (pin !== undefined) form.set('tx_code', pin)
  const token = await call<{ access_token: string }>(as.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form }, 'token')
  const { c_nonce } = await call<{ c_nonce: string }>(md.nonce_endpoint, { method: 'POST' }, 'nonce')
  // Appendix F.1: typ, the holder's public key in `jwk`, aud = the credential issuer, the c_nonce, iat.
  const proof = await signJwt(holder.signer, { typ: 'openid4vci-proof+jwt', jwk: holder.jwk }, { aud: offer.credential_issuer, iat: Math.floor(Date.now() / 1000), nonce: c_nonce })
  // 'same-origin': when the issuer is this Sigil, the session cookie goes along and the credential is linked to
  // the signed-in account (what recovery by credential checks); another issuer never gets our cookie.
  const out = await call<{ credentials?: { credential: string }[] }>(md.credential_endpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.access_token}` },
    body: JSON.stringify({ credential_configuration_id: offer.credential_configuration_ids[0], proofs: { jwt: [proof] } }),
  }, 'credential')
  const credential = out.credentials?.[0]?.credential
  if (typeof credential !== 'string') throw new WalletError('issuer_refused', 'The issuer answered without a credential. Ask for a new offer.')
  return credential
}
