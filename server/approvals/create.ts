import { randomToken } from '../random.ts'
import canonicalize from 'canonicalize'
import type { ApprovalDecision, ApprovalInput, PolicyEngine } from '../../policies/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { ApprovalPolicyDecision, ApprovalRecord, UserRecord } from '../store/index.ts'
import { digestOf, intentDigest } from './intent.ts'
import { policySourceFor } from './policySource.ts'
import { sumAmounts, velocityAsset, VELOCITY_WINDOW_MS } from './velocity.ts'
import { createPolicyEngine, shippedSchema, validatePolicySet } from '../../policies/index.ts'
import type { TransactionIntent } from './wire.ts'


export const newApprovalId = (): string => `apr_${randomToken(16)}`

export interface TransferInput {
  intent: TransactionIntent
  requester: { type: 'apiClient' | 'user'; id: string }
  initiatorUserId?: string
}

/** Builds the policy decision's inputs (velocity from the store) and evaluates it; evaluation errors deny. */
export async function decideTransfer(deps: AppDeps, engine: PolicyEngine, input: TransferInput): Promise<{ result: ApprovalDecision; decision: ApprovalPolicyDecision }> {
  const now = deps.now()
  const { walletId } = input.intent.source
  const asset = velocityAsset(input.intent.asset)
  // Requests stored before totals were kept under the lower-case contract are under the spelling they were given:
  // counted too while they can still be in the window (the given spelling is the likeliest; a day after the
  // upgrade every request in the window is under the canonical one).
  const spellings = asset === input.intent.asset ? [asset] : [asset, input.intent.asset]
  const read = await Promise.all(spellings.map((s) => Promise.all([deps.store.approvals.approvedAmounts(walletId, s, now - VELOCITY_WINDOW_MS),
    deps.store.approvals.pendingAmounts(walletId, s, now)])))
  const approved = read.flatMap(([a]) => a)
  const pending = read.flatMap(([, p]) => p)
  const approvedLast24h = sumAmounts(approved)
  const pendingTotal = sumAmounts(pending)
  const result = engine.evaluateApproval({ intent: input.intent, requester: input.requester, now: new Date(now), approvedLast24h, pendingTotal, destinationAllowlisted: false })
  return { result, decision: policyDecision(result, input.requester, now, approvedLast24h, pendingTotal) }
}

/**
 * The policy input a request was decided with, as recorded on it (intent, requester, decision time, velocity
 * figures, allowlist), with `over` for what a re-evaluation changes (the time, the velocity, the beneficiary).
 */
export function recordedInput(a: ApprovalRecord, over: Partial<ApprovalInput> = {}): ApprovalInput {
  const d = a.decision
  return { intent: a.intent as unknown as TransactionIntent, requester: d.requester, now: new Date(d.decidedAt), approvedLast24h: d.approvedLast24h,
    pendingTotal: d.pendingTotal ?? '0', destinationAllowlisted: d.destinationAllowlisted, ...over }
}

/** The decision record of a policy evaluation: its inputs and what it requires or why it blocks. */
export function policyDecision(result: ApprovalDecision, requester: ApprovalPolicyDecision['requester'], now: number, approvedLast24h: string, pendingTotal: string): ApprovalPolicyDecision {
  return {
    requester, decidedAt: now, approvedLast24h, pendingTotal, destinationAllowlisted: false,
    requirements: result.outcome === 'approval_required'
      ? result.requirements.map((r) => ({ group: r.group, quorum: r.quorum, reasons: r.reasons, policyIds: r.policyIds })) : [],
    conditions: result.outcome === 'approval_required'
      ? result.conditions.map((c) => ({ kind: c.kind, reasons: c.reasons, policyIds: c.policyIds })) : [],
    separationOfDuties: result.outcome === 'approval_required' ? result.separationOfDuties : false,
    blocks: result.outcome === 'blocked' ? result.blocks.map((b) => ({ code: b.code, reason: b.reason, ...(b.policyId ? { policyId: b.policyId } : {}) })) : [],
  }
}

async function requireInitiator(deps: AppDeps, id: string | undefined): Promise<void> {
  if (id !== undefined && !(await deps.store.users.get(id))) {
    throw new ProblemError('initiator_unknown', 400, { detail: 'No user has this id.', field: 'initiatorUserId' })
  }
}

