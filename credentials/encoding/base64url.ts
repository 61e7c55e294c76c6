import { fail, type CredentialErrorCode } from '../errors.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

/** base64url without padding (RFC 4648 §5), as JOSE and SD-JWT use it. Plain Uint8Array, no Buffer. */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = ''
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]!
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]!
  }
  return out
}

/**
 * Strict base64url decoding: only the URL-safe alphabet, no padding, no whitespace, and no non-zero trailing
 * bits (so each byte string has exactly one encoding). Anything else throws `code`.
 */
export function decodeBase64url(s: string, code: CredentialErrorCode = 'credential_malformed'): Uint8Array {
  const rem = s.length % 4
  if (rem === 1) fail(code, 'invalid base64url length')
  const out = new Uint8Array(((s.length * 3) >> 2))
  let o = 0
  let i = 0
  const sextet = (j: number): number => {
    const c = s.charCodeAt(j)
    const v = c < 128 ? LOOKUP[c]! : -1
    if (v < 0) fail(code, 'invalid base64url character')
    return v
  }
  for (; i + 3 < s.length; i += 4) {
    const v = (sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6) | sextet(i + 3)
    out[o++] = v >> 16
    out[o++] = (v >> 8) & 255
    out[o++] = v & 255
  }
  if (rem === 2) {
    const v = (sextet(i) << 18) | (sextet(i + 1) << 12)
    if (v & 0xffff) fail(code, 'non-canonical base64url')
    out[o++] = v >> 16
  } else if (rem === 3) {
    const v = (sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6)
    if (v & 0xff) fail(code, 'non-canonical base64url')
    out[o++] = v >> 16
    out[o++] = (v >> 8) & 255
  }
  return out
}
