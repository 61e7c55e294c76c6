import { decodeJws, type DecodedJws } from '../jws/index.ts'
import { fail } from '../errors.ts'
import { splitSdJwt, type SplitSdJwt } from './compact.ts'
import { parseDisclosure, type Disclosure } from './disclosure.ts'
import { SD_ALG, sha256Base64url } from './hash.ts'
import { reconstruct, type Reconstructed } from './reconstruct.ts'

/** An SD-JWT split, its JWT decoded and its claims rebuilt — nothing verified. */
export interface DecodedSdJwt extends SplitSdJwt, Reconstructed {
  jws: DecodedJws
  parsedDisclosures: Disclosure[]
}

/** Throws `sd_alg_unsupported` unless `_sd_alg` is absent (sha-256 by default, §4.1.1) or `sha-256`. */
export function assertSdAlg(payload: Record<string, unknown>): void {
  if (payload._sd_alg !== undefined && payload._sd_alg !== SD_ALG) fail('sd_alg_unsupported', String(payload._sd_alg))
}

/** The digests of the disclosures. */
export const digestAll = (disclosures: readonly string[]): string[] => disclosures.map(sha256Base64url)

/**
 * Decodes an SD-JWT without verifying its signature — what a wallet does with its own credential before
 * showing or presenting it. The disclosure rules are applied as strictly as in verification.
 */
export async function decodeSdJwt(compact: string): Promise<DecodedSdJwt> {
  const split = splitSdJwt(compact)
  const jws = decodeJws(split.jwt)
  assertSdAlg(jws.payload)
  const digests = digestAll(split.disclosures)
  const parsedDisclosures = split.disclosures.map((d, i) => parseDisclosure(d, digests[i]!))
  return { ...split, jws, parsedDisclosures, ...reconstruct(jws.payload, parsedDisclosures) }
}
