/**
 * Cedar policies (approval, disclosure, issuance, policy change) and the wrapper that evaluates them with
 * @cedar-policy/cedar-wasm. Counts and sums (velocity) are computed by the caller and passed in the
 * context. An evaluation error always denies.
 */
export { loadPolicies, createPolicyEngine, DEFAULT_POLICY_DIR, shippedSchema } from './engine.ts'
export type { PolicyEngine, PolicyChangeInput, LoadPoliciesOptions } from './engine.ts'
export { policyVersion } from './version.ts'
export type { PolicyTexts } from './version.ts'
export { validatePolicySet, APPROVAL_ACTIONS, APPROVAL_CONDITIONS } from './policySet.ts'
export type { ApprovalConditionKind, ValidatePolicySetResult } from './policySet.ts'
export { canonicalEvm } from './approvalContext.ts'
export type { TimeOfDay } from './localTime.ts'
export type { ApprovalInput, ApprovalIntent, Requester } from './approvalContext.ts'
export type { ApprovalCondition, ApprovalDecision, ApprovalRequirement, PolicyBlock } from './approval.ts'
export type { DisclosureInput, DisclosureDecision, RefusedClaim } from './disclosure.ts'
export type { IssuanceInput } from './issuance.ts'
export type { RecoveryInput } from './recovery.ts'
export type { PolicyAnswer } from './answer.ts'
export { PolicyError } from './errors.ts'
export type { PolicyErrorCode, PolicyProblem } from './errors.ts'
