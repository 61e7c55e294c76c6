import type { AppDeps, Principal } from '../deps.ts'
import type { ApprovalRecord } from '../store/index.ts'
import { describeIntent } from './intent.ts'
import { ineligibility, isExpired } from './access.ts'
import { beneficiaryCondition, conditionMet, mayAskBeneficiary } from './conditions.ts'
import { evaluateQuorum } from './quorum.ts'
import type { ApprovalView } from './wire.ts'
import type { TransactionIntent } from './wire.ts'

const iso = (t: number) => new Date(t).toISOString()

export function summaryOf(a: ApprovalRecord): string {
  if (a.kind === 'policy-change') {
    const intent = a.intent as { policies: Record<string, string>; schema?: string }
    const ids = Object.keys(intent.policies).sort()
    return `Replace the policy set with ${ids.length} policies: ${ids.join(', ')}${intent.schema === undefined ? '' : ', and adopt this release\'s schema'}`
  }
  return describeIntent(a.intent as TransactionIntent)
}

/** Counts the decisions against the requirements (a person once, separation of duties). */
export function tally(a: ApprovalRecord) {
  return evaluateQuorum({
    requirements: a.decision.requirements.map(({ group, quorum }) => ({ group, quorum })),
    separationOfDuties: a.decision.separationOfDuties,
    initiatorId: a.initiatorUserId ?? undefined,
    decisions: a.decisions.map((d) => ({ userId: d.userId, groups: d.groups, decision: d.decision })),
  })
}

/** The request as approvers and clients see it, with display names of approvers and, for a user, what they may do. */
export async function viewOf(deps: AppDeps, a: ApprovalRecord, principal?: Principal): Promise<ApprovalView> {
  const names = new Map<string, string>()
  for (const d of a.decisions) if (d.displayName !== undefined) names.set(d.userId, d.displayName)
  // Decisions recorded before names were kept with them.
  const missing = [...new Set(a.decisions.map((d) => d.userId).filter((id) => !names.has(id)))]
  const users = await Promise.all(missing.map((id) => deps.store.users.get(id)))
  missing.forEach((id, i) => names.set(id, users[i]?.displayName ?? id))
  const blocked = a.status === 'blocked'
  const groups = blocked ? [] : tally(a).groups
  const status = isExpired(deps, a) ? 'expired' : a.status
  const view: ApprovalView = {
    id: a.id, kind: a.kind, status, summary: summaryOf(a), intent: a.intent, digest: a.digest, policyVersion: a.policyVersion,
    requirements: a.decision.requirements.map((r) => {
      const g = groups.find((x) => x.group === r.group)
      return { group: r.group, quorum: r.quorum, reasons: r.reasons, missing: g?.missing ?? r.quorum,
        approvedBy: (g?.approvedBy ?? []).map((userId) => ({ userId, displayName: names.get(userId) ?? userId })) }
    }),
    conditions: (a.decision.conditions ?? []).map((c) => {
      const b = c.kind === 'beneficiary_kyc' ? a.beneficiary ?? null : null
      const met = conditionMet(a, c)
      const f = c.kind === 'beneficiary_kyc' && !met ? a.beneficiaryFailure ?? null : null
      return { kind: c.kind, reasons: c.reasons, met,
        ...(b ? { verification: { presentationRequestId: b.presentationRequestId, verifiedAt: iso(b.verifiedAt), issuer: b.issuer, claimsDigest: b.claimsDigest } } : {}),
        ...(f ? { lastFailure: { reason: f.reason, at: iso(f.at), presentationRequestId: f.presentationRequestId } } : {}) }
    }),
    blocks: a.decision.blocks,
    separationOfDuties: a.decision.separationOfDuties,
    approvals: a.decisions.map((d) => ({ userId: d.userId, displayName: names.get(d.userId) ?? d.userId, decision: d.decision,
      at: iso(d.at), credentialId: d.credentialId })),
    signer: a.signer, createdAt: iso(a.createdAt), expiresAt: iso(a.expiresAt),
    settledAt: a.settledAt === null ? null : iso(a.settledAt), redeemedAt: a.redeemedAt === null ? null : iso(a.redeemedAt),
    tokenIssued: a.token !== null,
  }
  if (principal?.kind === 'session') {
    const why = ineligibility({ ...a, status }, principal.user)
    const mine = a.decisions.find((d) => d.userId === principal.user.id)
    const c = beneficiaryCondition(a)
    view.me = { eligible: why === null, decided: mine?.decision ?? null, reason: why?.detail ?? null,
      canAskBeneficiary: status === 'pending' && c !== undefined && !conditionMet(a, c) && mayAskBeneficiary(a, principal) }
  }
  return view
}
