import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { loadPolicies, type PolicyEngine } from './engine.ts'

let engine: PolicyEngine
before(async () => { engine = await loadPolicies() })

test('compliance officers issue KYC credentials and submit subjects', () => {
  const officer = { type: 'user' as const, id: 'carol', roles: ['compliance'] }
  assert.equal(engine.evaluateIssuance({ principal: officer, action: 'Issue', credentialType: 'kyc' }).allowed, true)
  assert.equal(engine.evaluateIssuance({ principal: officer, action: 'SubmitSubject', credentialType: 'kyc' }).allowed, true)
})

test('KYC vendors submit subjects but do not issue', () => {
  const vendor = { type: 'apiClient' as const, id: 'vendor', roles: ['kyc-vendor'] }
  assert.equal(engine.evaluateIssuance({ principal: vendor, action: 'SubmitSubject', credentialType: 'kyc' }).allowed, true)
  const issue = engine.evaluateIssuance({ principal: vendor, action: 'Issue', credentialType: 'kyc' })
  assert.equal(issue.allowed, false)
  assert.equal(issue.code, 'no_policy_permits')
})

test('others may do neither, nor issue other credential types', () => {
  const user = { type: 'user' as const, id: 'dave', roles: ['auditor'] }
  assert.equal(engine.evaluateIssuance({ principal: user, action: 'Issue', credentialType: 'kyc' }).code, 'no_policy_permits')
  const officer = { type: 'user' as const, id: 'carol', roles: ['compliance'] }
  assert.equal(engine.evaluateIssuance({ principal: officer, action: 'Issue', credentialType: 'diploma' }).allowed, false)
})
