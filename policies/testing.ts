import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createPolicyEngine, DEFAULT_POLICY_DIR, type PolicyEngine } from './engine.ts'
import { validatePolicySet } from './policySet.ts'

/** The shipped schema, for tests that build their own policy sets. */
export const shippedSchema = (): string => readFileSync(join(DEFAULT_POLICY_DIR, 'sigil.cedarschema'), 'utf8')

/** An engine over `text` and the shipped schema; throws with the problems if it is invalid. */
export function engineFromText(text: string): PolicyEngine {
  const r = validatePolicySet(text, shippedSchema())
  if (!r.valid) throw new Error(JSON.stringify(r.problems))
  return createPolicyEngine(r.texts)
}
