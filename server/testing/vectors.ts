import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeAttestationObject, isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'

/**
 * Public WebAuthn test vectors live outside the repository, in `../shared/vectors` beside it (each file names
 * its source in SOURCES.md). They are read at run time and never copied in; a clone without them skips.
 */
export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', '../shared/vectors')

/** Why vector tests skip, or false when the vectors are present. */
export const vectorsMissing: string | false = fs.existsSync(path.join(VECTORS_DIR, 'webauthn-w3c.json'))
  ? false
  : `public test vectors not found at ${VECTORS_DIR} (kept outside the repository; absent in a plain clone)`

/** One ceremony of the W3C test vectors (WebAuthn L3 §sctn-test-vectors); `*_b64url` fields are derived from the hex. */
export interface W3cRegistration {
  aaguid: string
  challenge_b64url: string
  credential_id_b64url: string
  clientDataJSON_b64url: string
  attestationObject_b64url: string
}

export interface W3cAuthentication {
  challenge_b64url: string
  clientDataJSON_b64url: string
  authenticatorData_b64url: string
  signature_b64url: string
}

export interface W3cVector {
  title: string
  registration: W3cRegistration
  authentication: W3cAuthentication
}

export interface W3cVectorFile {
  rpId: string
  origin: string
  topOrigin: string
  vectors: Record<string, W3cVector>
}

interface SwaVector<R> {
  name: string
  /** The SimpleWebAuthn test the response was copied from. */
  test: string
  response: R
  expectedChallenge: string
  expectedOrigin: string
  expectedRPID: string
}

export interface SwaRegistrationVector extends SwaVector<RegistrationResponseJSON> {
  expect: { fmt: string; counter?: number; credentialId?: string }
}

export interface SwaAuthenticationVector extends SwaVector<AuthenticationResponseJSON> {
  /** The stored credential the assertion is verified against; publicKey is COSE, base64url. */
  credential: { id: string; publicKey: string; counter: number }
  expect?: { newCounter: number }
}

export interface SwaVectorFile {
  registration: SwaRegistrationVector[]
  authentication: SwaAuthenticationVector[]
}

const cache = new Map<string, unknown>()

function readVectorFile<T>(file: string): T {
  if (!cache.has(file)) cache.set(file, JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, file), 'utf8')))
  return cache.get(file) as T
}

/** webauthn-w3c.json: w3c/webauthn index.bs test vectors (rpId example.org, origin https://example.org). */
export function w3cVector(name: string): W3cVector {
  const v = readVectorFile<W3cVectorFile>('webauthn-w3c.json').vectors[name]
  if (!v) throw new Error(`webauthn-w3c.json has no vector ${name}`)
  return v
}

/** simplewebauthn-responses.json: recorded responses from SimpleWebAuthn's own tests. */
export function swaVector(kind: 'registration', name: string): SwaRegistrationVector
export function swaVector(kind: 'authentication', name: string): SwaAuthenticationVector
export function swaVector(kind: keyof SwaVectorFile, name: string): SwaRegistrationVector | SwaAuthenticationVector {
  const v = readVectorFile<SwaVectorFile>('simplewebauthn-responses.json')[kind].find((x) => x.name === name)
  if (!v) throw new Error(`simplewebauthn-responses.json has no ${kind} vector ${name}`)
  return structuredClone(v)
}

/** The RegistrationResponseJSON a browser would have sent for a W3C registration vector. */
export function w3cRegistrationResponse(r: W3cRegistration): RegistrationResponseJSON {
  return {
    id: r.credential_id_b64url,
    rawId: r.credential_id_b64url,
    type: 'public-key',
    response: { clientDataJSON: r.clientDataJSON_b64url, attestationObject: r.attestationObject_b64url, transports: [] },
    clientExtensionResults: {},
  }
}

/** The AuthenticationResponseJSON for a W3C authentication vector; the vectors carry no userHandle. */
export function w3cAuthenticationResponse(credentialId: string, a: W3cAuthentication): AuthenticationResponseJSON {
  return {
    id: credentialId,
    rawId: credentialId,
    type: 'public-key',
    response: { clientDataJSON: a.clientDataJSON_b64url, authenticatorData: a.authenticatorData_b64url, signature: a.signature_b64url },
    clientExtensionResults: {},
  }
}

/** Authenticator data flags (WebAuthn §6.1): UV, BE and BS decide acceptance and the stored device type. */
export interface AuthDataFlags {
  uv: boolean
  be: boolean
  bs: boolean
}

const flagsOf = (authData: Uint8Array): AuthDataFlags => {
  const f = authData[32]!
  return { uv: (f & 0x04) !== 0, be: (f & 0x08) !== 0, bs: (f & 0x10) !== 0 }
}

export function assertionFlags(authenticatorData: string): AuthDataFlags & { counter: number } {
  const bytes = isoBase64URL.toBuffer(authenticatorData)
  return { ...flagsOf(bytes), counter: new DataView(bytes.buffer, bytes.byteOffset).getUint32(33) }
}

export interface AttestedVectorCredential {
  fmt: string
  id: string
  /** COSE public key, ArrayBuffer-backed as the passkey store expects. */
  publicKey: Uint8Array<ArrayBuffer>
  counter: number
  /** Lower-case UUID, as the server stores it. */
  aaguid: string
  flags: AuthDataFlags
  /** The attestation statement's signature, to tamper with. */
  sig: Uint8Array | undefined
}

/** Reads the credential out of an attestation object (WebAuthn §6.5.1) without verifying anything. */
export function attestedCredential(attestationObject: string): AttestedVectorCredential {
  const att = decodeAttestationObject(isoBase64URL.toBuffer(attestationObject))
  const authData = att.get('authData')
  const parsed = parseAuthenticatorData(authData)
  if (!parsed.credentialID || !parsed.credentialPublicKey || !parsed.aaguid) throw new Error('attestation object carries no credential')
  return {
    fmt: att.get('fmt'),
    id: isoBase64URL.fromBuffer(parsed.credentialID),
    publicKey: new Uint8Array(parsed.credentialPublicKey),
    counter: parsed.counter,
    aaguid: hexToUuid(Buffer.from(parsed.aaguid).toString('hex')),
    flags: flagsOf(authData),
    sig: att.get('attStmt').get('sig'),
  }
}

export function hexToUuid(hex: string): string {
  const h = hex.toLowerCase()
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** Flips the last bit of base64url `b64url`: for a DER signature that keeps it parseable but wrong. */
export function flipLastByte(b64url: string): string {
  const bytes = Buffer.from(b64url, 'base64url')
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01
  return bytes.toString('base64url')
}

/** Flips the last bit of `part` (such as an attestation signature) where it occurs inside the base64url `container`. */
export function flipLastByteOf(container: string, part: Uint8Array): string {
  const bytes = Buffer.from(container, 'base64url')
  const at = bytes.indexOf(Buffer.from(part))
  if (at < 0) throw new Error('part not found in container')
  const i = at + part.length - 1
  bytes[i] = bytes[i]! ^ 0x01
  return bytes.toString('base64url')
}
