import type { JWK } from 'jose'
import { importParams, publicJwk, type SigningAlg } from './algorithms.ts'
import { jwkThumbprint } from './thumbprint.ts'

/** A fresh key pair as JWKs; both carry `kid` (the RFC 7638 thumbprint) and `alg`. */
export interface GeneratedKeyPair {
  alg: SigningAlg
  kid: string
  privateJwk: JWK
  publicJwk: JWK
}

/** Generates an ES256 (P-256) or EdDSA (Ed25519) key pair with Web Crypto. */
export async function generateKeyPair(alg: SigningAlg): Promise<GeneratedKeyPair> {
  const pair = await globalThis.crypto.subtle.generateKey(importParams(alg), true, ['sign', 'verify']) as CryptoKeyPair
  const exported = await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey) as JWK
  const pub = publicJwk(exported)
  const kid = await jwkThumbprint(pub)
  return {
    alg,
    kid,
    privateJwk: { ...pub, d: exported.d, kid, alg },
    publicJwk: { ...pub, kid, alg },
  }
}
