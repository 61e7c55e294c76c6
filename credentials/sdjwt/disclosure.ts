import { decodeBase64urlJson } from '../encoding/index.ts'
import { fail } from '../errors.ts'

/** A parsed disclosure (RFC 9901 §4.2): `[salt, name, value]` for an object property, `[salt, value]` for an array element. */
export interface Disclosure {
  encoded: string
  digest: string
  salt: string
  /** Absent for an array-element disclosure. */
  name: string | undefined
  value: unknown
}

/** Parses one disclosure whose digest is already computed; any other shape is `disclosure_malformed`. */
export function parseDisclosure(encoded: string, digest: string): Disclosure {
  const arr = decodeBase64urlJson(encoded, 'disclosure_malformed')
  if (!Array.isArray(arr) || (arr.length !== 2 && arr.length !== 3) || typeof arr[0] !== 'string') {
    fail('disclosure_malformed', 'a disclosure is [salt, name, value] or [salt, value]')
  }
  if (arr.length === 3) {
    if (typeof arr[1] !== 'string') fail('disclosure_malformed', 'claim name must be a string')
    // RFC 9901 §4.2.1: these names would be read as SD-JWT structure, not as a claim.
    if (arr[1] === '_sd' || arr[1] === '...') fail('disclosure_reserved_name', arr[1])
    return { encoded, digest, salt: arr[0], name: arr[1], value: arr[2] }
  }
  return { encoded, digest, salt: arr[0], name: undefined, value: arr[1] }
}
