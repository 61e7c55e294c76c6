import { decodeBase64url, encodeBase64url } from '../../../credentials/index.ts'
import type { Signer } from '../../../credentials/index.ts'

/** Compact JWS helpers for the wallet's own JWTs (the key proof) and for reading others' (request objects). */

const utf8 = new TextEncoder()
const json = (v: unknown): string => encodeBase64url(utf8.encode(JSON.stringify(v)))

export async function signJwt(signer: Signer, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const input = `${json({ ...header, alg: signer.alg })}.${json(payload)}`
  return `${input}.${encodeBase64url(await signer.sign(utf8.encode(input)))}`
}

/** Header and payload of a compact JWS, unverified. Throws on anything that isn't one. */
export function decodeJwt(jws: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = jws.split('.')
  if (parts.length !== 3) throw new Error('not a compact JWS')
  const part = (s: string): Record<string, unknown> => {
    const v: unknown = JSON.parse(new TextDecoder().decode(decodeBase64url(s)))
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object')
    return v as Record<string, unknown>
  }
  return { header: part(parts[0]!), payload: part(parts[1]!) }
}
