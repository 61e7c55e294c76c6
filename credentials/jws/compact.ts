import { decodeBase64url, decodeBase64urlJson, isObject } from '../encoding/index.ts'
import { fail, type CredentialErrorCode } from '../errors.ts'

/** A compact JWS split and parsed, not verified. */
export interface DecodedJws {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `<header>.<payload>` as received: what the signature covers. */
  signingInput: string
  signature: Uint8Array
}

/** Parses a compact JWS (RFC 7515 §7.1) with JSON object header and payload; anything else throws `code`. */
export function decodeJws(compact: string, code: CredentialErrorCode = 'credential_malformed'): DecodedJws {
  const dot1 = compact.indexOf('.')
  const dot2 = compact.indexOf('.', dot1 + 1)
  if (dot1 <= 0 || dot2 <= dot1 + 1 || compact.indexOf('.', dot2 + 1) !== -1) fail(code, 'not a compact JWS')
  const header = decodeBase64urlJson(compact.slice(0, dot1), code)
  const payload = decodeBase64urlJson(compact.slice(dot1 + 1, dot2), code)
  if (!isObject(header) || !isObject(payload)) fail(code, 'JWS header and payload must be JSON objects')
  // RFC 7515 §4.1.11: an unknown critical extension must be refused; Sigil understands none.
  if (header.crit !== undefined) fail(code, 'crit header not supported')
  return { header, payload, signingInput: compact.slice(0, dot2), signature: decodeBase64url(compact.slice(dot2 + 1), code) }
}
