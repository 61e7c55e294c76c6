import type { Signer as DidJwtSigner } from 'did-jwt'
import { createVerifiableCredentialJwt } from 'did-jwt-vc'
import { encodeBase64url, utf8 } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import { epochSeconds } from '../jws/index.ts'
import { kycVct, parseKycSubject } from '../kyc/index.ts'
import { assertSigner, type Signer } from '../keys/index.ts'
import type { StatusReference } from '../statusList/index.ts'

/** did-jwt's Signer over ours: did-jwt passes the signing input and wants the base64url JWS signature back. */
export function toDidJwtSigner(signer: Signer): DidJwtSigner {
  return async (data) => encodeBase64url(await signer.sign(typeof data === 'string' ? utf8(data) : data))
}

/**
 * The claims a KYC JWT-VC may carry. A JWT-VC cannot disclose selectively, so it holds only what the
 * SD-JWT VC always shows plus the yes/no answers: never a name, birth date, nationality or address.
 */
export const KYC_JWT_VC_CLAIMS = ['kyc_level', 'trust_framework', 'verification_time', 'age_equal_or_over', 'sanctions_screened', 'pep_screened'] as const

/** Options of issueKycJwtVc. */
export interface IssueKycJwtVcOptions {
  signer: Signer
  /** The issuer DID; the signer's `kid` must be one of its assertionMethod keys (`did:web:…#<kid>`). */
  issuerDid: string
  /** Base URL of the KYC `vct`, which is also the credential's second `type`. */
  issuerUrl: string
  /** The holder DID, `sub` (e.g. did:jwk of the wallet key). */
  holderDid?: string
  status?: StatusReference
  now: Date
  /** Default one year. */
  validitySeconds?: number
}

/**
 * Issues the legacy W3C VC Data Model 1.1 JWT form of the KYC credential with did-jwt-vc
 * (`vc.type` = VerifiableCredential + the KYC vct; claims limited to KYC_JWT_VC_CLAIMS; status list reference
 * as the top-level `status` claim of draft-ietf-oauth-status-list §6.1).
 */
export async function issueKycJwtVc(subjectData: unknown, options: IssueKycJwtVcOptions): Promise<string> {
  assertSigner(options.signer)
  if (!options.issuerDid.startsWith('did:')) fail('options_invalid', 'JWT-VC issuer must be a DID')
  const subject = parseKycSubject(subjectData, { now: options.now }) as Record<string, unknown>
  const credentialSubject: Record<string, unknown> = {}
  for (const k of KYC_JWT_VC_CLAIMS) if (subject[k] !== undefined) credentialSubject[k] = subject[k]
  const iat = epochSeconds(options.now)
  return createVerifiableCredentialJwt({
    ...(options.holderDid ? { sub: options.holderDid } : {}),
    nbf: iat,
    iat,
    exp: iat + (options.validitySeconds ?? 365 * 24 * 3600),
    ...(options.status ? { status: { status_list: { idx: options.status.idx, uri: options.status.uri } } } : {}),
    vc: {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      type: ['VerifiableCredential', kycVct(options.issuerUrl)],
      credentialSubject,
    },
  }, { did: options.issuerDid, signer: toDidJwtSigner(options.signer), alg: options.signer.alg },
  { header: { kid: options.signer.kid } })
}
