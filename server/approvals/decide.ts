import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import { createPolicyEngine } from '../../policies/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { approvalAssertionOptions, verifyApprovalAssertion } from '../passkeys/index.ts'
import type { ApprovalDecisionRecord, ApprovalRecord, AuditInput, UserRecord } from '../store/index.ts'
import { expireIfDue, refuseIneligible } from './access.ts'
import { expectedApprovalChallenge, newApprovalNonce } from './challenge.ts'
import { conditionsMet } from './conditions.ts'
import { policySourceFor } from './policySource.ts'
import { tally } from './view.ts'
import { policyDecision, recordedInput } from './create.ts'
import { compareAmounts, sumAmounts, VELOCITY_WINDOW_MS } from './velocity.ts'

type Decision = 'approve' | 'reject'

function refuse(a: ApprovalRecord, user: UserRecord): void {
  if (a.status === 'expired') throw new ProblemError('approval_expired', 409, { detail: 'The request has expired; ask for a new one.' })
  refuseIneligible(a, user)
}

/**
 * `POST /v1/approvals/:id/options`: WebAuthn request options whose challenge is bound to this request, its
 * intent digest, the policy version, the decision and a fresh nonce (see challenge.ts for the construction).
 */
export async function approvalOptions(deps: AppDeps, user: UserRecord, approval: ApprovalRecord, decision: Decision): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const a = await expireIfDue(deps, approval)
  refuse(a, user)
  const nonce = newApprovalNonce()
  const challenge = expectedApprovalChallenge({ requestId: a.id, digest: a.digest, policyVersion: a.policyVersion, decision, nonce })
  return approvalAssertionOptions(deps, user, challenge, { approvalId: a.id, decision, nonce })
}

/** Retries of the compare-and-set when other approvers' decisions land at the same moment. */
const MAX_ROUNDS = 20

/**
 * `POST /v1/approvals/:id/verify` (approve) and `/reject`: verifies the approver's assertion over the bound
 * challenge (user verification required, only this user's passkeys), records the decision with the whole
 * assertion (the evidence), and settles the request when the quorum is met or a required group rejects.
 */
export async function decide(deps: AppDeps, user: UserRecord, approval: ApprovalRecord, response: Parameters<typeof verifyApprovalAssertion>[2], decision: Decision, client: string): Promise<ApprovalRecord> {
  const id = approval.id
  let a = await expireIfDue(deps, approval)
  refuse(a, user)
  const { passkey, ceremony } = await verifyApprovalAssertion(deps, user, response, client)
  const data = ceremony.data as { approvalId?: string; decision?: string; nonce?: string } | undefined
  if (data?.approvalId !== id) {
    throw new ProblemError('challenge_unknown', 400, { detail: 'This challenge was issued for another request.', field: 'response.response.clientDataJSON' })
  }
  if (data.decision !== decision) {
    // The challenge is spent (consumed before its data could be read): the approver signs again.
    throw new ProblemError('approval_decision_mismatch', 400, { detail: `The passkey signed a "${data.decision}" decision, not "${decision}"; `
      + `ask /options again with decision "${decision}" and send that assertion here.`, field: 'response' })
  }
  const record: ApprovalDecisionRecord = {
    userId: user.id, displayName: user.displayName, groups: [...user.roles], decision, nonce: data.nonce!, at: deps.now(), credentialId: passkey.id,
    publicKey: Buffer.from(passkey.publicKey).toString('base64url'), assertion: response as unknown as Record<string, unknown>,
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // The challenge binds digest and policy version as they were when it was made; they never change, but a
    // request replaced meanwhile must not take this signature.
    if (expectedApprovalChallenge({ requestId: a.id, digest: a.digest, policyVersion: a.policyVersion, decision, nonce: record.nonce }) !== ceremony.challenge) {
      throw new ProblemError('challenge_unknown', 400, { detail: 'The request changed since the challenge was made.', field: 'response.response.clientDataJSON' })
    }
    refuse(a, user)
    let next: ApprovalRecord = { ...a, decisions: [...a.decisions, record], version: a.version + 1 }
    let status = tally(next).status
    // Requests approved since this one was created may have raised what it needs (velocity).
    if (status === 'satisfied' && next.kind === 'transfer') next = await requirementsAtSettlement(deps, next)
    const raised = next.decision !== a.decision
    if (raised) status = tally(next).status
    const now = deps.now()
    // A met quorum approves only once every other condition (Travel Rule: a verified beneficiary) holds too.
    if (next.status !== 'blocked' && (status === 'rejected' || (status === 'satisfied' && conditionsMet(next)))) {
      Object.assign(next, { status: status === 'satisfied' ? 'approved' : 'rejected', settledAt: now })
    }
    const events = [domainEvent('approval.decision', a.id, now, { user: user.id, decision, credential: passkey.id })]
    if (raised && next.status === 'pending') {
      events.push(domainEvent('approval.requirements_raised', a.id, now, { requirements: next.decision.requirements.map(({ group, quorum }) => ({ group, quorum })) }))
    }
    if (next.status === 'blocked') events.push(domainEvent('approval.blocked', a.id, now, { kind: a.kind, digest: a.digest }))
    if (next.status === 'approved') events.push(domainEvent('approval.approved', a.id, now, { kind: a.kind, digest: a.digest, approvers: approversOf(next) }))
    if (next.status === 'rejected') events.push(domainEvent('approval.rejected', a.id, now, { kind: a.kind, digest: a.digest }))
    // The audit entries go with the write, only if it wins.
    const entries: AuditInput[] = [{ type: `approval.${decision === 'approve' ? 'approved_by' : 'rejected_by'}`, actor: user.id, subject: a.id,
      data: { credential: passkey.id, digest: a.digest, policyVersion: a.policyVersion } }]
    if (raised) {
      entries.push({ type: 'approval.requirements_raised', actor: 'system', subject: a.id,
        data: { approvedLast24h: next.decision.approvedLast24h, requirements: next.decision.requirements.map(({ group, quorum }) => ({ group, quorum })) } })
    }
    if (next.status !== 'pending') entries.push({ type: `approval.${next.status}`, actor: 'system', subject: a.id, data: { digest: a.digest } })
    if (await deps.store.approvals.update(next, events, { entries, at: now })) {
      if (next.status === 'approved' && next.kind === 'policy-change') return applyPolicyChange(deps, next)
      return next
    }
    const fresh = await deps.store.approvals.get(id)
    if (!fresh) throw new ProblemError('approval_not_found', 404, { field: 'id' })
    a = fresh
  }
  throw new ProblemError('approval_busy', 503, { detail: 'Too many concurrent decisions; try again.', headers: { 'Retry-After': '1' } })
}

