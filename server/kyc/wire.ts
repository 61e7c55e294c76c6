import { z } from 'zod'
import { CONFIGURATION_IDS } from './issuer.ts'

const zSubjectRef = z.string().regex(/^ksub_[A-Za-z0-9_-]{43}$/, 'a subject reference (ksub_…)')

/** POST /v1/kyc/subjects: verified KYC data, checked field by field against the KYC subject schema. */
export const zSubmitSubjectRequest = z.strictObject({ data: z.record(z.string(), z.unknown()) })
export const zSubmitSubjectResponse = z.object({ subjectRef: zSubjectRef, expiresAt: z.iso.datetime() })

/** POST /v1/kyc/offers */
export const zCreateOfferRequest = z.strictObject({
  subjectRef: zSubjectRef,
  /** Ask for a transaction code (PIN), shown once here and to be told to the holder out of band. */
  txCode: z.boolean().default(false),
  credentialConfigurationId: z.enum(CONFIGURATION_IDS).default('kyc_sd_jwt'),
})
export type CreateOfferRequest = z.infer<typeof zCreateOfferRequest>

export const zCreateOfferResponse = z.object({
  id: z.string(),
  offer: z.record(z.string(), z.unknown()),
  offerUri: z.string(),
  qrSvg: z.string(),
  txCode: z.string().optional(),
  expiresAt: z.iso.datetime(),
})

export const zCredentialIdParams = z.strictObject({ id: z.string().regex(/^kcr_[A-Za-z0-9_-]{1,64}$/, 'a credential id (kcr_…)') })
export const zStatusListParams = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,8}$/, 'a status list number') })
export const zStatusChangeRequest = z.strictObject({ reason: z.string().trim().min(1).max(200) })
/**
 * `POST /v1/kyc/credentials/search`: the subject reference goes in the body, never in a URL (proxies, load balancers
 * and APM tools log query strings, and the reference is the key that opens the sealed subject data).
 */
export const zSearchCredentialsRequest = z.strictObject({ subjectRef: zSubjectRef, limit: z.number().int().min(1).max(200).default(50) })

export const zCredentialView = z.object({
  id: z.string(), vct: z.string(), configurationId: z.string(), status: z.enum(['valid', 'revoked', 'suspended']),
  statusList: z.object({ uri: z.string(), idx: z.number() }), credentialHash: z.string(),
  issuedAt: z.iso.datetime(), expiresAt: z.iso.datetime(), updatedAt: z.iso.datetime(),
})

/** POST /token, form-encoded (RFC 6749 §4.1.3 with the OpenID4VCI 1.0 §6.1 pre-authorized code parameters). */
export const zTokenRequest = z.object({
  grant_type: z.string(),
  'pre-authorized_code': z.string().min(1).max(200),
  tx_code: z.string().min(1).max(64).optional(),
})

/** POST /credential (OpenID4VCI 1.0 §8.2); `proof` is the single-proof form of drafts up to 15. */
export const zCredentialRequest = z.object({
  credential_configuration_id: z.string().min(1).max(100).optional(),
  credential_identifier: z.string().min(1).max(100).optional(),
  proof: z.object({ proof_type: z.literal('jwt'), jwt: z.string().min(1).max(8192) }).optional(),
  proofs: z.object({ jwt: z.array(z.string().min(1).max(8192)).min(1) }).optional(),
})
export type CredentialRequest = z.infer<typeof zCredentialRequest>
