import type { Principal } from '../deps.ts'
import type { ApprovalRecord } from '../store/index.ts'

type Condition = NonNullable<ApprovalRecord['decision']['conditions']>[number]

/** The Travel Rule condition of a request, when its policy asked for one (`@requirement("beneficiary_kyc")`). */
export function beneficiaryCondition(a: ApprovalRecord): Condition | undefined {
  return a.decision.conditions?.find((c) => c.kind === 'beneficiary_kyc')
}

/** Whether one condition holds: `beneficiary_kyc` once a verified beneficiary presentation is linked to the request. */
export function conditionMet(a: ApprovalRecord, c: Condition): boolean {
  return c.kind === 'beneficiary_kyc' && (a.beneficiary ?? null) !== null
}

/**
 * Whether every condition besides the quorum holds. A request whose quorum is met stays pending until this is
 * true, and no approval token is issued before it.
 */
export function conditionsMet(a: ApprovalRecord): boolean {
  return (a.decision.conditions ?? []).every((c) => conditionMet(a, c))
}

/** Who may ask for the beneficiary's presentation: the wallet backend that made the request, or its approvers and initiator. */
export function mayAskBeneficiary(a: ApprovalRecord, principal: Principal): boolean {
  if (principal.kind === 'client') return a.requestedBy === principal.client.id
  if (principal.kind !== 'session') return false
  const u = principal.user
  return a.initiatorUserId === u.id || a.decision.requirements.some((r) => u.roles.includes(r.group))
}
