import { authorize, type PreparsedIds } from './cedar.ts'
import { answerOf, type PolicyAnswer } from './answer.ts'
import type { CompiledPolicy } from './policySet.ts'

/** A relying app asking a holder for claims. */
export interface DisclosureInput {
  /** The relying app's client id. */
  appId: string
  /** From the app's registration; each absent attribute is false. */
  appAttributes?: { travelRule?: boolean; nationalityScreening?: boolean }
  /** Claim paths, dotted for nested claims (`age_equal_or_over.18`, `address.country`). */
  claims: readonly string[]
}

/** One claim the app may not ask for, and why. */
export interface RefusedClaim extends Omit<PolicyAnswer, 'allowed' | 'code'> {
  claim: string
  code: NonNullable<PolicyAnswer['code']> | 'claim_invalid'
}

/** Allowed only when every claim asked for is allowed. */
export type DisclosureDecision = { allowed: true } | { allowed: false; refused: RefusedClaim[] }

const CLAIM = /^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64}){0,4}$/

/** Asks action Disclose once per distinct claim, with principal `Sigil::RelyingApp::"<appId>"`. */
export function evaluateDisclosure(ids: PreparsedIds, policies: ReadonlyMap<string, CompiledPolicy>, input: DisclosureInput): DisclosureDecision {
  const principal = { type: 'Sigil::RelyingApp', id: input.appId }
  const app = { uid: principal, attrs: { travelRule: input.appAttributes?.travelRule ?? false, nationalityScreening: input.appAttributes?.nationalityScreening ?? false }, parents: [] }
  const refused: RefusedClaim[] = []
  for (const claim of new Set(input.claims)) {
    if (!CLAIM.test(claim)) {
      refused.push({ claim, code: 'claim_invalid', policyIds: [], reasons: ['not a claim path'] })
      continue
    }
    const answer = answerOf(authorize(ids, {
      principal, action: 'Disclose', resource: { type: 'Sigil::Claim', id: claim }, context: { claim }, entities: [app],
    }), policies)
    if (!answer.allowed) refused.push({ claim, code: answer.code ?? 'no_policy_permits', policyIds: answer.policyIds, reasons: answer.reasons })
  }
  return refused.length ? { allowed: false, refused } : { allowed: true }
}
