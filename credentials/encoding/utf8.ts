import { decodeBase64url, encodeBase64url } from './base64url.ts'
import { fail, type CredentialErrorCode } from '../errors.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array<ArrayBuffer> => encoder.encode(s)

/** base64url of the UTF-8 of `s`; with a JSON value, the JOSE encoding of a header or payload. */
export const encodeBase64urlJson = (value: unknown): string => encodeBase64url(utf8(JSON.stringify(value)))

/** Parses base64url-encoded UTF-8 JSON; anything unreadable throws `code`. */
export function decodeBase64urlJson(s: string, code: CredentialErrorCode = 'credential_malformed'): unknown {
  const bytes = decodeBase64url(s, code)
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    fail(code, 'invalid UTF-8')
  }
  try {
    return JSON.parse(text)
  } catch {
    fail(code, 'invalid JSON')
  }
}

/** True for a plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
