import { authorize, type PreparsedIds } from './cedar.ts'
import { answerOf, type PolicyAnswer } from './answer.ts'
import type { CompiledPolicy } from './policySet.ts'

/** Someone issuing a credential type (`Issue`) or submitting a subject for one (`SubmitSubject`). */
export interface IssuanceInput {
  principal: { type: 'user' | 'apiClient'; id: string; roles: readonly string[] }
  action: 'Issue' | 'SubmitSubject'
  /** Credential type id, e.g. `kyc`. */
  credentialType: string
}

/** Asks the issuance policies; roles are passed as the principal's `roles` attribute. */
export function evaluateIssuance(ids: PreparsedIds, policies: ReadonlyMap<string, CompiledPolicy>, input: IssuanceInput): PolicyAnswer {
  const principal = { type: input.principal.type === 'user' ? 'Sigil::User' : 'Sigil::ApiClient', id: input.principal.id }
  return answerOf(authorize(ids, {
    principal,
    action: input.action,
    resource: { type: 'Sigil::CredentialType', id: input.credentialType },
    context: {},
    entities: [{ uid: principal, attrs: { roles: [...input.principal.roles] }, parents: [] }],
  }), policies)
}
