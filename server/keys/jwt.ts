import type { JWTPayload } from 'jose'
import type { Signer } from './signer.ts'

const b64url = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url')

/** Compact JWS over a JSON payload, signed by any Signer (local key, KMS, HSM). */
export async function signJwt(signer: Signer, typ: string, payload: JWTPayload): Promise<string> {
  const header = { alg: signer.alg, typ, kid: signer.kid }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const sig = await signer.sign(new TextEncoder().encode(input))
  return `${input}.${b64url(sig)}`
}
