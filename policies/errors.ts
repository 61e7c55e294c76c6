/** Stable codes a {@link PolicyError} carries; server/ maps them to HTTP statuses. */
export type PolicyErrorCode =
  | 'policy_syntax_error'
  | 'policy_invalid'
  | 'policy_id_missing'
  | 'policy_id_invalid'
  | 'policy_id_duplicate'
  | 'policy_annotation_invalid'
  | 'policy_template_unsupported'
  | 'policy_time_zone_invalid'
  | 'policy_time_zone_conflict'
  | 'policy_set_empty'
  | 'schema_invalid'
  | 'policy_request_invalid'
  | 'amount_invalid'
  | 'amount_out_of_range'

/** One problem found in a policy set, naming the policy when there is one. */
export interface PolicyProblem {
  code: PolicyErrorCode
  policyId?: string
  message: string
}

/**
 * The one error family of policies/: a stable snake_case `code` and, for a rejected policy set, every
 * problem found. policies/ does not import server/, so it cannot throw ProblemError; server/ wraps it.
 */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode
  readonly problems: PolicyProblem[]
  constructor(code: PolicyErrorCode, message: string, problems: PolicyProblem[] = []) {
    super(message)
    this.name = 'PolicyError'
    this.code = code
    this.problems = problems
  }
}
