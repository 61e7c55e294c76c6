import { fail } from '../errors.ts'

/** Options of checkTimeClaims. */
export interface CheckTimeClaimsOptions {
  now: Date
  /** Accepted clock difference, in seconds. */
  clockToleranceSeconds: number
  /** Whether `exp` must be present. */
  requireExp?: boolean
}

const numericDate = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('credential_malformed', `${name} is not a NumericDate`)
  return v
}

/**
 * RFC 7519 §4.1.4-6 with a tolerance: expired at or after `exp`, not yet valid before `nbf` or `iat`
 * (an `iat` in the future means a clock or issuer error; SD-JWT VC §3.2.2.2 treats it as not yet valid).
 */
export function checkTimeClaims(payload: Record<string, unknown>, options: CheckTimeClaimsOptions): void {
  const now = options.now.getTime() / 1000
  const tol = options.clockToleranceSeconds
  const exp = numericDate(payload.exp, 'exp')
  const nbf = numericDate(payload.nbf, 'nbf')
  const iat = numericDate(payload.iat, 'iat')
  if (exp === undefined && options.requireExp) fail('credential_malformed', 'exp missing')
  if (exp !== undefined && now >= exp + tol) fail('credential_expired')
  if (nbf !== undefined && now < nbf - tol) fail('credential_not_yet_valid', 'nbf')
  if (iat !== undefined && now < iat - tol) fail('credential_not_yet_valid', 'iat')
}

/** Seconds since the epoch, whole, for `iat`/`exp` claims. */
export const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000)
