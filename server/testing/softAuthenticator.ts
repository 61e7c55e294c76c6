import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import {
  COSE_ALG, aaguidBytes, attestationObject, buildAuthData, coseKey, sha256, signWith, type SoftAlg,
} from './authData.ts'

export interface CreateSoftAuthenticatorOptions {
  /** Force this algorithm instead of the first supported entry of `pubKeyCredParams`. */
  alg?: SoftAlg
  /** UUID string; default all-zero, as platform authenticators with `attestation: 'none'` report. */
  aaguid?: string
  backupEligible?: boolean
  backupState?: boolean
  /** signCount at registration; default 0. */
  counterStart?: number
  /** Added to the counter on each assertion; default 0, like synced passkeys (§6.1.1). */
  counterStep?: number
  /** 'packed-self' adds packed self-attestation (§8.2, no x5c); default 'none'. */
  attestation?: 'none' | 'packed-self'
}

/** Knobs shared by both ceremonies for mounting attacks; each overrides one honest value. */
export interface CeremonyTamper {
  /** Hash this RP ID into authenticatorData instead of the real one. */
  rpId?: string
  up?: boolean
  uv?: boolean
  be?: boolean
  bs?: boolean
  /** Report this signCount instead of the stored counter. */
  counter?: number
  /** clientDataJSON `type`. */
  type?: string
  /** clientDataJSON `challenge` (base64url). */
  challenge?: string
  /** Make `rawId` differ from `id`. */
  idMismatch?: boolean
  /** Flip a byte of the signature (the attestation signature when registering with 'packed-self'). */
  badSignature?: boolean
}

export type RegisterTamper = CeremonyTamper

export interface AuthTamper extends CeremonyTamper {
  /** Return this userHandle instead of the registered one; `null` omits it. */
  userHandle?: string | null
}

export interface RegisterContext {
  origin: string
  tamper?: RegisterTamper
}

export interface AuthenticateContext {
  origin: string
  /** Use this credential (it must be in `allowCredentials` when that is non-empty); default the newest for the RP. */
  credentialId?: string
  tamper?: AuthTamper
}

export interface SoftAuthenticator {
  register(options: PublicKeyCredentialCreationOptionsJSON, ctx: RegisterContext): Promise<RegistrationResponseJSON>
  authenticate(options: PublicKeyCredentialRequestOptionsJSON, ctx: AuthenticateContext): Promise<AuthenticationResponseJSON>
  /** base64url credential IDs in creation order. */
  credentialIds(): string[]
  setCounter(credentialId: string, counter: number): void
  removeCredential(credentialId: string): void
}

interface StoredCredential {
  alg: SoftAlg
  privateKey: KeyObject
  publicKey: KeyObject
  rpId: string
  userHandle: string
  counter: number
}

const ALG_BY_COSE = new Map<number, SoftAlg>(Object.entries(COSE_ALG).map(([name, id]) => [id, name as SoftAlg]))

