import { utf8 } from '../encoding/index.ts'
import { signParams, type SigningAlg } from '../keys/index.ts'
import type { DecodedJws } from './compact.ts'

/**
 * Checks a JWS signature with an imported key. Both ES256 (r‖s) and EdDSA signatures are 64 bytes; any other
 * length is false without calling Web Crypto.
 */
export async function verifyJwsSignature(jws: DecodedJws, alg: SigningAlg, key: CryptoKey): Promise<boolean> {
  if (jws.signature.length !== 64) return false
  return globalThis.crypto.subtle.verify(signParams(alg), key, jws.signature as Uint8Array<ArrayBuffer>, utf8(jws.signingInput))
}
