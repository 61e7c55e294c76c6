import type { JWK } from 'jose'
import { fail } from '../errors.ts'
import { publicJwk, signParams, type SigningAlg } from './algorithms.ts'
import { importPrivateJwk } from './importKey.ts'
import { jwkThumbprint } from './thumbprint.ts'

/**
 * Everything credentials/ signs goes through a Signer, so a KMS or HSM can hold the key (DESIGN "Keys").
 * `sign` returns the raw JWS signature: for ES256 the 64-byte r‖s of RFC 7518 §3.4 (not DER), for EdDSA the
 * 64-byte Ed25519 signature. The server's `server/keys` Signer has this shape.
 */
export interface Signer {
  readonly alg: SigningAlg
  /** The JWS `kid` header; for a DID issuer a DID URL such as `did:web:example.com#key-1`. */
  readonly kid: string
  sign(data: Uint8Array): Promise<Uint8Array>
}

/** A Signer that also tells its public key (what `createLocalSigner` returns). */
export interface LocalSigner extends Signer {
  readonly publicJwk: JWK
}

/**
 * A Signer over a private JWK held in this process. `kid` defaults to the JWK's own `kid`, else its thumbprint.
 */
export async function createLocalSigner(privateJwk: JWK, options: { kid?: string } = {}): Promise<LocalSigner> {
  const { key, alg } = await importPrivateJwk(privateJwk)
  const kid = options.kid ?? privateJwk.kid ?? await jwkThumbprint(privateJwk)
  const params = signParams(alg)
  return {
    alg,
    kid,
    publicJwk: { ...publicJwk(privateJwk), kid },
    async sign(data) {
      return new Uint8Array(await globalThis.crypto.subtle.sign(params, key, data as Uint8Array<ArrayBuffer>))
    },
  }
}

/** Checks a Signer before use: its alg must be on the allowlist. */
export function assertSigner(signer: Signer): void {
  if (signer.alg !== 'ES256' && signer.alg !== 'EdDSA') fail('alg_not_allowed', `signer alg ${String(signer.alg)}`)
}
