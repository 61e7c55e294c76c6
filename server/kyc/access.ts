import { policySourceFor } from '../approvals/index.ts'
import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { assertSessionMeetsRolePolicy } from '../passkeys/index.ts'

/** The acting user or API client id, for records and audit entries. */
export function actorOf(p: Principal): string {
  if (p.kind === 'session') return p.user.id
  if (p.kind === 'client') return p.client.id
  throw new ProblemError('unauthenticated', 401)
}

/** Asks the Cedar issuance policy (policies/issuance/) whether `p` may do `action` for the KYC credential type. */
export async function assertIssuanceAllowed(deps: AppDeps, p: Principal, action: 'Issue' | 'SubmitSubject'): Promise<void> {
  const principal = p.kind === 'session' ? { type: 'user' as const, id: p.user.id, roles: p.user.roles }
    : p.kind === 'client' ? { type: 'apiClient' as const, id: p.client.id, roles: p.client.roles } : undefined
  if (!principal) throw new ProblemError('unauthenticated', 401)
  const engine = await policySourceFor(deps.store).current()
  const answer = engine.evaluateIssuance({ principal, action, credentialType: 'kyc' })
  if (!answer.allowed) {
    throw new ProblemError('kyc_issuance_forbidden', 403, {
      detail: answer.reasons[0] ?? `No issuance policy lets you ${action === 'Issue' ? 'issue KYC credentials' : 'submit KYC subjects'}.`,
      extra: { policyIds: answer.policyIds },
    })
  }
  // A person acts in their role here: the session must be verified by a passkey the role accepts.
  if (p.kind === 'session') await assertSessionMeetsRolePolicy(deps, p.session, p.user)
}
