import assert from 'node:assert/strict'
import { test } from 'node:test'
import { evaluateQuorum, type ApproverDecision } from './quorum.ts'

const approve = (userId: string, ...groups: string[]): ApproverDecision => ({ userId, groups, decision: 'approve' })
const reject = (userId: string, ...groups: string[]): ApproverDecision => ({ userId, groups, decision: 'reject' })
const treasury2 = [{ group: 'treasury', quorum: 2 }]

test('pending until each group has its quorum of distinct people', () => {
  assert.equal(evaluateQuorum({ requirements: treasury2, separationOfDuties: false, decisions: [approve('a', 'treasury')] }).status, 'pending')
  const r = evaluateQuorum({ requirements: treasury2, separationOfDuties: false, decisions: [approve('b', 'treasury'), approve('a', 'treasury')] })
  assert.equal(r.status, 'satisfied')
  assert.deepEqual(r.groups, [{ group: 'treasury', quorum: 2, approvedBy: ['a', 'b'], missing: 0 }])
})

test('a person counts once, however many passkeys they used', () => {
  const r = evaluateQuorum({ requirements: treasury2, separationOfDuties: false, decisions: [approve('a', 'treasury'), approve('a', 'treasury')] })
  assert.equal(r.status, 'pending')
  assert.equal(r.groups[0]?.missing, 1)
})

test('a person counts toward each required group they belong to', () => {
  const requirements = [{ group: 'treasury', quorum: 2 }, { group: 'risk', quorum: 1 }]
  const r = evaluateQuorum({ requirements, separationOfDuties: false, decisions: [approve('a', 'treasury', 'risk'), approve('b', 'treasury')] })
  assert.equal(r.status, 'satisfied')
})

test('with separation of duties the initiator does not count', () => {
  const decisions = [approve('a', 'treasury'), approve('b', 'treasury')]
  const r = evaluateQuorum({ requirements: treasury2, separationOfDuties: true, initiatorId: 'a', decisions })
  assert.equal(r.status, 'pending')
  assert.deepEqual(r.ignored, [{ userId: 'a', reason: 'initiator' }])
  assert.equal(evaluateQuorum({ requirements: treasury2, separationOfDuties: false, initiatorId: 'a', decisions }).status, 'satisfied')
})

test('one rejection by a member of a required group rejects; outsiders are ignored', () => {
  const r = evaluateQuorum({ requirements: treasury2, separationOfDuties: false, decisions: [approve('a', 'treasury'), approve('b', 'treasury'), reject('c', 'treasury')] })
  assert.equal(r.status, 'rejected')
  assert.deepEqual(r.rejectedBy, ['c'])
  const outsider = evaluateQuorum({ requirements: treasury2, separationOfDuties: false, decisions: [approve('a', 'treasury'), approve('x', 'sales'), reject('y', 'sales')] })
  assert.equal(outsider.status, 'pending')
  assert.deepEqual(outsider.ignored.map((i) => i.userId), ['x', 'y'])
})

test('a person who both approved and rejected rejected', () => {
  const r = evaluateQuorum({ requirements: [{ group: 'treasury', quorum: 1 }], separationOfDuties: false, decisions: [approve('a', 'treasury'), reject('a', 'treasury')] })
  assert.equal(r.status, 'rejected')
})

test('requirements on one group merge to the highest quorum; empty or bad requirements throw', () => {
  const r = evaluateQuorum({ requirements: [{ group: 't', quorum: 1 }, { group: 't', quorum: 3 }], separationOfDuties: false, decisions: [] })
  assert.deepEqual(r.groups, [{ group: 't', quorum: 3, approvedBy: [], missing: 3 }])
  assert.throws(() => evaluateQuorum({ requirements: [], separationOfDuties: false, decisions: [] }), { code: 'approval_requirements_invalid' })
  assert.throws(() => evaluateQuorum({ requirements: [{ group: 't', quorum: 0 }], separationOfDuties: false, decisions: [] }), { code: 'approval_requirements_invalid' })
})

test('velocity keeps one total per token contract, however its address is spelled', async () => {
  const { velocityAsset } = await import('./velocity.ts')
  const usdc = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'
  assert.equal(velocityAsset(usdc), usdc.toLowerCase())
  assert.equal(velocityAsset(usdc.toLowerCase()), usdc.toLowerCase())
  assert.equal(velocityAsset(`0X${usdc.slice(2)}`), usdc.toLowerCase())
  assert.equal(velocityAsset('eth'), 'eth', 'a symbol stays as it is')
})