function newKeyPair(alg: SoftAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519')
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')

function flipByte(sig: Buffer): Buffer {
  const out = Buffer.from(sig)
  const i = out.length - 1
  out[i] = (out[i] ?? 0) ^ 0xff
  return out
}

function clientData(type: string, challenge: string, origin: string, t: CeremonyTamper): Buffer {
  // §5.8.1 CollectedClientData; key order matches what browsers emit.
  return Buffer.from(JSON.stringify({ type: t.type ?? type, challenge: t.challenge ?? challenge, origin, crossOrigin: false }))
}

/** Without an explicit RP ID the client uses the origin's effective domain (§5.1.3 step 8). */
const rpIdOf = (rpId: string | undefined, origin: string): string => rpId ?? new URL(origin).hostname

/**
 * A software WebAuthn authenticator with discoverable credentials, for end-to-end tests only.
 * It performs the client and authenticator halves of both ceremonies and always sets UP and UV
 * unless told otherwise, so it trusts whatever origin the caller claims.
 */
export function createSoftAuthenticator(opts: CreateSoftAuthenticatorOptions = {}): SoftAuthenticator {
  const creds = new Map<string, StoredCredential>()
  const aaguid = aaguidBytes(opts.aaguid ?? '00000000-0000-0000-0000-000000000000')
  const counterStep = opts.counterStep ?? 0

  function flagsFor(t: CeremonyTamper) {
    return {
      up: t.up ?? true,
      uv: t.uv ?? true,
      be: t.be ?? opts.backupEligible ?? false,
      bs: t.bs ?? opts.backupState ?? false,
    }
  }

  function ids(id: Buffer, t: CeremonyTamper): { id: string; rawId: string } {
    return { id: b64u(id), rawId: t.idMismatch ? b64u(flipByte(id)) : b64u(id) }
  }

  async function register(options: PublicKeyCredentialCreationOptionsJSON, ctx: RegisterContext): Promise<RegistrationResponseJSON> {
    const t = ctx.tamper ?? {}
    const rpId = rpIdOf(options.rp.id, ctx.origin)
    // §6.3.2 authenticatorMakeCredential step 3: an excluded credential we hold for this RP is InvalidStateError.
    for (const ex of options.excludeCredentials ?? []) {
      if (creds.get(ex.id)?.rpId === rpId) throw new Error('InvalidStateError: an excluded credential is on this authenticator')
    }
    const alg = opts.alg ?? options.pubKeyCredParams.map((p) => ALG_BY_COSE.get(p.alg)).find((a) => a !== undefined)
    if (!alg) throw new Error('NotSupportedError: no supported algorithm in pubKeyCredParams')
    if (!options.pubKeyCredParams.some((p) => p.alg === COSE_ALG[alg])) {
      throw new Error(`NotSupportedError: ${alg} is not in pubKeyCredParams`)
    }
    const { privateKey, publicKey } = newKeyPair(alg)
    const credentialId = randomBytes(randomInt(16, 33))
    const counter = opts.counterStart ?? 0
    creds.set(b64u(credentialId), { alg, privateKey, publicKey, rpId, userHandle: options.user.id, counter })

    const clientDataJSON = clientData('webauthn.create', options.challenge, ctx.origin, t)
    const authData = buildAuthData({
      rpId: t.rpId ?? rpId,
      flags: flagsFor(t),
      counter: t.counter ?? counter,
      attested: { aaguid, credentialId, cosePublicKey: coseKey(publicKey, alg) },
    })
    const attStmt = new Map<string, number | Uint8Array>()
    if (opts.attestation === 'packed-self') {
      // §8.2 self attestation: sign authData || clientDataHash with the credential key itself.
      const sig = signWith(alg, privateKey, Buffer.concat([authData, sha256(clientDataJSON)]))
      attStmt.set('alg', COSE_ALG[alg]).set('sig', new Uint8Array(t.badSignature ? flipByte(sig) : sig))
    }
    return {
      ...ids(credentialId, t),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject(attStmt.size ? 'packed' : 'none', attStmt, authData)),
        authenticatorData: b64u(authData),
        transports: ['internal'],
        publicKeyAlgorithm: COSE_ALG[alg],
        publicKey: b64u(publicKey.export({ format: 'der', type: 'spki' })),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    }
  }

  function pick(rpId: string, allow: string[], wanted: string | undefined): [string, StoredCredential] {
    const candidates = [...creds].filter(([id, c]) => c.rpId === rpId && (allow.length === 0 || allow.includes(id)))
    const found = wanted === undefined ? candidates.at(-1) : candidates.find(([id]) => id === wanted)
    if (!found) throw new Error(`NotAllowedError: no matching credential for ${rpId}`)
    return found
  }

  async function authenticate(options: PublicKeyCredentialRequestOptionsJSON, ctx: AuthenticateContext): Promise<AuthenticationResponseJSON> {
    const t = ctx.tamper ?? {}
    const rpId = rpIdOf(options.rpId, ctx.origin)
    const allow = (options.allowCredentials ?? []).map((c) => c.id)
    const [id, cred] = pick(rpId, allow, ctx.credentialId)
    cred.counter += counterStep

    const clientDataJSON = clientData('webauthn.get', options.challenge, ctx.origin, t)
    const authData = buildAuthData({ rpId: t.rpId ?? rpId, flags: flagsFor(t), counter: t.counter ?? cred.counter })
    // §6.3.3 step 11: the assertion signature covers authenticatorData || SHA-256(clientDataJSON).
    const sig = signWith(cred.alg, cred.privateKey, Buffer.concat([authData, sha256(clientDataJSON)]))
    const userHandle = t.userHandle === undefined ? cred.userHandle : t.userHandle
    return {
      ...ids(Buffer.from(id, 'base64url'), t),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(t.badSignature ? flipByte(sig) : sig),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    }
  }

  return {
    register,
    authenticate,
    credentialIds: () => [...creds.keys()],
    setCounter(credentialId, counter) {
      const c = creds.get(credentialId)
      if (!c) throw new Error(`unknown credential ${credentialId}`)
      c.counter = counter
    },
    removeCredential(credentialId) {
      creds.delete(credentialId)
    },
  }
}