/**
 * Velocity again when the quorum is met: the day's total was judged when the request was created, with what was
 * approved and what other requests then pending reserved. Requests opened at the same instant did not see each
 * other, and others may have been approved since; if what is approved now (with this one) is more than was counted,
 * the policy decides again on that total (same policy version, same decision time, the day's figures of now), and
 * what it requires now replaces what was recorded: the request stays pending for the new approvers. Recorded with
 * the inputs that give it, so the evidence re-checks offline.
 */
async function requirementsAtSettlement(deps: AppDeps, a: ApprovalRecord): Promise<ApprovalRecord> {
  const d = a.decision
  const approvedNow = sumAmounts(await deps.store.approvals.approvedAmounts(a.walletId, a.asset, deps.now() - VELOCITY_WINDOW_MS))
  if (compareAmounts(approvedNow, sumAmounts([d.approvedLast24h, d.pendingTotal ?? '0'])) <= 0) return a
  const engine = await policySourceFor(deps.store).byVersion(a.policyVersion)
  if (!engine) return a
  const result = engine.evaluateApproval(recordedInput(a, { approvedLast24h: approvedNow, pendingTotal: '0', beneficiaryVerified: conditionsMet(a) }))
  // The conditions (a verified beneficiary) stay as recorded; the rest is the new decision's.
  const { requirements, separationOfDuties, blocks } = policyDecision(result, d.requester, d.decidedAt, approvedNow, '0')
  const decision = { ...d, approvedLast24h: approvedNow, pendingTotal: '0' }
  if (result.outcome !== 'approval_required') return { ...a, status: 'blocked', settledAt: deps.now(), decision: { ...decision, blocks } }
  const had = new Map(d.requirements.map((r) => [r.group, r.quorum]))
  if (!requirements.some((r) => r.quorum > (had.get(r.group) ?? 0)) && !(separationOfDuties && !d.separationOfDuties)) return a
  return { ...a, decision: { ...decision, requirements, separationOfDuties } }
}

/** The people whose approval counted, sorted. */
export function approversOf(a: ApprovalRecord): string[] {
  return [...new Set(tally(a).groups.flatMap((g) => g.approvedBy))].sort()
}

/**
 * An approved policy change takes effect: the set becomes active if the set it was decided under is still
 * the active one; if another change won meanwhile, this one is blocked (decide again under the new set).
 */
async function applyPolicyChange(deps: AppDeps, a: ApprovalRecord): Promise<ApprovalRecord> {
  const current = await policySourceFor(deps.store).current()
  const proposed = a.intent as { policies: Record<string, string>; schema?: string }
  // The schema the proposal was checked against and its digest covers (absent: the one in force then, and now).
  const texts = { schema: proposed.schema ?? current.texts.schema, policies: proposed.policies }
  const engine = createPolicyEngine(texts)
  const now = deps.now()
  const ok = await deps.store.policySets.activate({ version: engine.version, texts: engine.texts, activatedAt: now, approvalId: a.id }, a.policyVersion,
    [domainEvent('policy.changed', engine.version, now, { approval: a.id, from: a.policyVersion })])
  if (ok) {
    await deps.store.audit.append({ type: 'policy.changed', actor: 'system', subject: engine.version, data: { approval: a.id, from: a.policyVersion, approvers: approversOf(a) } }, now)
    return a
  }
  const blocked: ApprovalRecord = { ...a, status: 'blocked', version: a.version + 1,
    decision: { ...a.decision, blocks: [{ code: 'policy_changed_meanwhile', reason: 'Another policy change took effect first; propose this one again.' }] } }
  await deps.store.approvals.update(blocked, undefined, {
    entries: [{ type: 'approval.blocked', actor: 'system', subject: a.id, data: { reason: 'policy_changed_meanwhile', digest: a.digest } }], at: now })
  return blocked
}
