import assert from 'node:assert/strict'
import { test } from 'node:test'
import { zTransactionIntent } from './wire.ts'

const ok = { chain: 'ethereum', asset: 'eth', amount: '1.5', source: { walletId: 'hot-1' }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }
const paths = (v: unknown): string[] => {
  const r = zTransactionIntent.safeParse(v)
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'))
}

test('a well-formed intent parses, per chain', () => {
  assert.deepEqual(paths(ok), [])
  assert.deepEqual(paths({ ...ok, chain: 'bitcoin', asset: 'btc', destination: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' }), [])
  assert.deepEqual(paths({ ...ok, chain: 'bitcoin', asset: 'btc', destination: '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2' }), [])
  assert.deepEqual(paths({ ...ok, chain: 'solana', asset: 'sol', destination: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV' }), [])
  assert.deepEqual(paths({ ...ok, chain: 'tron', asset: 'usdt', destination: 'TJRabPrwbZy45sbavfcjinPJC18kjpRTv8' }), [])
  assert.deepEqual(paths({ ...ok, asset: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', amount: '0.000000000000000001', memo: 'ok', beneficiary: { name: 'Ada', country: 'GB' } }), [])
})

test('amounts are positive decimal strings with at most 18 fractional digits', () => {
  for (const amount of ['0', '0.000', '01', '1.', '.5', '-1', '1e18', '1.1234567890123456789', 1.5, `${'9'.repeat(61)}`]) {
    assert.deepEqual(paths({ ...ok, amount }), ['amount'], String(amount))
  }
})

test('destinations must look like an address on their chain', () => {
  assert.deepEqual(paths({ ...ok, destination: '0x1234' }), ['destination'])
  assert.deepEqual(paths({ ...ok, chain: 'bitcoin', destination: 'bc1QAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' }), ['destination'])
  assert.deepEqual(paths({ ...ok, chain: 'solana', destination: '0OIl' + 'a'.repeat(36) }), ['destination'])
  assert.deepEqual(paths({ ...ok, chain: 'tron', destination: 'T\u202eabc' }), ['destination'])
})

test('unknown keys, control and bidi characters are refused', () => {
  assert.deepEqual(paths({ ...ok, fee: '1' }), [''])
  assert.deepEqual(paths({ ...ok, source: { walletId: 'w', vault: 'x' } }), ['source'])
  assert.deepEqual(paths({ ...ok, memo: 'pay\u202eevil' }), ['memo'])
  assert.deepEqual(paths({ ...ok, memo: 'line\nbreak' }), ['memo'])
  assert.deepEqual(paths({ ...ok, memo: 'x'.repeat(257) }), ['memo'])
  assert.deepEqual(paths({ ...ok, beneficiary: {} }), ['beneficiary'])
  assert.deepEqual(paths({ ...ok, beneficiary: { country: 'gb' } }), ['beneficiary.country'])
  assert.deepEqual(paths({ ...ok, chain: 'Ethereum' }), ['chain'])
  assert.deepEqual(paths({ ...ok, asset: 'ETH' }), ['asset'])
})

test('the approval page cannot be drawn over or misread: stacked combining marks, symbols that start with digits', () => {
  assert.deepEqual(paths({ ...ok, memo: `Invoice 7${'\u0301'.repeat(220)}` }), ['memo'])
  assert.deepEqual(paths({ ...ok, beneficiary: { name: `Ada${'\u0336'.repeat(4)}` } }), ['beneficiary.name'])
  // Real names stack a few marks at most: Vietnamese, Devanagari, Hebrew points pass.
  for (const name of ['Nguyễn Thị Ánh', 'Ngu\u0079\u0065\u0302\u0303n', 'देवनागरी', 'שָׁלוֹם']) assert.deepEqual(paths({ ...ok, beneficiary: { name } }), [], name)
  assert.deepEqual(paths({ ...ok, asset: '000eth' }), ['asset'])
  assert.deepEqual(paths({ ...ok, asset: 'usdc.e' }), [])
})
