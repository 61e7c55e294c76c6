import { randomBytes } from 'node:crypto'
import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { ProblemError } from '../errors.ts'
import { zEncryptedResponsePayload } from './wire.ts'

/** Content encryption a wallet may pick (HAIP: A128GCM and A256GCM; OpenID4VP 1.0 §8.3 defaults to A128GCM). */
const ENCS = ['A128GCM', 'A256GCM']

/** A request's own response-encryption key: the public JWK the wallet encrypts to, the private one kept with the request. */
export interface ResponseKey { publicJwk: JWK; privateJwk: JWK; encs: string[] }

/** A fresh ECDH-ES P-256 key for one request's `direct_post.jwt` answer (OpenID4VP 1.0 §8.3; HAIP §5). */
export async function createResponseKey(): Promise<ResponseKey> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
  const kid = randomBytes(12).toString('base64url')
  const publicJwk: JWK = { ...await exportJWK(publicKey), kid, use: 'enc', alg: 'ECDH-ES' }
  return { publicJwk, privateJwk: { ...await exportJWK(privateKey), kid }, encs: ENCS }
}

const invalid = (detail: string): ProblemError =>
  new ProblemError('presentation_invalid', 422, { detail, field: 'response', extra: { reason: 'response_encryption_invalid' } })

/**
 * Opens a `direct_post.jwt` answer (OpenID4VP 1.0 §8.3.1): a compact JWE, ECDH-ES to this request's key, with an
 * allowed `enc`; its plaintext is the response parameters as JSON (`vp_token` as an object, `state`). The JWE is not
 * signed: what binds it to the holder is the KB-JWT inside, checked after this.
 */
export async function openEncryptedResponse(jwe: string, key: ResponseKey): Promise<{ vpToken: Record<string, unknown>; state: string | undefined }> {
  let header
  try { header = decodeProtectedHeader(jwe) } catch { throw invalid('The response is not a JWE.') }
  if (header.kid !== undefined && header.kid !== key.privateJwk.kid) throw invalid('The response is encrypted to another key.')
  let plaintext: Uint8Array
  try {
    const { plaintext: p } = await compactDecrypt(jwe, await importJWK(key.privateJwk, 'ECDH-ES'),
      { keyManagementAlgorithms: ['ECDH-ES'], contentEncryptionAlgorithms: key.encs })
    plaintext = p
  } catch {
    throw invalid('The response does not decrypt with this request\'s key (ECDH-ES, A128GCM or A256GCM).')
  }
  let json: unknown
  try { json = JSON.parse(new TextDecoder().decode(plaintext)) } catch { throw invalid('The decrypted response is not JSON.') }
  const r = zEncryptedResponsePayload.safeParse(json)
  if (!r.success) throw invalid('The decrypted response needs vp_token (an object) and may have state.')
  return { vpToken: r.data.vp_token, state: r.data.state }
}
