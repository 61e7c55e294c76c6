import { fail } from '../errors.ts'

/** The parts of a compact SD-JWT or SD-JWT+KB (RFC 9901 §4): `<JWT>~<D1>~…~<Dn>~[<KB-JWT>]`. */
export interface SplitSdJwt {
  /** The issuer-signed JWT. */
  jwt: string
  /** The disclosures, as sent. */
  disclosures: string[]
  kbJwt: string | undefined
  /** Everything up to and including the last `~`: the input of `sd_hash` (§4.3.1). */
  sdJwt: string
}

/** Splits a compact SD-JWT; no `~`, or an empty disclosure (`~~`), is `credential_malformed`. */
export function splitSdJwt(compact: string): SplitSdJwt {
  if (typeof compact !== 'string') fail('credential_malformed', 'presentation is not a string')
  const last = compact.lastIndexOf('~')
  if (last < 0) fail('credential_malformed', 'not an SD-JWT: no ~')
  const parts = compact.slice(0, last).split('~')
  const jwt = parts[0]!
  const disclosures = parts.slice(1)
  if (jwt === '' || disclosures.some((d) => d === '')) fail('credential_malformed', 'empty part')
  const kb = compact.slice(last + 1)
  return { jwt, disclosures, kbJwt: kb === '' ? undefined : kb, sdJwt: compact.slice(0, last + 1) }
}
