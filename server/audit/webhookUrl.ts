/** Loopback receivers may use http (local development and tests); every other receiver needs https. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Why a receiver URL is refused, or undefined when it is fine: https (or loopback http, or http when the
 * operator allows it), no credentials in it, no fragment.
 */
export function webhookUrlProblem(raw: string, allowHttp: boolean): string | undefined {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return 'not an absolute URL'
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must use https'
  if (u.protocol === 'http:' && !allowHttp && !LOOPBACK.has(u.hostname)) return 'must use https (http only for loopback receivers)'
  if (u.username || u.password) return 'must not carry credentials; the signature authenticates Sigil'
  if (u.hash) return 'must not have a fragment'
  return undefined
}
