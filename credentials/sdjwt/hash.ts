import { encodeBase64url, utf8 } from '../encoding/index.ts'
import { sha256 } from '@noble/hashes/sha2'

/** `_sd_alg` value Sigil issues and accepts (RFC 9901 §4.1.1; IANA "Named Information Hash Algorithm"). */
export const SD_ALG = 'sha-256'

/** base64url(SHA-256(ASCII(s))): a disclosure's digest (RFC 9901 §4.2.3) and a KB-JWT's `sd_hash` (§4.3.1). */
export function sha256Base64url(s: string): string {
  return encodeBase64url(sha256(utf8(s)))
}
