import { compactVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { Signer } from './signer.ts'

const b64url = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url')

/** Compact JWS over a JSON payload, signed by any Signer (today the local one, localSigner). */
export async function signJwt(signer: Signer, typ: string, payload: JWTPayload): Promise<string> {
  const header = { alg: signer.alg, typ, kid: signer.kid }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const sig = await signer.sign(new TextEncoder().encode(input))
  return `${input}.${b64url(sig)}`
}

/**
 * The JSON payload of a compact JWS Sigil signed (signJwt): ES256 with a key of `keys`, header `typ` exactly `typ`.
 * Throws otherwise (jose's error, or one naming the typ); callers turn that into their own refusal.
 */
export async function verifySigned(jws: string, keys: JWTVerifyGetKey, typ: string): Promise<Record<string, unknown>> {
  const { payload, protectedHeader } = await compactVerify(jws, keys, { algorithms: ['ES256'] })
  if (protectedHeader.typ !== typ) throw new Error(`typ is not ${typ}`)
  return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
}
