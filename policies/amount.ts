import { PolicyError } from './errors.ts'

/** A non-negative decimal with up to 18 fractional digits, as transaction intents carry amounts. */
const DECIMAL = /^(0|[1-9][0-9]{0,39})(\.[0-9]{1,18})?$/
const SCALE = 18
const TEN_POW_14 = 10n ** 14n
const ONE = 10n ** BigInt(SCALE)
/** Cedar's decimal is an i64 count of 1/10 000ths: the largest is 922337203685477.5807. */
const CEDAR_DECIMAL_MAX = 9_223_372_036_854_775_807n

/** Parses a decimal string exactly into units of 10^-18 (so 18-decimal tokens lose nothing). */
export function parseAmount(amount: string): bigint {
  const m = typeof amount === 'string' ? DECIMAL.exec(amount) : null
  if (!m) throw new PolicyError('amount_invalid', `not a decimal amount: ${JSON.stringify(amount).slice(0, 64)}`)
  const frac = (m[2] ?? '.').slice(1).padEnd(SCALE, '0')
  return BigInt(m[1]!) * ONE + BigInt(frac)
}

/**
 * Turns an exact amount (units of 10^-18) into Cedar decimal units (1/10 000ths, what a Cedar `decimal` holds as
 * an i64), rounding UP to Cedar's 4 fractional digits. Rounding up keeps every policy comparison against a
 * threshold of at most 4 decimals safe: `amount > T` is exact, and `amount >= T` can only ask for more approvals,
 * never fewer. An amount past Cedar's decimal range (about 9.2 × 10^14 units) cannot be compared at all, so it
 * throws, and the caller denies.
 */
export function cedarUnits(scaled: bigint): bigint {
  if (scaled < 0n) throw new PolicyError('amount_invalid', 'negative amount')
  const units4 = (scaled + TEN_POW_14 - 1n) / TEN_POW_14
  if (units4 > CEDAR_DECIMAL_MAX) throw new PolicyError('amount_out_of_range', 'amount is past the range of Cedar decimals')
  return units4
}

/** The argument of a Cedar `decimal(...)` holding `units4` 1/10 000ths: 255000n becomes `"25.5000"`. */
export function decimalText(units4: bigint): string {
  return `${units4 / 10_000n}.${(units4 % 10_000n).toString().padStart(4, '0')}`
}

/** The argument of a Cedar `decimal(...)` for {@link cedarUnits}' value: `25.5` becomes `"25.5000"`. */
export const cedarDecimal = (scaled: bigint): string => decimalText(cedarUnits(scaled))
