import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'

/** SHA-256 of a string, base64url: how subject references, codes, tokens and credentials are stored. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url')

/** A fresh random secret with a prefix naming what it is (`ksub_…`), 32 bytes of entropy. */
export const secret = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`

function keyOf(capability: string): Buffer {
  return Buffer.from(hkdfSync('sha256', capability, 'sigil-kyc-seal-v1', 'aes-256-gcm', 32))
}

/**
 * Seals `plaintext` with AES-256-GCM under a key derived (HKDF-SHA256) from a bearer secret that the store never
 * holds in clear (the subject reference, the pre-authorized code, the access token). A copy of the database alone
 * cannot open KYC data: it takes the secret the caller was handed. Output: base64url(iv ‖ ciphertext ‖ tag).
 */
export function seal(capability: string, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyOf(capability), iv)
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** Opens what {@link seal} sealed; undefined when the secret is wrong or the data was altered. */
export function unseal(capability: string, sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length < 28) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(capability), raw.subarray(0, 12))
    decipher.setAuthTag(raw.subarray(raw.length - 16))
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
