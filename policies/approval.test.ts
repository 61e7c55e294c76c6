import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import type { ApprovalDecision } from './approval.ts'
import type { ApprovalInput, ApprovalIntent } from './approvalContext.ts'
import { authorize } from './cedar.ts'
import { transferRequest } from './approvalContext.ts'
import { loadPolicies, type PolicyEngine } from './engine.ts'
import { engineFromText } from './testing.ts'

let engine: PolicyEngine
before(async () => { engine = await loadPolicies() })

const WEDNESDAY_10 = new Date('2026-03-04T10:00:00Z')
const WEDNESDAY_22 = new Date('2026-03-04T22:00:00Z')
const SATURDAY_12 = new Date('2026-03-07T12:00:00Z')

const intent = (over: Partial<ApprovalIntent> = {}): ApprovalIntent => ({
  chain: 'ethereum',
  asset: 'eth',
  amount: '1.5',
  source: { walletId: 'hot-1' },
  destination: '0x52908400098527886E0F7030069857D2E4169EE7',
  ...over,
})

function decide(over: Partial<ApprovalIntent> = {}, extra: Partial<ApprovalInput> = {}): ApprovalDecision {
  return engine.evaluateApproval({ intent: intent(over), requester: { type: 'apiClient', id: 'wallet-backend' }, now: WEDNESDAY_10, ...extra })
}

/** `group:quorum` list, or the block codes with policy ids. */
function summary(d: ApprovalDecision): string {
  if (d.outcome === 'blocked') return `blocked ${d.blocks.map((b) => `${b.code}${b.policyId ? `:${b.policyId}` : ''}`).join(',')}`
  return d.requirements.map((r) => `${r.group}:${r.quorum}`).join(',') + (d.separationOfDuties ? ' sod' : '')
}

test('a small transfer in business hours needs one treasury approver', () => {
  const d = decide()
  assert.equal(summary(d), 'treasury:1')
  assert.equal(d.policyVersion, engine.version)
  assert.ok(d.outcome === 'approval_required' && d.requirements[0]?.reasons[0])
})

