import type { JWK } from 'jose'
import type { Signer } from '../keys/index.ts'
import { issueSdJwtVc, valueAt } from '../sdjwt/index.ts'
import type { StatusReference } from '../statusList/index.ts'
import { parseKycSubject } from './schema.ts'
import { KYC_DISCLOSABLE_PATHS, kycVct } from './vct.ts'

/** Options of issueKycSdJwtVc. */
export interface IssueKycSdJwtVcOptions {
  signer: Signer
  /** `iss`: the issuer DID (did:web) or https URL. */
  issuer: string
  /** Base URL the `vct` is built on (kycVct). */
  issuerUrl: string
  holderJwk: JWK
  status?: StatusReference
  now: Date
  /** Default one year. */
  validitySeconds?: number
}

/**
 * Issues a KYC SD-JWT VC: subject data validated (`kyc_data_invalid`), `age_equal_or_over` derived from
 * `birthdate`, every claim but kyc_level / trust_framework / verification_time selectively disclosable.
 */
export async function issueKycSdJwtVc(subjectData: unknown, options: IssueKycSdJwtVcOptions): Promise<string> {
  const claims = parseKycSubject(subjectData, { now: options.now }) as Record<string, unknown>
  return issueSdJwtVc({
    signer: options.signer,
    issuer: options.issuer,
    vct: kycVct(options.issuerUrl),
    now: options.now,
    validitySeconds: options.validitySeconds ?? 365 * 24 * 3600,
    holderJwk: options.holderJwk,
    ...(options.status ? { status: options.status } : {}),
    claims,
    disclosable: KYC_DISCLOSABLE_PATHS.filter((p) => valueAt(claims, p) !== undefined),
  })
}
