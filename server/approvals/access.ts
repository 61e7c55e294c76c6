import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { ApprovalRecord, UserRecord } from '../store/index.ts'
import { domainEvent } from '../audit/index.ts'

export const notFound = (): ProblemError => new ProblemError('approval_not_found', 404, { field: 'id' })

/** Pending but past its expiry: shown (and, once touched, stored) as expired. */
export function isExpired(deps: AppDeps, a: ApprovalRecord): boolean {
  return a.status === 'pending' && deps.now() >= a.expiresAt
}

/**
 * Who may see a request: the API client that created it, the signing service it names, members of a group it
 * requires, its initiator, and auditors. Anyone else gets 404, as if it did not exist.
 */
export function canSee(a: ApprovalRecord, principal: Principal): boolean {
  if (principal.kind === 'client') return a.requestedBy === principal.client.id || a.signer === principal.client.id
  if (principal.kind !== 'session') return false
  const u = principal.user
  return u.roles.includes('auditor') || a.initiatorUserId === u.id || a.requestedBy === u.id
    || a.decision.requirements.some((r) => u.roles.includes(r.group))
}

export async function loadApproval(deps: AppDeps, id: string, principal: Principal): Promise<ApprovalRecord> {
  const a = await deps.store.approvals.get(id)
  if (!a || !canSee(a, principal)) throw notFound()
  return a
}

/** Stores the expiry of a pending request past its time (once; a lost race means someone else did). */
export async function expireIfDue(deps: AppDeps, a: ApprovalRecord): Promise<ApprovalRecord> {
  if (!isExpired(deps, a)) return a
  const next: ApprovalRecord = { ...a, status: 'expired', settledAt: a.expiresAt, version: a.version + 1 }
  const now = deps.now()
  if (await deps.store.approvals.update(next, [domainEvent('approval.expired', a.id, now, { kind: a.kind })],
    { entries: [{ type: 'approval.expired', actor: 'system', subject: a.id }], at: now })) {
    return next
  }
  return (await deps.store.approvals.get(a.id)) ?? a
}

/** Expires every pending request past its time; run periodically so that `approval.expired` events go out. */
export async function expireDueApprovals(deps: AppDeps, limit = 500): Promise<number> {
  let n = 0
  for (const a of await deps.store.approvals.listPending(limit)) {
    if (isExpired(deps, a) && (await expireIfDue(deps, a)).status === 'expired') n++
  }
  return n
}

/** Why a user may not decide on a request: the problem to answer with, not yet built (a view only needs the words). */
export interface Ineligibility { code: string; status: number; detail: string }

/**
 * Why this user may not decide on the request now, or null when they may. A plain value: every view of a request
 * asks, and building an error (its stack trace) for each cost more than the rest of the check; `refuseIneligible` throws.
 */
export function ineligibility(a: ApprovalRecord, user: UserRecord): Ineligibility | null {
  if (a.status !== 'pending') return { code: 'approval_not_pending', status: 409, detail: `The request is ${a.status}.` }
  if (!a.decision.requirements.some((r) => user.roles.includes(r.group))) {
    return { code: 'approval_not_eligible', status: 403, detail: `Only members of ${a.decision.requirements.map((r) => r.group).join(', ')} decide on this request.` }
  }
  if (a.decision.separationOfDuties && (a.initiatorUserId === user.id || a.requestedBy === user.id)) {
    return { code: 'approval_initiator_forbidden', status: 403, detail: 'The policy separates duties: the initiator may not approve.' }
  }
  if (a.decisions.some((d) => d.userId === user.id)) {
    return { code: 'approval_already_decided', status: 409, detail: 'You have already decided on this request; a person counts once.' }
  }
  return null
}

/** Throws the problem `ineligibility` names, if any. */
export function refuseIneligible(a: ApprovalRecord, user: UserRecord): void {
  const why = ineligibility(a, user)
  if (why) throw new ProblemError(why.code, why.status, { detail: why.detail })
}
