import type { JWK } from 'jose'
import { fail } from '../errors.ts'

/**
 * One issuer a verifier trusts, and for what. `issuer` is compared exactly with a credential's `iss`.
 * Trust caveat: this list is the root of trust, so it must come from the verifier's own configuration, never
 * from a presentation.
 */
export interface TrustedIssuer {
  /** A DID (`did:web:sigil.example`) or an https URL (`https://sigil.example`). */
  issuer: string
  /** The credential types (`vct`) this issuer may issue; a credential of another type is `vct_untrusted`. */
  vcts: readonly string[]
  /**
   * Pinned public keys, each with a `kid` (matched as is, or as the fragment of a DID URL `kid`). Required for an
   * https issuer (SD-JWT VC issuer metadata is not fetched); for a DID issuer, absent means "resolve the DID".
   */
  keys?: readonly JWK[]
}

/** The issuers a verifier trusts. */
export type TrustedIssuerList = readonly TrustedIssuer[]

/** The entry for `iss`, or `issuer_untrusted`. */
export function findTrustedIssuer(list: TrustedIssuerList, iss: unknown): TrustedIssuer {
  if (typeof iss !== 'string' || iss === '') fail('credential_malformed', 'iss missing')
  const entry = list.find((e) => e.issuer === iss)
  if (!entry) fail('issuer_untrusted', iss)
  return entry
}

/** Throws `vct_untrusted` unless `entry` may issue `vct`. */
export function assertVctTrusted(entry: TrustedIssuer, vct: string): void {
  if (!entry.vcts.includes(vct)) fail('vct_untrusted', `${entry.issuer} may not issue ${vct}`)
}
