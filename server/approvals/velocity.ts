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

/** `a` - `b` as a sign (-1, 0, 1), exactly (amounts as Sigil writes them). */
export function compareAmounts(a: string, b: string): number {
  const units = (x: string): bigint => {
    const m = /^(\d+)(?:\.(\d{1,18}))?$/.exec(x)
    return m ? BigInt(m[1]!) * 10n ** 18n + BigInt((m[2] ?? '').padEnd(18, '0')) : 0n
  }
  const d = units(a) - units(b)
  return d > 0n ? 1 : d < 0n ? -1 : 0
}