/** `POST /v1/approvals`: validates the signer, decides by policy, stores the request (pending or blocked). */
export async function createTransferApproval(deps: AppDeps, clientId: string, body: { intent: TransactionIntent; signer: string; initiatorUserId?: string; expiresInSeconds: number }): Promise<ApprovalRecord> {
  // Independent lookups in one round trip; their refusals come in the order they would have one by one.
  const [found, initiator, current] = await Promise.allSettled([
    deps.store.apiClients.get(body.signer), requireInitiator(deps, body.initiatorUserId), policySourceFor(deps.store).current(),
  ])
  if (found.status === 'rejected') throw found.reason
  const signer = found.value
  if (!signer || signer.revokedAt !== null || !signer.roles.includes('signing-service')) {
    throw new ProblemError('signer_unknown', 400, { detail: 'signer must be the id of an active API client with role signing-service.', field: 'signer' })
  }
  if (initiator.status === 'rejected') throw initiator.reason
  if (current.status === 'rejected') throw current.reason
  const engine = current.value
  const { result, decision } = await decideTransfer(deps, engine, { intent: body.intent, requester: { type: 'apiClient', id: clientId }, initiatorUserId: body.initiatorUserId })
  const now = deps.now()
  const a: ApprovalRecord = {
    id: newApprovalId(), kind: 'transfer', status: result.outcome === 'blocked' ? 'blocked' : 'pending',
    intent: body.intent as unknown as Record<string, unknown>, digest: intentDigest(body.intent), policyVersion: result.policyVersion,
    decision, requestedBy: clientId, initiatorUserId: body.initiatorUserId ?? null, signer: signer.id,
    walletId: body.intent.source.walletId, asset: velocityAsset(body.intent.asset), amount: body.intent.amount,
    createdAt: now, expiresAt: now + body.expiresInSeconds * 1000, settledAt: result.outcome === 'blocked' ? now : null,
    decisions: [], token: null, redeemedAt: null, version: 1,
  }
  const data = { kind: a.kind, status: a.status, digest: a.digest, policyVersion: a.policyVersion, requirements: decision.requirements.map(({ group, quorum }) => ({ group, quorum })),
    ...(decision.conditions?.length ? { conditions: decision.conditions.map((c) => c.kind) } : {}) }
  await deps.store.approvals.create(a, [domainEvent(a.status === 'blocked' ? 'approval.blocked' : 'approval.created', a.id, now, data)],
    { entries: [{ type: a.status === 'blocked' ? 'approval.blocked' : 'approval.created', actor: clientId, subject: a.id, data }], at: now })
  return a
}

/** `POST /v1/policies/simulate`: what an intent would need, creating nothing. */
export async function simulateTransfer(deps: AppDeps, clientId: string, intent: TransactionIntent, initiatorUserId?: string) {
  const engine = await policySourceFor(deps.store).current()
  const { result, decision } = await decideTransfer(deps, engine, { intent, requester: { type: 'apiClient', id: clientId }, initiatorUserId })
  return { outcome: result.outcome, policyVersion: result.policyVersion, digest: intentDigest(intent),
    requirements: decision.requirements, conditions: decision.conditions ?? [], separationOfDuties: decision.separationOfDuties, blocks: decision.blocks,
    approvedLast24h: decision.approvedLast24h, pendingTotal: decision.pendingTotal ?? '0' }
}

/**
 * `POST /v1/policies/changes`: a replacement policy set is itself an approval request, decided by the policy
 * in force (ChangePolicy: a quorum of policy-admin). It takes effect when approved.
 */
export async function proposePolicyChange(deps: AppDeps, user: UserRecord, text: string, expiresInSeconds: number): Promise<ApprovalRecord> {
  const engine = await policySourceFor(deps.store).current()
  // Checked against, and adopting, this release's schema: a set in force since an older release moves to it here.
  const checked = validatePolicySet(text, shippedSchema())
  if (!checked.valid) {
    throw new ProblemError('policy_invalid', 400, { detail: checked.problems.map((p) => p.message).join('; ').slice(0, 2000), field: 'policies',
      extra: { problems: checked.problems.slice(0, 50) } })
  }
  // A set under which no later change could be approved would need the database to undo: the proposed set must
  // itself make ChangePolicy an approval (by some group's quorum), not block it or permit nobody.
  const next = createPolicyEngine(checked.texts).evaluatePolicyChange({ proposer: { id: user.id } })
  if (next.outcome !== 'approval_required' || next.requirements.length === 0) {
    const problem = { code: 'policy_change_locked_out', message: 'Under the proposed set no later policy change could be approved: keep a permit on Sigil::Action::"ChangePolicy" that names approvers (@group, @quorum).' }
    throw new ProblemError('policy_invalid', 400, { detail: problem.message, field: 'policies', extra: { problems: [problem] } })
  }
  const result = engine.evaluatePolicyChange({ proposer: { id: user.id } })
  const now = deps.now()
  const decision = policyDecision(result, { type: 'user', id: user.id }, now, '0', '0')
  // The schema is part of the intent (and of the digest approvers sign) only when the change also replaces it.
  const intent = { policies: checked.texts.policies, ...(checked.texts.schema === engine.texts.schema ? {} : { schema: checked.texts.schema }) }
  const a: ApprovalRecord = {
    id: newApprovalId(), kind: 'policy-change', status: result.outcome === 'blocked' ? 'blocked' : 'pending', intent,
    digest: digestOf(new TextEncoder().encode(canonicalize({ policies: checked.texts.policies, schema: checked.texts.schema })!)),
    policyVersion: engine.version, decision, requestedBy: user.id, initiatorUserId: user.id, signer: null,
    walletId: '', asset: '', amount: '0', createdAt: now, expiresAt: now + expiresInSeconds * 1000,
    settledAt: result.outcome === 'blocked' ? now : null, decisions: [], token: null, redeemedAt: null, version: 1,
  }
  await deps.store.approvals.create(a, [domainEvent('approval.created', a.id, now, { kind: a.kind, status: a.status, digest: a.digest })],
    { entries: [{ type: 'policy.change_proposed', actor: user.id, subject: a.id, data: { digest: a.digest, from: engine.version } }], at: now })
  return a
}
