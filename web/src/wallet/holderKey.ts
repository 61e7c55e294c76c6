import type { Signer } from '../../../credentials/index.ts'
import { readHolder, writeHolder } from './store.ts'

/**
 * The holder key: one P-256 key per signed-in user, made here with Web Crypto as non-extractable and kept in
 * IndexedDB. It signs the OpenID4VCI key proof and every key-binding JWT; the credential is bound to it (`cnf`).
 */

export interface Holder {
  jwk: JsonWebKey
  /** ES256 over the key; Web Crypto's ECDSA signature is already raw r‖s, the JWS form (RFC 7518 §3.4). */
  signer: Signer
}

/** The signer over a stored private key (the wallet page's own key, or the recover page's for a handle). */
export function holderOf(privateKey: CryptoKey, jwk: JsonWebKey): Holder {
  return {
    jwk,
    signer: {
      alg: 'ES256',
      kid: 'holder',
      sign: async (data) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data as Uint8Array<ArrayBuffer>)),
    },
  }
}

/** This user's holder key, made on first use; the record names the account's handle (see rememberHandle). */
export async function holderKey(userId: string, handle: string): Promise<Holder> {
  const found = await readHolder(userId)
  if (found) {
    if (found.handle !== handle.toLowerCase()) await writeHolder({ ...found, handle: handle.toLowerCase() })
    return holderOf(found.privateKey, found.jwk)
  }
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  // The public half is always extractable; only these fields go into the proof's `jwk` header.
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  const jwk = { kty, crv, x, y }
  await writeHolder({ userId, handle: handle.toLowerCase(), privateKey: pair.privateKey, jwk, createdAt: new Date().toISOString() })
  return holderOf(pair.privateKey, jwk)
}
