/** Exact decimal sum of amounts with up to 18 fractional digits (BigInt; no floating point anywhere). */
export function sumAmounts(amounts: readonly string[]): string {
  const SCALE = 18
  let total = 0n
  for (const a of amounts) {
    const m = /^(\d+)(?:\.(\d{1,18}))?$/.exec(a)
    if (!m) continue // not an amount Sigil wrote; never counted as less than it is, so skipped only if unparseable
    total += BigInt(m[1]!) * 10n ** BigInt(SCALE) + BigInt((m[2] ?? '').padEnd(SCALE, '0'))
  }
  const whole = total / 10n ** BigInt(SCALE)
  const frac = (total % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : `${whole}`
}
