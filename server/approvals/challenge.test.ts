import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { approvalChallenge, expectedApprovalChallenge, newApprovalNonce, type ApprovalChallengeInput } from './challenge.ts'

const input: ApprovalChallengeInput = {
  requestId: 'apr_01HZX',
  digest: `sha256:${'ab'.repeat(32)}`,
  policyVersion: `sha256:${'cd'.repeat(32)}`,
  decision: 'approve',
  nonce: Buffer.alloc(32, 7).toString('base64url'),
}

test('the challenge is SHA-256 over the tag, a zero byte and the JCS of the five fields, as documented', () => {
  const json = `{"decision":"approve","digest":"sha256:${'ab'.repeat(32)}","nonce":"${input.nonce}","policyVersion":"sha256:${'cd'.repeat(32)}","requestId":"apr_01HZX"}`
  const expected = createHash('sha256').update(Buffer.concat([Buffer.from('sigil-approval-v1'), Buffer.of(0), Buffer.from(json)])).digest()
  assert.deepEqual(Buffer.from(approvalChallenge(input)), expected)
  assert.equal(expectedApprovalChallenge(input), expected.toString('base64url'))
})

test('every field changes the challenge', () => {
  const base = expectedApprovalChallenge(input)
  const variants: Partial<ApprovalChallengeInput>[] = [
    { requestId: 'apr_01HZY' }, { digest: `sha256:${'ab'.repeat(31)}ac` }, { policyVersion: `sha256:${'cd'.repeat(31)}ce` },
    { decision: 'reject' }, { nonce: newApprovalNonce() },
  ]
  const seen = new Set([base])
  for (const v of variants) seen.add(expectedApprovalChallenge({ ...input, ...v }))
  assert.equal(seen.size, variants.length + 1)
})

test('malformed inputs are refused, naming the field', () => {
  const bad: [Partial<ApprovalChallengeInput>, string][] = [
    [{ requestId: '' }, 'requestId'], [{ requestId: 'a"b' }, 'requestId'], [{ digest: 'sha256:AB' }, 'digest'],
    [{ policyVersion: 'v1' }, 'policyVersion'], [{ decision: 'maybe' as 'approve' }, 'decision'],
    [{ nonce: Buffer.alloc(31).toString('base64url') }, 'nonce'], [{ nonce: `${input.nonce}=` }, 'nonce'],
  ]
  for (const [v, field] of bad) assert.throws(() => approvalChallenge({ ...input, ...v }), { code: 'approval_challenge_invalid', field })
})

test('nonces are 32 fresh bytes', () => {
  const a = newApprovalNonce()
  assert.equal(Buffer.from(a, 'base64url').length, 32)
  assert.notEqual(a, newApprovalNonce())
})