test('a large transfer needs two treasury approvers and separation of duties', () => {
  assert.equal(summary(decide({ amount: '20' })), 'treasury:2 sod')
  assert.equal(summary(decide({ amount: '19.9999' })), 'treasury:1')
  assert.equal(summary(decide({ asset: 'btc', chain: 'bitcoin', destination: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', amount: '1.00000001' })), 'treasury:2 sod')
})

test('an allowlisted destination needs fewer approvals, up to the very-large tier', () => {
  assert.equal(summary(decide({ amount: '100' }, { destinationAllowlisted: true })), 'treasury:1')
  assert.equal(summary(decide({ amount: '600' }, { destinationAllowlisted: true })), 'risk:1,treasury:1 sod')
})

test('a very large transfer also needs risk', () => {
  assert.equal(summary(decide({ asset: 'usdc', amount: '1000000' })), 'risk:1,treasury:2 sod')
})

test('an unlisted asset is treated as large and needs risk', () => {
  assert.equal(summary(decide({ asset: '0x6982508145454ce325ddbe47a25d4ec3d2311933', amount: '1' })), 'risk:1,treasury:2 sod')
})

test('outside business hours risk must approve too, and very large transfers are blocked', () => {
  assert.equal(summary(decide({}, { now: WEDNESDAY_22 })), 'risk:1,treasury:1')
  assert.equal(summary(decide({}, { now: SATURDAY_12 })), 'risk:1,treasury:1')
  assert.equal(summary(decide({}, { now: WEDNESDAY_22, destinationAllowlisted: true })), 'treasury:1')
  const d = decide({ amount: '500' }, { now: WEDNESDAY_22 })
  assert.equal(summary(d), 'blocked policy_forbids:outside-hours-very-large')
  assert.ok(d.outcome === 'blocked' && d.blocks[0]?.reason.includes('business hours'))
})

test('the 24-hour total over the daily limit needs risk', () => {
  assert.equal(summary(decide({ amount: '2' }, { approvedLast24h: '98' })), 'treasury:1')
  assert.equal(summary(decide({ amount: '2' }, { approvedLast24h: '98.000000000000000001' })), 'risk:1,treasury:1 sod')
})

test('a denied destination is blocked whatever its checksum casing', () => {
  for (const destination of ['0x000000000000000000000000000000000000dEaD', '0x0000000000000000000000000000000000000000']) {
    assert.equal(summary(decide({ destination })), 'blocked policy_forbids:denied-destination')
  }
})

test('an amount with 18 decimals is evaluated, rounded up', () => {
  assert.equal(summary(decide({ amount: '19.999999999999999999' })), 'treasury:2 sod')
  assert.equal(summary(decide({ amount: '0.000000000000000001' })), 'treasury:1')
})

test('changing policies needs two policy admins other than the proposer', () => {
  assert.equal(summary(engine.evaluatePolicyChange({ proposer: { id: 'alice' } })), 'policy-admin:2 sod')
})

test('no matching permit blocks', () => {
  const e = engineFromText('@id("only-disclosure") permit (principal, action == Sigil::Action::"Disclose", resource);')
  assert.equal(summary(e.evaluateApproval({ intent: intent(), requester: { type: 'apiClient', id: 'b' }, now: WEDNESDAY_10 })), 'blocked no_policy_permits')
})

test('an error in any policy denies, even one in a forbid that Cedar alone would skip and then allow', () => {
  const e = engineFromText(`
@id("base") @group("treasury") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource);
@id("overflows") @reason("overflows after midnight")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc + 9223372036854775807 < 0 };`)
  const at = (now: Date) => e.evaluateApproval({ intent: intent(), requester: { type: 'apiClient', id: 'b' }, now })
  assert.equal(summary(at(new Date('2026-03-04T00:30:00Z'))), 'treasury:1')
  assert.equal(summary(at(WEDNESDAY_10)), 'blocked policy_evaluation_error')
})

test('inputs of the wrong type, or amounts out of range, deny instead of reaching Cedar', () => {
  const bad = <T>(v: unknown): T => v as T
  assert.equal(summary(decide({ chain: bad(42) })), 'blocked policy_evaluation_error')
  assert.equal(summary(decide({ destination: bad(['0x00']) })), 'blocked policy_evaluation_error')
  assert.equal(summary(decide({ amount: bad(1.5) })), 'blocked policy_evaluation_error')
  assert.equal(summary(decide({}, { destinationAllowlisted: bad('true') })), 'blocked policy_evaluation_error')
  assert.equal(summary(decide({}, { now: new Date(NaN) })), 'blocked policy_evaluation_error')
  assert.equal(summary(decide({ amount: '1000000000000000' })), 'blocked policy_evaluation_error')
})

test('a context missing an attribute or with a wrong type is an evaluation error', () => {
  const req = transferRequest({ intent: intent(), requester: { type: 'apiClient', id: 'b' }, now: WEDNESDAY_10 })
  const preparsed = preparsedOf(engine)
  const { hourUtc: _dropped, ...missing } = req.context
  assert.equal(authorize(preparsed, { ...req, shapeChecked: false, context: missing }).kind, 'error')
  assert.equal(authorize(preparsed, { ...req, shapeChecked: false, context: { ...req.context, chain: 7 } }).kind, 'error')
})

test('what transferRequest builds validates against the schema, so skipping Cedar\'s check changes nothing', () => {
  const preparsed = preparsedOf(engine)
  for (const extra of [{}, { destinationAllowlisted: true, approvedLast24h: '3.25', now: SATURDAY_12 }]) {
    for (const over of [{}, { source: { walletId: 'w', accountId: 'a' } }, { amount: '700' }]) {
      const req = transferRequest({ intent: intent(over), requester: { type: 'user', id: 'u' }, now: WEDNESDAY_10, ...extra })
      const fast = authorize(preparsed, req)
      const checked = authorize(preparsed, { ...req, shapeChecked: false })
      assert.notEqual(checked.kind, 'error')
      const sorted = (a: typeof fast) => (a.kind === 'error' ? a : { ...a, determining: [...a.determining].sort() })
      assert.deepEqual(sorted(fast), sorted(checked))
    }
  }
})

function preparsedOf(e: PolicyEngine) {
  const policySets = new Map([['CreateTransfer', `sigil:${e.version}:CreateTransfer`]])
  return { policySets, schemaName: `sigil-schema:${e.version}`, transfer: { reads: 'all' as const } }
}

test('a denied destination cannot be passed by another spelling: case, a missing or upper-case 0x, upper-case bech32', async () => {
  const dead = '000000000000000000000000000000000000dEaD'
  for (const [chain, destination] of [['ethereum', `0x${dead}`], ['ethereum', `0x${dead.toUpperCase()}`], ['gnosis', dead], ['gnosis', `0X${dead}`], ['linea', `0x${dead}`]]) {
    const d = decide({ chain, destination })
    assert.equal(d.outcome, 'blocked', `${chain} ${destination}`)
    assert.ok(d.outcome === 'blocked' && d.blocks.some((b) => b.policyId === 'denied-destination'), `${chain} ${destination}`)
  }
  const bech = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
  const e = engineFromText(`@id("deny-btc") @reason("denied") forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.destination == "${bech}" };
@id("ok") @group("treasury") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource);`)
  for (const destination of [bech, bech.toUpperCase()]) {
    assert.equal(e.evaluateApproval({ intent: intent({ chain: 'bitcoin', asset: 'btc', destination }), requester: { type: 'apiClient', id: 'b' }, now: WEDNESDAY_10 }).outcome, 'blocked', destination)
  }
})
