import { authorize, type PreparsedIds } from './cedar.ts'
import { answerOf, type PolicyAnswer } from './answer.ts'
import type { CompiledPolicy } from './policySet.ts'

/** A user who lost every passkey asking to recover by a method. */
export interface RecoveryInput {
  /** The account being recovered: its user id and roles (the roles are the principal's `roles` attribute). */
  user: { id: string; roles: readonly string[] }
  /** `kyc-credential`: presenting the KYC credential the user's own session collected. */
  method: 'kyc-credential'
}

/** Asks action Recover with principal `Sigil::User::"<id>"` and resource `Sigil::RecoveryMethod::"<method>"`. */
export function evaluateRecovery(ids: PreparsedIds, policies: ReadonlyMap<string, CompiledPolicy>, input: RecoveryInput): PolicyAnswer {
  const principal = { type: 'Sigil::User', id: input.user.id }
  return answerOf(authorize(ids, {
    principal,
    action: 'Recover',
    resource: { type: 'Sigil::RecoveryMethod', id: input.method },
    context: {},
    entities: [{ uid: principal, attrs: { roles: [...input.user.roles] }, parents: [] }],
  }), policies)
}
