import { z } from 'zod'
import {
  changeCredentialStatus, createOffer, listCredentials, submitSubject, zCreateOfferRequest, zCreateOfferResponse, zCredentialIdParams,
  zCredentialView, zSearchCredentialsRequest, zStatusChangeRequest, zSubmitSubjectRequest, zSubmitSubjectResponse, type StatusAction,
} from '../../kyc/index.ts'
import type { Api } from '../route.ts'

const TAG = 'KYC credentials'
const COMPLIANCE = { tag: TAG, auth: 'session' as const, roles: ['compliance'] }

/** The compliance side of KYC issuance: subjects, offers, issued credentials and their status (issue 7). */
export function kycRoutes(api: Api): void {
  api.add({
    method: 'post', path: '/v1/kyc/subjects', operationId: 'submitKycSubject', tag: TAG, auth: 'session-or-client', status: 201, secretResponse: true,
    summary: 'Submit verified KYC data (compliance officer, or a KYC vendor\'s API client); returns the subject reference offers name',
    description: 'The issuance policy (SubmitSubject) decides who may. The data is checked against the KYC subject schema and stored sealed under a key derived from the returned `subjectRef`, which Sigil keeps only as a hash: treat it as a secret. Unissued data is dropped after 30 days; issued data is erased at issuance unless SIGIL_KYC_RETAIN_PII.',
    body: zSubmitSubjectRequest, response: zSubmitSubjectResponse,
    errors: ['unauthenticated', 'request_invalid', 'kyc_data_invalid', 'kyc_issuance_forbidden', 'attestation_policy_violation'],
    handler: async ({ deps, principal, body, res }) => {
      const s = await submitSubject(deps, principal, body.data)
      res.setHeader('Cache-Control', 'no-store')
      return { subjectRef: s.subjectRef, expiresAt: new Date(s.expiresAt).toISOString() }
    },
  })
  api.add({
    method: 'post', path: '/v1/kyc/offers', operationId: 'createKycOffer', ...COMPLIANCE, status: 201, secretResponse: true,
    summary: 'Create a credential offer (OpenID4VCI 1.0 pre-authorized code) for a subject: offer, openid-credential-offer:// URI, QR code (SVG) and, if asked, the PIN (shown once)',
    description: 'Single use; expires after SIGIL_KYC_OFFER_SECONDS. Three wrong PINs void the offer.',
    body: zCreateOfferRequest, response: zCreateOfferResponse,
    errors: ['unauthenticated', 'role_forbidden', 'request_invalid', 'kyc_issuance_forbidden', 'kyc_subject_not_found', 'kyc_subject_erased'],
    handler: async ({ deps, principal, body, res }) => {
      const o = await createOffer(deps, principal, body)
      res.setHeader('Cache-Control', 'no-store')
      return { ...o, expiresAt: new Date(o.expiresAt).toISOString() }
    },
  })
  api.add({
    method: 'post', path: '/v1/kyc/credentials/search', operationId: 'searchKycCredentials', ...COMPLIANCE,
    summary: 'Credentials issued about a subject, newest first: ids, type, status and status-list entry, no PII',
    description: 'A POST so that the subject reference, which opens the sealed subject data, never appears in a URL (and so in a proxy\'s access log).',
    body: zSearchCredentialsRequest, response: z.object({ credentials: z.array(zCredentialView) }), errors: ['unauthenticated', 'role_forbidden', 'request_invalid'],
    handler: async ({ deps, body, res }) => {
      res.setHeader('Cache-Control', 'no-store')
      return { credentials: await listCredentials(deps, body.subjectRef, body.limit) }
    },
  })
  for (const action of ['revoke', 'suspend', 'reinstate'] as const satisfies StatusAction[]) {
    api.add({
      method: 'post', path: `/v1/kyc/credentials/:id/${action}`, operationId: `${action}KycCredential`, ...COMPLIANCE,
      summary: action === 'revoke' ? 'Revoke a credential for good (its status-list entry becomes 1, invalid), with a reason for the audit log'
        : action === 'suspend' ? 'Suspend a valid credential (status-list entry 2), with a reason' : 'Reinstate a suspended credential (entry back to 0), with a reason',
      description: 'The reason is written to the audit log only: do not put personal data in it.',
      params: zCredentialIdParams, body: zStatusChangeRequest, response: zCredentialView,
      errors: ['unauthenticated', 'role_forbidden', 'request_invalid', 'kyc_issuance_forbidden', 'kyc_credential_not_found', 'kyc_credential_status_conflict'],
      handler: async ({ deps, principal, params, body }) => changeCredentialStatus(deps, principal, params.id, action, body.reason),
    })
  }
}
