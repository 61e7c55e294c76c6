import { randomBytes, randomUUID } from 'node:crypto'
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server'
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import { decodeAttestationObject } from '@simplewebauthn/server/helpers'
import type { z } from 'zod'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { StoreConflictError, type PasskeyRecord, type UserRecord } from '../store/index.ts'
import { authenticatorName } from './aaguids.ts'
import { effectivePolicy, enforceAttestationPolicy } from './attestationPolicy.ts'
import { finishCeremony, requireSameId, startCeremony } from './ceremony.ts'
import { webauthnProblem } from './webauthnErrors.ts'
// SimpleWebAuthn verifies with node:crypto's synchronous calls from here on (see webCrypto.ts).
import './webCrypto.ts'
import { domainEvent } from '../audit/index.ts'
import type { zRegistrationResponse } from './wire.ts'

/** ES256, EdDSA, RS256 (COSE algorithm ids), in order of preference. */
export const SUPPORTED_ALGS = [-7, -8, -257]
const KNOWN_TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])

type AuthenticatorType = 'securityKey' | 'localDevice' | 'remoteDevice'

interface OptionsFor {
  user: Pick<UserRecord, 'handle' | 'displayName' | 'webauthnUserId' | 'roles'>
  exclude: PasskeyRecord[]
  authenticatorType: AuthenticatorType | undefined
}

async function creationOptions(deps: AppDeps, o: OptionsFor): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const policy = effectivePolicy(deps.attestationPolicies, o.user.roles)
  const options = await generateRegistrationOptions({
    rpName: deps.config.rpName,
    rpID: deps.config.rpId,
    userName: o.user.handle,
    userID: Buffer.from(o.user.webauthnUserId, 'base64url'),
    userDisplayName: o.user.displayName,
    timeout: deps.config.challengeSeconds * 1000,
    attestationType: policy.requireAttestation || policy.attestationRoots ? 'direct' : 'none',
    excludeCredentials: o.exclude.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGS,
    preferredAuthenticatorType: o.authenticatorType ?? (policy.deviceBoundOnly ? 'securityKey' : undefined),
    extensions: { credProps: true },
  })
  if (!options.hints?.length) options.hints = policy.deviceBoundOnly ? ['security-key'] : ['client-device', 'hybrid']
  return options
}

/** Options for a new account; the handle is reserved only when the account is created. */
export async function newAccountOptions(deps: AppDeps, handle: string, displayName: string, authenticatorType?: AuthenticatorType): Promise<PublicKeyCredentialCreationOptionsJSON> {
  if (await deps.store.users.getByHandle(handle)) {
    throw new ProblemError('handle_unavailable', 409, { detail: 'This handle is taken; choose another.', field: 'handle' })
  }
  const webauthnUserId = randomBytes(32).toString('base64url')
  const options = await creationOptions(deps, { user: { handle, displayName, webauthnUserId, roles: [] }, exclude: [], authenticatorType })
  await startCeremony(deps, 'register', options.challenge, { data: { handle, displayName, webauthnUserId } })
  return options
}

export async function addPasskeyOptions(deps: AppDeps, user: UserRecord, authenticatorType?: AuthenticatorType): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const exclude = await deps.store.passkeys.listByUser(user.id)
  const options = await creationOptions(deps, { user, exclude, authenticatorType })
  await startCeremony(deps, 'add-passkey', options.challenge, { userId: user.id })
  return options
}

type RegistrationResponse = z.output<typeof zRegistrationResponse>

/** Verifies an attestation against the challenge it answers and the attestation policy; returns the passkey. */
async function verifiedPasskey(deps: AppDeps, response: RegistrationResponse, expectedChallenge: string, userId: string, roles: string[]): Promise<PasskeyRecord> {
  let info
  try {
    const v = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge,
      expectedOrigin: [...deps.config.origins, ...deps.config.relatedOrigins],
      expectedRPID: deps.config.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGS,
    })
    if (!v.verified) throw new ProblemError('attestation_invalid', 400, { detail: 'The attestation signature did not verify.' })
    info = v.registrationInfo
  } catch (err) {
    throw webauthnProblem(err)
  }
  if (info.credential.id !== response.id) {
    throw new ProblemError('credential_id_mismatch', 400, { detail: 'The response id is not the credential id in the authenticator data.', field: 'response.id' })
  }
  const now = deps.now()
  const x5c = (decodeAttestationObject(info.attestationObject).get('attStmt').get('x5c') ?? []) as Uint8Array[]
  enforceAttestationPolicy(effectivePolicy(deps.attestationPolicies, roles), {
    fmt: info.fmt, aaguid: info.aaguid, deviceType: info.credentialDeviceType, attestation: { x5c, now },
  })
  return {
    id: info.credential.id,
    userId,
    publicKey: new Uint8Array(info.credential.publicKey),
    counter: info.credential.counter,
    transports: (response.response.transports ?? []).filter((t) => KNOWN_TRANSPORTS.has(t)),
    aaguid: info.aaguid,
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    name: authenticatorName(info.aaguid) ?? 'Passkey',
    attestationFmt: info.fmt,
    createdAt: now,
    lastUsedAt: null,
  }
}

function conflict(err: unknown): never {
  if (err instanceof StoreConflictError) {
    if (err.field === 'handle') throw new ProblemError('handle_unavailable', 409, { detail: 'This handle is taken; choose another.', field: 'handle' })
    throw new ProblemError('credential_already_registered', 409, { detail: 'This passkey is already registered.', field: 'response.id' })
  }
  throw err
}

export async function verifyNewAccount(deps: AppDeps, response: RegistrationResponse): Promise<{ user: UserRecord; passkey: PasskeyRecord }> {
  requireSameId(response)
  const ceremony = await finishCeremony(deps, 'register', response.response.clientDataJSON)
  const data = ceremony.data as { handle: string; displayName: string; webauthnUserId: string }
  const user: UserRecord = { id: randomUUID(), handle: data.handle, displayName: data.displayName, webauthnUserId: data.webauthnUserId, roles: [], createdAt: deps.now() }
  const passkey = await verifiedPasskey(deps, response, ceremony.challenge, user.id, user.roles)
  // The first passkey signs the new account in: it has been used.
  passkey.lastUsedAt = passkey.createdAt
  await deps.store.users.createWithPasskey(user, passkey,
    [domainEvent('account.created', user.id, deps.now(), { passkey: passkey.id, aaguid: passkey.aaguid })]).catch(conflict)
  return { user, passkey }
}

export async function verifyAddPasskey(deps: AppDeps, user: UserRecord, response: RegistrationResponse): Promise<PasskeyRecord> {
  requireSameId(response)
  const ceremony = await finishCeremony(deps, 'add-passkey', response.response.clientDataJSON, user.id)
  const passkey = await verifiedPasskey(deps, response, ceremony.challenge, user.id, user.roles)
  await deps.store.passkeys.add(passkey,
    [domainEvent('passkey.added', passkey.id, deps.now(), { user: user.id, aaguid: passkey.aaguid })]).catch(conflict)
  return passkey
}
