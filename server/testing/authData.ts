import { createHash, sign, type KeyObject } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

/** COSE algorithm names this authenticator can create keys for. */
export type SoftAlg = 'ES256' | 'EdDSA' | 'RS256'

/** COSE algorithm identifiers, IANA "COSE Algorithms" registry. */
export const COSE_ALG: Record<SoftAlg, number> = { ES256: -7, EdDSA: -8, RS256: -257 }

/** authenticatorData flag bits, WebAuthn L3 §6.1 "Authenticator Data". */
export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const

export interface AuthFlags {
  up: boolean
  uv: boolean
  be: boolean
  bs: boolean
}

export interface AttestedCredential {
  aaguid: Uint8Array
  credentialId: Uint8Array
  cosePublicKey: Uint8Array
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest()
}

/** Parses a UUID string ("00000000-0000-...") into its 16 bytes, as AAGUIDs are carried in §6.5.2. */
export function aaguidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`aaguid is not a UUID: ${uuid}`)
  return Buffer.from(hex, 'hex')
}

/**
 * Builds authenticatorData: rpIdHash(32) | flags(1) | signCount(4, big-endian) |
 * attestedCredentialData (aaguid(16) | credIdLen(2) | credId | COSE key), §6.1 and §6.5.2.
 * AT is set exactly when attested credential data is present.
 */
export function buildAuthData(opts: {
  rpId: string
  flags: AuthFlags
  counter: number
  attested?: AttestedCredential
}): Buffer {
  const { flags, attested } = opts
  const flagByte = (flags.up ? FLAG.UP : 0) | (flags.uv ? FLAG.UV : 0) | (flags.be ? FLAG.BE : 0)
    | (flags.bs ? FLAG.BS : 0) | (attested ? FLAG.AT : 0)
  const head = Buffer.alloc(37)
  sha256(opts.rpId).copy(head, 0)
  head.writeUInt8(flagByte, 32)
  head.writeUInt32BE(opts.counter >>> 0, 33)
  if (!attested) return head
  const idLen = Buffer.alloc(2)
  idLen.writeUInt16BE(attested.credentialId.length)
  return Buffer.concat([head, attested.aaguid, idLen, attested.credentialId, attested.cosePublicKey])
}

/**
 * Encodes a public key as a COSE_Key (RFC 9053 §7). Integer labels need a `Map`, since
 * CBOR maps from plain objects would carry string keys.
 */
export function coseKey(publicKey: KeyObject, alg: SoftAlg): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' })
  const b = (v: string | undefined): Uint8Array => new Uint8Array(Buffer.from(v ?? '', 'base64url'))
  const entries: [number, number | Uint8Array][] = alg === 'ES256'
    ? [[1, 2], [3, COSE_ALG.ES256], [-1, 1], [-2, b(jwk.x)], [-3, b(jwk.y)]]
    : alg === 'EdDSA'
      ? [[1, 1], [3, COSE_ALG.EdDSA], [-1, 6], [-2, b(jwk.x)]]
      : [[1, 3], [3, COSE_ALG.RS256], [-1, b(jwk.n)], [-2, b(jwk.e)]]
  return isoCBOR.encode(new Map(entries))
}

/**
 * Signs with the algorithm's WebAuthn encoding (§6.5.6): ES256 is DER (node's default for EC),
 * EdDSA takes no digest, RS256 is PKCS#1 v1.5 with SHA-256 (node's default for RSA).
 */
export function signWith(alg: SoftAlg, privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(alg === 'EdDSA' ? null : 'sha256', data, privateKey)
}

/** attestationObject, §6.5.4: CBOR map {fmt, attStmt, authData}. */
export function attestationObject(fmt: 'none' | 'packed', attStmt: Map<string, number | Uint8Array>, authData: Uint8Array): Uint8Array {
  return isoCBOR.encode(new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([
    ['fmt', fmt], ['attStmt', attStmt], ['authData', new Uint8Array(authData)],
  ]))
}
