import { randomInt } from 'node:crypto'
import QRCode from 'qrcode'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { actorOf, assertIssuanceAllowed } from './access.ts'
import { issuerIdentity, PRE_AUTHORIZED_GRANT } from './issuer.ts'
import { seal, secret, sha256 } from './seal.ts'
import type { CreateOfferRequest } from './wire.ts'

export const TX_CODE_LENGTH = 6

/** The stored hash of a transaction code, salted with its offer's code hash (a 6-digit PIN alone is easy to invert). */
export const txCodeHash = (codeHash: string, txCode: string): string => sha256(`${codeHash}\u0000${txCode}`)

export interface CreatedOffer {
  id: string
  offer: Record<string, unknown>
  offerUri: string
  qrSvg: string
  txCode?: string
  expiresAt: number
}

/**
 * Creates a credential offer with a pre-authorized code (OpenID4VCI 1.0 §4.1.1) for a submitted subject: single
 * use, expiring after SIGIL_KYC_OFFER_SECONDS, optionally guarded by a numeric transaction code shown only here.
 * Only hashes of the code and PIN are stored, and the subject reference sealed under the code.
 */
export async function createOffer(deps: AppDeps, principal: Principal, req: CreateOfferRequest): Promise<CreatedOffer> {
  await assertIssuanceAllowed(deps, principal, 'Issue')
  const now = deps.now()
  const subjectRefHash = sha256(req.subjectRef)
  const subject = await deps.store.kyc.getSubject(subjectRefHash)
  if (!subject || subject.expiresAt <= now) throw new ProblemError('kyc_subject_not_found', 404, { field: 'subjectRef' })
  if (subject.sealed === null) {
    throw new ProblemError('kyc_subject_erased', 409, { detail: 'A credential was issued and the KYC data erased; submit the subject again.', field: 'subjectRef' })
  }
  const code = secret('kpa')
  const codeHash = sha256(code)
  const txCode = req.txCode ? Array.from({ length: TX_CODE_LENGTH }, () => String(randomInt(10))).join('') : undefined
  const id = `kof_${codeHash.slice(0, 22)}`
  const expiresAt = now + deps.config.kyc.offerSeconds * 1000
  const actor = actorOf(principal)
  await deps.store.kyc.createOffer({
    id, codeHash, sealedRef: seal(code, req.subjectRef), subjectRefHash, configurationIds: [req.credentialConfigurationId],
    txCodeHash: txCode === undefined ? null : txCodeHash(codeHash, txCode), failedTxCodes: 0, createdBy: actor, createdAt: now, expiresAt,
  }, [domainEvent('kyc.offer_created', id, now, { subjectRefHash, txCode: txCode !== undefined })])
  await deps.store.audit.append({ type: 'kyc.offer_created', actor, subject: id,
    data: { subjectRefHash, configurationId: req.credentialConfigurationId, txCode: txCode !== undefined, expiresAt } }, now)
  const grant: Record<string, unknown> = { 'pre-authorized_code': code }
  if (txCode !== undefined) {
    grant.tx_code = { length: TX_CODE_LENGTH, input_mode: 'numeric', description: 'The PIN the compliance officer gave you' }
  }
  const offer = {
    credential_issuer: issuerIdentity(deps).url,
    credential_configuration_ids: [req.credentialConfigurationId],
    grants: { [PRE_AUTHORIZED_GRANT]: grant },
  }
  const offerUri = `openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(offer))}`
  const qrSvg = await QRCode.toString(offerUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return { id, offer, offerUri, qrSvg, ...(txCode === undefined ? {} : { txCode }), expiresAt }
}
