import { createPolicyEngine, shippedSchema, type PolicyEngine } from './engine.ts'
import { validatePolicySet } from './policySet.ts'

/** The shipped schema, for tests that build their own policy sets. */
export { shippedSchema }

/** An engine over `text` and the shipped schema; throws with the problems if it is invalid. */
export function engineFromText(text: string): PolicyEngine {
  const r = validatePolicySet(text, shippedSchema())
  if (!r.valid) throw new Error(JSON.stringify(r.problems))
  return createPolicyEngine(r.texts)
}
