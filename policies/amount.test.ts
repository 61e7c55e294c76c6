import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cedarDecimal, parseAmount } from './amount.ts'

test('amounts parse exactly to 18 decimals', () => {
  assert.equal(parseAmount('1'), 10n ** 18n)
  assert.equal(parseAmount('0.000000000000000001'), 1n)
  assert.equal(parseAmount('123456789012345678901234567890.5'), 123456789012345678901234567890n * 10n ** 18n + 5n * 10n ** 17n)
})

test('malformed amounts are refused', () => {
  for (const bad of ['', '01', '1.', '.5', '-1', '1e3', '1.0000000000000000001', ' 1', 1 as unknown as string]) {
    assert.throws(() => parseAmount(bad), { code: 'amount_invalid' }, String(bad))
  }
})

test('Cedar decimals round up to 4 digits, so thresholds never see less than the amount', () => {
  assert.equal(cedarDecimal(parseAmount('25.5')), '25.5000')
  assert.equal(cedarDecimal(parseAmount('0.000000000000000001')), '0.0001')
  assert.equal(cedarDecimal(parseAmount('19.99991')), '20.0000')
  assert.equal(cedarDecimal(parseAmount('0')), '0.0000')
  assert.equal(cedarDecimal(parseAmount('922337203685477.5807')), '922337203685477.5807')
})

test('an amount past the range of Cedar decimals is refused, not clamped', () => {
  assert.throws(() => cedarDecimal(parseAmount('922337203685477.58071')), { code: 'amount_out_of_range' })
  assert.throws(() => cedarDecimal(parseAmount('1000000000000000')), { code: 'amount_out_of_range' })
})
