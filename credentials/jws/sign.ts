import { encodeBase64url, encodeBase64urlJson, utf8 } from '../encoding/index.ts'
import { assertSigner, type Signer } from '../keys/index.ts'

/** Compact JWS over a JSON payload by any Signer; the header gets the signer's `alg` and `kid` and the given `typ`. */
export async function signJws(signer: Signer, typ: string, payload: Record<string, unknown>,
  header: Record<string, unknown> = {}): Promise<string> {
  assertSigner(signer)
  const input = `${encodeBase64urlJson({ alg: signer.alg, typ, kid: signer.kid, ...header })}.${encodeBase64urlJson(payload)}`
  return `${input}.${encodeBase64url(await signer.sign(utf8(input)))}`
}

/** Compact JWS whose header is exactly `header` plus the signer's `alg` (a KB-JWT carries no `kid`). */
export async function signJwsWithHeader(signer: Signer, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  assertSigner(signer)
  const input = `${encodeBase64urlJson({ ...header, alg: signer.alg })}.${encodeBase64urlJson(payload)}`
  return `${input}.${encodeBase64url(await signer.sign(utf8(input)))}`
}
