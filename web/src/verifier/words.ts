import { claimLabel } from '../wallet/claims.ts'

/** The KYC claims a relying app can ask for, and how the demo page words what comes back. */

/** Claims any relying app may ask for (policies/disclosure/claims.cedar, `disclose-minimal`). */
export const OPEN_CLAIMS = ['age_equal_or_over.18', 'age_equal_or_over.21', 'sanctions_screened', 'pep_screened', 'kyc_level'] as const
/** Claims only apps registered for them may ask for (nationality screening, the Travel Rule): asking shows a refusal. */
export const REGISTERED_CLAIMS = ['nationalities', 'given_name', 'family_name', 'birthdate', 'address.country'] as const
/** What the demo asks for unless told otherwise: the issue's example, the least a shop needs. */
export const DEFAULT_CLAIMS: readonly string[] = ['age_equal_or_over.18', 'sanctions_screened']

export { claimLabel }

/** A list in words: “A, B and C”. */
export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`
}

function valueWords(v: unknown): string {
  if (v === true) return 'Yes'
  if (v === false) return 'No'
  if (Array.isArray(v)) return v.map(valueWords).join(', ')
  if (v !== null && typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/** `{ age_equal_or_over: { 18: true } }` → one row per asked path, in the order asked, with the value in words. */
export function claimRows(claims: Record<string, unknown>, asked: readonly string[]): { path: string; label: string; value: string }[] {
  const at = (path: string): unknown => path.split('.').reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), claims)
  return asked.filter((p) => at(p) !== undefined).map((path) => ({ path, label: claimLabel(path), value: valueWords(at(path)) }))
}

/** Every dotted path in a nested claims object (to prove nothing beyond the asked ones came back). */
export function claimPaths(claims: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(claims).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? claimPaths(v as Record<string, unknown>, path) : [path]
  })
}

/** Why a presentation failed, in words (reason codes: credentials/errors.ts and server/presentations). */
const FAILURES: Record<string, string> = {
  credential_revoked: 'the holder’s credential has been revoked by its issuer',
  credential_suspended: 'the holder’s credential is suspended by its issuer',
  credential_expired: 'the holder’s credential has expired',
  issuer_untrusted: 'the credential comes from an issuer this app doesn’t trust',
  vct_untrusted: 'the credential is of a type this issuer may not issue',
  signature_invalid: 'the issuer’s signature on the credential doesn’t verify',
  kb_jwt_missing: 'the wallet didn’t prove it holds the credential’s key',
  kb_jwt_invalid: 'the wallet’s proof of holding the credential doesn’t verify',
  kb_jwt_stale: 'the wallet’s proof of holding the credential is too old',
  nonce_mismatch: 'the answer was made for another request',
  audience_mismatch: 'the answer was made for another verifier',
  claims_not_requested: 'the wallet disclosed claims that weren’t asked for',
  claim_not_found: 'the credential doesn’t hold every claim asked for',
  status_unavailable: 'the credential’s status couldn’t be checked',
  status_list_invalid: 'the credential’s status list doesn’t verify',
  state_mismatch: 'the answer doesn’t belong to this request',
  vp_token_malformed: 'the wallet’s answer was malformed',
}

export function failureWords(reason: string | undefined): string {
  return (reason && FAILURES[reason]) ?? `the presentation doesn’t verify${reason ? ` (${reason})` : ''}`
}
