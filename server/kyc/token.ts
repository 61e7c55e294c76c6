import { timingSafeEqual } from 'node:crypto'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { PRE_AUTHORIZED_GRANT } from './issuer.ts'
import { OAuthError } from './oauthError.ts'
import { txCodeHash } from './offers.ts'
import { seal, secret, sha256, unseal } from './seal.ts'
import { zTokenRequest } from './wire.ts'

/** Lifetime of an access token of the credential endpoint. */
export const ACCESS_TOKEN_SECONDS = 300
/** Wrong transaction codes tolerated before the offer is void. */
export const MAX_TX_CODE_FAILURES = 3

const same = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/**
 * The token endpoint for the pre-authorized code grant (OpenID4VCI 1.0 §6): the code is taken from the store
 * atomically, so of any number of requests (on any instance) one gets a token. A wrong transaction code puts the
 * offer back with one more failure counted, until MAX_TX_CODE_FAILURES voids it; a missing one, or one sent for an
 * offer without, puts it back as it was. Errors per RFC 6749 §5.2.
 */
export async function exchangePreAuthorizedCode(deps: AppDeps, form: unknown) {
  const grantType = (form as { grant_type?: unknown } | undefined)?.grant_type
  if (typeof grantType === 'string' && grantType !== PRE_AUTHORIZED_GRANT) {
    throw new OAuthError('unsupported_grant_type', 400, 'Only the pre-authorized code grant is supported.')
  }
  const r = zTokenRequest.safeParse(form ?? {})
  if (!r.success) {
    const field = r.error.issues[0]!.path.map(String).join('.') || 'body'
    throw new OAuthError('invalid_request', 400, `${field}: ${r.error.issues[0]!.message}`)
  }
  const code = r.data['pre-authorized_code']
  const txCode = r.data.tx_code
  const now = deps.now()
  const codeHash = sha256(code)
  const offer = await deps.store.kyc.consumeOffer(codeHash)
  if (!offer) throw new OAuthError('invalid_grant', 400, 'The pre-authorized code is unknown or was already used.')
  if (offer.expiresAt <= now) throw new OAuthError('invalid_grant', 400, 'The credential offer has expired.')
  if (offer.txCodeHash !== null) {
    if (txCode === undefined) {
      await deps.store.kyc.createOffer(offer)
      throw new OAuthError('invalid_request', 400, 'tx_code: this offer needs the transaction code.')
    }
    if (!same(txCodeHash(codeHash, txCode), offer.txCodeHash)) {
      const failed = offer.failedTxCodes + 1
      if (failed < MAX_TX_CODE_FAILURES) await deps.store.kyc.createOffer({ ...offer, failedTxCodes: failed })
      await deps.store.audit.append({ type: 'kyc.offer_tx_code_failed', actor: 'wallet', subject: offer.id, data: { failed } }, now)
      throw new OAuthError('invalid_grant', 400, 'The transaction code is wrong.')
    }
  } else if (txCode !== undefined) {
    await deps.store.kyc.createOffer(offer) // a wallet's mistake, not a guess: the offer stays usable, as for a missing PIN
    throw new OAuthError('invalid_request', 400, 'tx_code: this offer has no transaction code.')
  }
  const subjectRef = unseal(code, offer.sealedRef)
  if (subjectRef === undefined) throw new OAuthError('invalid_grant', 400, 'The offer cannot be opened.')
  const accessToken = secret('kat')
  const expiresAt = now + ACCESS_TOKEN_SECONDS * 1000
  await deps.store.kyc.putAccessToken({ tokenHash: sha256(accessToken), offerId: offer.id, sealedRef: seal(accessToken, subjectRef),
    subjectRefHash: offer.subjectRefHash, configurationIds: offer.configurationIds, expiresAt },
  [domainEvent('kyc.offer_redeemed', offer.id, now, { subjectRefHash: offer.subjectRefHash })])
  await deps.store.audit.append({ type: 'kyc.offer_redeemed', actor: 'wallet', subject: offer.id, data: { subjectRefHash: offer.subjectRefHash } }, now)
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_SECONDS,
  }
}
