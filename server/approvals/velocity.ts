import { canonicalEvm } from '../../policies/index.ts'

/** The velocity window: what was approved this long before counts in the day's total. */
export const VELOCITY_WINDOW_MS = 24 * 3600_000

const SCALE = 18

/** An amount as Sigil writes it, in units of 10^-18; undefined for anything else. */
function units(amount: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,18}))?$/.exec(amount)
  return m ? BigInt(m[1]!) * 10n ** BigInt(SCALE) + BigInt((m[2] ?? '').padEnd(SCALE, '0')) : undefined
}

/** Exact decimal sum of amounts with up to 18 fractional digits (BigInt; no floating point anywhere). */
export function sumAmounts(amounts: readonly string[]): string {
  let total = 0n
  // Not an amount Sigil wrote: skipped, never counted as less than it is.
  for (const a of amounts) total += units(a) ?? 0n
  const whole = total / 10n ** BigInt(SCALE)
  const frac = (total % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : `${whole}`
}

/** `a` - `b` as a sign (-1, 0, 1), exactly (amounts as Sigil writes them; anything else counts as 0). */
export function compareAmounts(a: string, b: string): number {
  const d = (units(a) ?? 0n) - (units(b) ?? 0n)
  return d > 0n ? 1 : d < 0n ? -1 : 0
}

/**
 * The asset as velocity totals are kept: a token contract address (EVM) in lower case with `0x`, so that a checksummed
 * and a lower-case spelling of one contract add up to one total (the policy sees it lower-cased too).
 */
export function velocityAsset(asset: string): string {
  return canonicalEvm(asset)
}
