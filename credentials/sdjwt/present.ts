import { fail } from '../errors.ts'
import type { Signer } from '../keys/index.ts'
import { pathsOverlap, pathToString, valueAt, type ClaimPath } from './claimPath.ts'
import { decodeSdJwt } from './decodeSdJwt.ts'
import { createKbJwt } from './keyBinding.ts'

/** Options of presentSdJwtVc. */
export interface PresentSdJwtVcOptions {
  /**
   * The claims to disclose. A path discloses that claim and everything under it, and the disclosures of its
   * ancestors (a nested claim cannot be shown without its container). Always-visible claims need no path.
   */
  disclose: readonly ClaimPath[]
  /** Key binding (RFC 9901 §4.3); absent = no KB-JWT (only for verifiers that do not require holder binding). */
  keyBinding?: { holder: Signer; nonce: string; audience: string; now: Date }
}

/**
 * The holder's presentation: the issuer-signed JWT, only the disclosures the `disclose` paths need, and a
 * KB-JWT over exactly that. A path the credential does not have is `claim_not_found`.
 */
export async function presentSdJwtVc(credential: string, options: PresentSdJwtVcOptions): Promise<string> {
  const decoded = await decodeSdJwt(credential)
  for (const path of options.disclose) {
    if (valueAt(decoded.claims, path) === undefined) fail('claim_not_found', pathToString(path), { field: pathToString(path) })
  }
  const chosen = new Set(decoded.disclosed
    .filter(({ path }) => options.disclose.some((want) => pathsOverlap(path, want)))
    .map(({ disclosure }) => disclosure.encoded))
  // Keep the issuer's order; it carries no meaning, but it is what the holder received.
  const sdJwt = `${decoded.jwt}~${decoded.disclosures.filter((d) => chosen.has(d)).map((d) => `${d}~`).join('')}`
  if (!options.keyBinding) return sdJwt
  return sdJwt + await createKbJwt({ ...options.keyBinding, sdJwt })
}
