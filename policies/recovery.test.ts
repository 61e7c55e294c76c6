import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { createPolicyEngine, loadPolicies, type PolicyEngine } from './engine.ts'

let engine: PolicyEngine
before(async () => { engine = await loadPolicies() })

const recover = (e: PolicyEngine, roles: string[]) => e.evaluateRecovery({ user: { id: 'u_alice', roles }, method: 'kyc-credential' })

test('recovery by credential: permitted for users, forbidden for compliance officers and auditors', () => {
  assert.deepEqual(recover(engine, []), { allowed: true, policyIds: ['recover-by-credential'], reasons: [engine.texts.policies['recover-by-credential']!.match(/@reason\("([^"]+)"\)/)![1]!] })
  for (const role of ['compliance', 'auditor']) {
    const a = recover(engine, [role])
    assert.equal(a.allowed, false)
    assert.equal(a.code, 'policy_forbids')
    assert.deepEqual(a.policyIds, ['recover-by-credential-not-staff'])
  }
})

test('recovery by credential: off without the permit; an evaluation error (a schema without Recover) refuses', () => {
  const { ['recover-by-credential']: _permit, ...rest } = engine.texts.policies
  assert.equal(recover(createPolicyEngine({ schema: engine.texts.schema, policies: rest }), []).code, 'no_policy_permits')
  const { ['recover-by-credential-not-staff']: _forbid, ...older } = rest
  const schema = engine.texts.schema.replace(/action Recover appliesTo \{[\s\S]*?\n {2}\};/, '')
  assert.ok(!schema.includes('action Recover'))
  const answer = recover(createPolicyEngine({ schema, policies: older }), [])
  assert.equal(answer.allowed, false)
  assert.equal(answer.code, 'policy_evaluation_error')
})
