import type { Authorization } from './cedar.ts'
import type { CompiledPolicy } from './policySet.ts'

/** A yes/no policy answer (disclosure, issuance) with the policies and reasons behind it. */
export interface PolicyAnswer {
  allowed: boolean
  /** Set when refused. */
  code?: 'policy_forbids' | 'no_policy_permits' | 'policy_evaluation_error'
  policyIds: string[]
  reasons: string[]
}

/** Folds Cedar's answer into a {@link PolicyAnswer}; an evaluation error refuses. */
export function answerOf(auth: Authorization, policies: ReadonlyMap<string, CompiledPolicy>): PolicyAnswer {
  if (auth.kind === 'error') return { allowed: false, code: 'policy_evaluation_error', policyIds: [], reasons: [auth.message] }
  const policyIds = [...auth.determining].sort()
  const reasons = policyIds.map((id) => policies.get(id)?.annotations.reason).filter((r): r is string => r !== undefined)
  if (auth.kind === 'allow') return { allowed: true, policyIds, reasons }
  return { allowed: false, code: policyIds.length ? 'policy_forbids' : 'no_policy_permits', policyIds, reasons }
}
