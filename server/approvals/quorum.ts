import { ProblemError } from '../errors.ts'

/** `quorum` distinct people from `group` must approve. */
export interface QuorumRequirement {
  group: string
  quorum: number
}

/** One recorded decision; a person with several passkeys may have several. */
export interface ApproverDecision {
  userId: string
  /** The person's groups when they decided, as the server's directory said. */
  groups: readonly string[]
  decision: 'approve' | 'reject'
}

export interface EvaluateQuorumOptions {
  requirements: readonly QuorumRequirement[]
  /** When true the initiator's approval does not count (their rejection still does). */
  separationOfDuties: boolean
  /** The user who created the request, when a user did (not an API client). */
  initiatorId?: string
  decisions: readonly ApproverDecision[]
}

export interface GroupTally {
  group: string
  quorum: number
  /** Distinct people whose approval counts for this group, sorted. */
  approvedBy: string[]
  missing: number
}

export interface EvaluateQuorumResult {
  status: 'satisfied' | 'pending' | 'rejected'
  groups: GroupTally[]
  /** Members of a required group who rejected, sorted. */
  rejectedBy: string[]
  /** Decisions that count for nothing, and why. */
  ignored: { userId: string; reason: 'initiator' | 'not_in_required_group' }[]
}

/**
 * Tallies decisions against requirements:
 *
 * - A person counts once, however many passkeys they used; if any of their decisions is a rejection, they
 *   rejected. Their groups are those every one of their records agrees on.
 * - A person counts toward every required group they belong to: Alice in `treasury` and `risk` satisfies
 *   one approval of each. Within a group the approvers are distinct people.
 * - With separation of duties the initiator's approval counts for nothing.
 * - One rejection by a member of a required group rejects the request (a veto). Sigil does not know how
 *   many members a group has, so "enough rejections to make the quorum impossible" cannot be computed;
 *   the veto is the conservative reading. Decisions by people in no required group are ignored.
 * - Satisfied when every group has its quorum and nobody eligible rejected; otherwise pending.
 *
 * Requirements on the same group merge to the highest quorum. Throws `approval_requirements_invalid` for
 * an empty list or a quorum that is not a positive integer: a request with nothing required is never satisfied.
 */
export function evaluateQuorum(opts: EvaluateQuorumOptions): EvaluateQuorumResult {
  const need = new Map<string, number>()
  for (const r of opts.requirements) {
    if (!Number.isInteger(r.quorum) || r.quorum < 1 || typeof r.group !== 'string' || r.group === '') {
      throw new ProblemError('approval_requirements_invalid', 500, { detail: `bad requirement for ${String(r.group)}` })
    }
    need.set(r.group, Math.max(need.get(r.group) ?? 0, r.quorum))
  }
  if (need.size === 0) throw new ProblemError('approval_requirements_invalid', 500, { detail: 'no requirements' })

  const people = new Map<string, { groups: Set<string>; rejected: boolean }>()
  for (const d of opts.decisions) {
    const p = people.get(d.userId)
    if (!p) people.set(d.userId, { groups: new Set(d.groups), rejected: d.decision === 'reject' })
    else {
      for (const g of p.groups) if (!d.groups.includes(g)) p.groups.delete(g)
      p.rejected ||= d.decision === 'reject'
    }
  }

  const approvedBy = new Map<string, string[]>([...need.keys()].map((g) => [g, []]))
  const rejectedBy: string[] = []
  const ignored: EvaluateQuorumResult['ignored'] = []
  for (const [userId, p] of [...people].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const required = [...p.groups].filter((g) => need.has(g))
    if (required.length === 0) { ignored.push({ userId, reason: 'not_in_required_group' }); continue }
    if (p.rejected) { rejectedBy.push(userId); continue }
    if (opts.separationOfDuties && opts.initiatorId !== undefined && userId === opts.initiatorId) {
      ignored.push({ userId, reason: 'initiator' })
      continue
    }
    for (const g of required) approvedBy.get(g)!.push(userId)
  }

  const groups = [...need].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([group, quorum]): GroupTally => {
    const by = approvedBy.get(group)!
    return { group, quorum, approvedBy: by, missing: Math.max(0, quorum - by.length) }
  })
  const status = rejectedBy.length > 0 ? 'rejected' : groups.every((g) => g.missing === 0) ? 'satisfied' : 'pending'
  return { status, groups, rejectedBy, ignored }
}
