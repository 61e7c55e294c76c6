import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { loadPolicies, type PolicyEngine } from './engine.ts'

let engine: PolicyEngine
before(async () => { engine = await loadPolicies() })

const refused = (d: ReturnType<PolicyEngine['evaluateDisclosure']>): string[] => (d.allowed ? [] : d.refused.map((r) => `${r.claim}:${r.code}`))

test('any relying app may ask for age thresholds, screening results and the KYC level', () => {
  const d = engine.evaluateDisclosure({ appId: 'shop', claims: ['age_equal_or_over.18', 'age_equal_or_over.21', 'sanctions_screened', 'pep_screened', 'kyc_level'] })
  assert.deepEqual(d, { allowed: true })
})

test('names, birth date and address only go to Travel Rule apps', () => {
  const claims = ['given_name', 'family_name', 'birthdate', 'address', 'address.country']
  assert.deepEqual(refused(engine.evaluateDisclosure({ appId: 'shop', claims })), claims.map((c) => `${c}:policy_forbids`))
  assert.deepEqual(engine.evaluateDisclosure({ appId: 'vasp', appAttributes: { travelRule: true }, claims }), { allowed: true })
})

test('nationalities need the nationality-screening attribute', () => {
  assert.deepEqual(refused(engine.evaluateDisclosure({ appId: 'shop', claims: ['nationalities'] })), ['nationalities:no_policy_permits'])
  assert.deepEqual(engine.evaluateDisclosure({ appId: 'bank', appAttributes: { nationalityScreening: true }, claims: ['nationalities'] }), { allowed: true })
})

test('unknown and malformed claims are refused, each named', () => {
  const d = engine.evaluateDisclosure({ appId: 'shop', claims: ['age_equal_or_over.18', 'email', 'Given Name', 'email'] })
  assert.deepEqual(refused(d), ['email:no_policy_permits', 'Given Name:claim_invalid'])
})
