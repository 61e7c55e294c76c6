import { encodeBase64url } from '../../../credentials/index.ts'
import type { Signer } from '../../../credentials/index.ts'

/** Signs the wallet's own JWTs (the OpenID4VCI key proof); others' are read with credentials/ decodeJws. */

const utf8 = new TextEncoder()
const json = (v: unknown): string => encodeBase64url(utf8.encode(JSON.stringify(v)))

export async function signJwt(signer: Signer, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${json({ ...header, alg: signer.alg })}.${json(payload)}`
  return `${input}.${encodeBase64url(await signer.sign(utf8.encode(input)))}`
}
