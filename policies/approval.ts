import { authorize, type Authorization, type CedarRequest, type PreparsedIds } from './cedar.ts'
import type { ApprovalConditionKind, CompiledPolicy } from './policySet.ts'

/** Approvals one group must give: `quorum` distinct people from `group`. */
export interface ApprovalRequirement {
  group: string
  quorum: number
  /** The permit policies that asked for this group, and their `@reason`s, for the approval page. */
  policyIds: string[]
  reasons: string[]
}

/**
 * A condition besides the quorum, asked for by permits annotated `@requirement("<kind>")`: the request stays
 * pending until it holds, whatever the approvers do. It holds once a re-evaluation with the fact in the
 * context (say `beneficiaryVerified: true`) no longer asks for it.
 */
export interface ApprovalCondition {
  kind: ApprovalConditionKind
  policyIds: string[]
  reasons: string[]
}

/** Why a request is blocked. */
export interface PolicyBlock {
  code: 'policy_forbids' | 'no_policy_permits' | 'policy_evaluation_error'
  policyId?: string
  reason: string
}

/** What a policy decision asks for before signing, or why nothing may be signed. */
export type ApprovalDecision =
  | {
    outcome: 'approval_required'
    requirements: ApprovalRequirement[]
    /** Conditions besides the quorum (`@requirement` permits), sorted by kind. */
    conditions: ApprovalCondition[]
    /** When true the initiator's own approval does not count. */
    separationOfDuties: boolean
    /** The determining permit policies, sorted. */
    policyIds: string[]
    policyVersion: string
  }
  | { outcome: 'blocked'; blocks: PolicyBlock[]; policyVersion: string }

const evaluationError = (policyVersion: string, message: string): ApprovalDecision => ({
  outcome: 'blocked',
  blocks: [{ code: 'policy_evaluation_error', reason: `The policy could not be evaluated, so the request is denied: ${message}` }],
  policyVersion,
})

/**
 * Turns Cedar's answer into requirements. Deny with determining policies: those are the matching forbids,
 * and each blocks with its `@reason`. Deny with none: no permit matched. Allow: every determining permit
 * contributes `@group`/`@quorum`; one group asked for by several permits needs the highest quorum, and
 * `@separationOfDuties("true")` on any of them applies to the whole request; a permit with `@requirement`
 * adds a condition instead of approvers. An error anywhere denies.
 */
export function decideApproval(auth: Authorization, policies: ReadonlyMap<string, CompiledPolicy>, policyVersion: string): ApprovalDecision {
  if (auth.kind === 'error') return evaluationError(policyVersion, auth.message)
  const determining = [...auth.determining].sort()
  if (auth.kind === 'deny') {
    if (determining.length === 0) {
      return { outcome: 'blocked', blocks: [{ code: 'no_policy_permits', reason: 'No policy permits this request.' }], policyVersion }
    }
    const blocks = determining.map((id): PolicyBlock => ({ code: 'policy_forbids', policyId: id, reason: policies.get(id)?.annotations.reason ?? id }))
    return { outcome: 'blocked', blocks, policyVersion }
  }
  const byGroup = new Map<string, ApprovalRequirement>()
  const byKind = new Map<ApprovalConditionKind, ApprovalCondition>()
  let separationOfDuties = false
  for (const id of determining) {
    const a = policies.get(id)?.annotations
    if (a?.requirement !== undefined) {
      // Validated at load (policySet.ts): a known kind, on a permit.
      const kind = a.requirement as ApprovalConditionKind
      const c = byKind.get(kind) ?? { kind, policyIds: [], reasons: [] }
      c.policyIds.push(id)
      if (a.reason) c.reasons.push(a.reason)
      byKind.set(kind, c)
      continue
    }
    const quorum = Number(a?.quorum)
    if (!a?.group || !Number.isInteger(quorum) || quorum < 1) return evaluationError(policyVersion, `policy ${id} names no approvers`)
    if (a.separationOfDuties === 'true') separationOfDuties = true
    const r = byGroup.get(a.group) ?? { group: a.group, quorum: 0, policyIds: [], reasons: [] }
    r.quorum = Math.max(r.quorum, quorum)
    r.policyIds.push(id)
    if (a.reason) r.reasons.push(a.reason)
    byGroup.set(a.group, r)
  }
  // A condition alone names nobody who could approve: such a request could never be approved, so it is an error.
  if (byGroup.size === 0) return evaluationError(policyVersion, 'no permit names approvers')
  const requirements = [...byGroup.values()].sort((x, y) => (x.group < y.group ? -1 : x.group > y.group ? 1 : 0))
  const conditions = [...byKind.values()].sort((x, y) => (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0))
  return { outcome: 'approval_required', requirements, conditions, separationOfDuties, policyIds: determining, policyVersion }
}

/** Builds the request (which may throw on an unusable amount), asks Cedar, and decides; never throws. */
export function evaluateApprovalRequest(
  ids: PreparsedIds, policies: ReadonlyMap<string, CompiledPolicy>, policyVersion: string, build: () => CedarRequest,
): ApprovalDecision {
  let req: CedarRequest
  try {
    req = build()
  } catch (e) {
    return evaluationError(policyVersion, e instanceof Error ? e.message : String(e))
  }
  return decideApproval(authorize(ids, req), policies, policyVersion)
}
