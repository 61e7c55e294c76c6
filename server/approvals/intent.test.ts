import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { canonicalIntent, describeIntent, intentDigest } from './intent.ts'
import { zTransactionIntent, type TransactionIntent } from './wire.ts'

const intent: TransactionIntent = zTransactionIntent.parse({
  source: { walletId: 'hot-1' }, memo: 'invoice 42', destination: '0x52908400098527886E0F7030069857D2E4169EE7',
  amount: '1.5', asset: 'eth', chain: 'ethereum',
})

test('the canonical bytes are RFC 8785 JSON: members sorted, no whitespace, whatever the input order', () => {
  const text = new TextDecoder().decode(canonicalIntent(intent))
  assert.equal(text, '{"amount":"1.5","asset":"eth","chain":"ethereum","destination":"0x52908400098527886E0F7030069857D2E4169EE7","memo":"invoice 42","source":{"walletId":"hot-1"}}')
  const reordered = zTransactionIntent.parse(JSON.parse('{"chain":"ethereum","asset":"eth","amount":"1.5","destination":"0x52908400098527886E0F7030069857D2E4169EE7","source":{"walletId":"hot-1"},"memo":"invoice 42"}'))
  assert.deepEqual(canonicalIntent(reordered), canonicalIntent(intent))
})

test('the digest is sha256:<hex> of the canonical bytes and changes with any field', () => {
  assert.equal(intentDigest(intent), `sha256:${createHash('sha256').update(canonicalIntent(intent)).digest('hex')}`)
  assert.notEqual(intentDigest({ ...intent, amount: '1.50' }), intentDigest(intent))
  assert.notEqual(intentDigest({ ...intent, memo: undefined }), intentDigest(intent))
  assert.equal(intentDigest({ ...intent, beneficiary: undefined }), intentDigest(intent))
})

test('the intent in words shows the full destination, the memo and the beneficiary', () => {
  assert.equal(describeIntent(intent), 'Send 1.5 ETH on ethereum from wallet hot-1 to 0x52908400098527886E0F7030069857D2E4169EE7; memo: \u2068invoice 42\u2069')
  const withBeneficiary = { ...intent, memo: undefined, source: { walletId: 'w', accountId: 'a' }, beneficiary: { name: 'Ada Lovelace', vasp: 'Example VASP', country: 'GB' } }
  assert.equal(describeIntent(withBeneficiary), 'Send 1.5 ETH on ethereum from account a of wallet w to 0x52908400098527886E0F7030069857D2E4169EE7; beneficiary: \u2068Ada Lovelace\u2069 at \u2068Example VASP\u2069 (GB)')
})
