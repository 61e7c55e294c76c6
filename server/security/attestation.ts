import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { decodeAttestationObject, isoCBOR } from '@simplewebauthn/server/helpers'

/**
 * A forged attestation, as anyone can make one: a CA of one's own, a leaf certificate that meets every format
 * rule of packed attestation (WebAuthn L3 §8.2.1), and an attestation statement signed with the leaf key over a
 * software authenticator's authenticatorData. Test-only; nothing outside server/security imports it.
 */

// Minimal DER (X.690) for the handful of types a certificate needs.
const len = (n: number): Buffer => n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body])
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))
const explicit = (n: number, body: Buffer): Buffer => tlv(0xa0 + n, body)
const int = (bytes: Buffer): Buffer => tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]))
const octets = (b: Buffer): Buffer => tlv(0x04, b)
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]))
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'))
const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'ascii'))
const time = (d: Date): Buffer => tlv(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'))
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const out = [a! * 40 + b!]
  for (const n of rest) {
    const chunk = [n & 0x7f]
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80)
    out.push(...chunk)
  }
  return tlv(0x06, Buffer.from(out))
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'))
const name = (parts: [string, Buffer][]): Buffer => seq(...parts.map(([o, v]) => set(seq(oid(o), v))))
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value))

export interface Cert {
  der: Buffer
  subject: Buffer
  privateKey: KeyObject
}

/** An X.509 v3 certificate with an ECDSA P-256 key, signed by `issuer` (or by itself). */
export function makeCert(opts: { cn: string; ca: boolean; issuer?: Cert; aaguid?: Buffer; now: number }): Cert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  // §8.2.1: C, O, OU "Authenticator Attestation", CN; basic constraints CA false on the leaf.
  const subject = name([['2.5.4.6', printable('SE')], ['2.5.4.10', utf8('Yubico AB')],
    ['2.5.4.11', utf8(opts.ca ? 'Certificate Authority' : 'Authenticator Attestation')], ['2.5.4.3', utf8(opts.cn)]])
  const extensions = [ext('2.5.29.19', true, opts.ca ? seq(bool(true)) : seq())]
  if (opts.ca) extensions.push(ext('2.5.29.15', true, tlv(0x03, Buffer.from([0x01, 0x06])))) // keyCertSign, cRLSign
  // id-fido-gen-ce-aaguid (§8.2.1): the AAGUID, as an OCTET STRING inside the extension's OCTET STRING.
  if (opts.aaguid) extensions.push(ext('1.3.6.1.4.1.45724.1.1.4', false, octets(opts.aaguid)))
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(randomBytes(16)),
    ECDSA_SHA256,
    opts.issuer?.subject ?? subject,
    seq(time(new Date(opts.now - 86_400_000)), time(new Date(opts.now + 365 * 86_400_000))),
    subject,
    publicKey.export({ format: 'der', type: 'spki' }),
    explicit(3, seq(...extensions)),
  )
  const signature = sign('sha256', tbs, opts.issuer?.privateKey ?? privateKey)
  return { der: seq(tbs, ECDSA_SHA256, bits(signature)), subject, privateKey }
}

export const pem = (c: Cert): string => `-----BEGIN CERTIFICATE-----\n${c.der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`

/**
 * Re-wraps a software authenticator's registration as full packed attestation (§8.2): `sig` over
 * authenticatorData ‖ SHA-256(clientDataJSON) with the leaf's key, and `x5c` = [leaf, ...chain].
 */
export function withPackedX5c(response: RegistrationResponseJSON, leaf: Cert, chain: Cert[] = []): RegistrationResponseJSON {
  const decoded = decodeAttestationObject(new Uint8Array(Buffer.from(response.response.attestationObject, 'base64url')))
  const authData = Buffer.from(decoded.get('authData'))
  const clientDataHash = createHash('sha256').update(Buffer.from(response.response.clientDataJSON, 'base64url')).digest()
  const sig = sign('sha256', Buffer.concat([authData, clientDataHash]), leaf.privateKey)
  const attStmt = new Map<string, unknown>([['alg', -7], ['sig', new Uint8Array(sig)], ['x5c', [leaf, ...chain].map((c) => new Uint8Array(c.der))]])
  const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'packed'], ['attStmt', attStmt], ['authData', new Uint8Array(authData)]]) as never)
  return { ...response, response: { ...response.response, attestationObject: Buffer.from(attestationObject).toString('base64url') } }
}
