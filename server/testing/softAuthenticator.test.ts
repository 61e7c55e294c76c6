import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server'
import { isoCBOR, isoBase64URL } from '@simplewebauthn/server/helpers'
import type { SoftAlg } from './authData.ts'
import {
  createSoftAuthenticator,
  type AuthTamper,
  type CreateSoftAuthenticatorOptions,
  type RegisterTamper,
  type SoftAuthenticator,
} from './index.ts'

const rpID = 'localhost'
const origin = 'http://localhost:8080'

async function registerWith(auth: SoftAuthenticator, tamper?: RegisterTamper, ctxOrigin = origin) {
  const options = await generateRegistrationOptions({ rpName: 'Sigil', rpID, userName: 'alice' })
  const response = await auth.register(options, { origin: ctxOrigin, tamper })
  return { options, response, verify: () => verifyRegistrationResponse({
    response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID,
    requireUserVerification: true,
  }) }
}

async function enrol(opts: CreateSoftAuthenticatorOptions = {}) {
  const auth = createSoftAuthenticator(opts)
  const { options, verify } = await registerWith(auth)
  const { verified, registrationInfo } = await verify()
  assert.ok(verified && registrationInfo)
  return { auth, userId: options.user.id, credential: registrationInfo.credential, info: registrationInfo }
}

async function login(auth: SoftAuthenticator, credential: WebAuthnCredential, tamper?: AuthTamper, ctxOrigin = origin) {
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' })
  const response = await auth.authenticate(options, { origin: ctxOrigin, tamper })
  return { response, verify: () => verifyAuthenticationResponse({
    response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpID,
    credential, requireUserVerification: true,
  }) }
}

for (const alg of ['ES256', 'EdDSA', 'RS256'] as SoftAlg[]) {
  test(`${alg}: registration and discoverable authentication verify`, async () => {
    const { auth, userId, credential, info } = await enrol({ alg })
    assert.equal(info.fmt, 'none')
    assert.equal(info.userVerified, true)
    assert.deepEqual(auth.credentialIds(), [credential.id])
    const { response, verify } = await login(auth, credential)
    assert.equal(response.response.userHandle, userId)
    const { verified, authenticationInfo } = await verify()
    assert.ok(verified)
    assert.equal(authenticationInfo.newCounter, 0)
  })

  test(`${alg}: packed self-attestation verifies, and a flipped attestation signature does not`, async () => {
    const auth = createSoftAuthenticator({ alg, attestation: 'packed-self' })
    const { verified, registrationInfo } = await (await registerWith(auth)).verify()
    assert.ok(verified)
    assert.equal(registrationInfo?.fmt, 'packed')
    // SimpleWebAuthn reports a bad attestation signature as verified: false rather than throwing.
    const tampered = await (await registerWith(auth, { badSignature: true })).verify()
    assert.equal(tampered.verified, false)
  })
}

test('picks the first supported algorithm from pubKeyCredParams', async () => {
  const { credential } = await enrol()
  // SimpleWebAuthn's default order is EdDSA, ES256, RS256; OKP key type is 1.
  const cose = isoCBOR.decodeFirst<Map<number, unknown>>(credential.publicKey)
  assert.equal(cose.get(1), 1)
  assert.equal(cose.get(3), -8)
})

test('reports aaguid and backup flags as configured', async () => {
  const aaguid = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd'
  const { info } = await enrol({ aaguid, backupEligible: true, backupState: true })
  assert.equal(info.aaguid, aaguid)
  assert.equal(info.credentialDeviceType, 'multiDevice')
  assert.equal(info.credentialBackedUp, true)
})

test('refuses to register when excludeCredentials names one of its credentials', async () => {
  const { auth, credential } = await enrol()
  const options = await generateRegistrationOptions({
    rpName: 'Sigil', rpID, userName: 'alice', excludeCredentials: [{ id: credential.id }],
  })
  await assert.rejects(auth.register(options, { origin }), /InvalidStateError/)
})

test('uses the credential named in allowCredentials, and refuses unknown ones', async () => {
  const { auth, credential } = await enrol()
  const second = await registerWith(auth)
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }] })
  const response = await auth.authenticate(options, { origin })
  assert.equal(response.id, credential.id)
  assert.notEqual(response.id, second.response.id)
  const other = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: 'AAAAAAAAAAAAAAAAAAAAAA' }] })
  await assert.rejects(auth.authenticate(other, { origin }), /NotAllowedError/)
})

test('counterStep 1 increments; a counter regression is rejected', async () => {
  const { auth, credential } = await enrol({ counterStep: 1, counterStart: 5 })
  assert.equal(credential.counter, 5)
  const { verified, authenticationInfo } = await (await login(auth, credential)).verify()
  assert.ok(verified)
  assert.equal(authenticationInfo.newCounter, 6)
  const stored = { ...credential, counter: authenticationInfo.newCounter }
  await assert.rejects((await login(auth, stored, { counter: 6 })).verify(), /counter/)
  auth.setCounter(credential.id, 2)
  await assert.rejects((await login(auth, stored)).verify(), /counter/)
})

test('removeCredential forgets the credential', async () => {
  const { auth, credential } = await enrol()
  auth.removeCredential(credential.id)
  assert.deepEqual(auth.credentialIds(), [])
  await assert.rejects(login(auth, credential), /NotAllowedError/)
})

// Each tamper with the check that must refuse it (SimpleWebAuthn's message): refused for another reason, the
// tamper would not be the one the test names.
const attacks: [string, RegisterTamper & AuthTamper, string | undefined, RegExp][] = [
  ['uv: false', { uv: false }, undefined, /^Error: User verification (was )?required, but user could not be verified/],
  ['up: false', { up: false }, undefined, /^Error: User (presence was required, but user was )?not present/],
  ['wrong rpId', { rpId: 'evil.example' }, undefined, /^UnexpectedRPIDHash: Unexpected RP ID hash/],
  ['wrong origin', {}, 'http://evil.example:8080', /^Error: Unexpected (registration|authentication) response origin "http:\/\/evil\.example:8080"/],
  ['wrong clientData type', { type: 'webauthn.get.x' }, undefined, /^Error: Unexpected (registration|authentication) response type: webauthn\.get\.x/],
  ['wrong challenge', { challenge: isoBase64URL.fromUTF8String('replayed') }, undefined, /^Error: Unexpected (registration|authentication) response challenge "cmVwbGF5ZWQ"/],
  // SimpleWebAuthn's words for `id !== rawId`.
  ['rawId differs from id', { idMismatch: true }, undefined, /^Error: Credential ID was not base64url-encoded/],
  ['backup state without eligibility', { bs: true, be: false }, undefined, /Single-device credential indicated that it was backed up/],
]

for (const [name, tamper, badOrigin, refusal] of attacks) {
  test(`registration rejects ${name}`, async () => {
    const auth = createSoftAuthenticator()
    await assert.rejects((await registerWith(auth, tamper, badOrigin)).verify(), refusal)
  })
  test(`authentication rejects ${name}`, async () => {
    const { auth, credential } = await enrol()
    await assert.rejects((await login(auth, credential, tamper, badOrigin)).verify(), refusal)
  })
}

test('authentication rejects a flipped signature', async () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256'] as SoftAlg[]) {
    const { auth, credential } = await enrol({ alg })
    const { verified } = await (await login(auth, credential, { badSignature: true })).verify()
    assert.equal(verified, false, alg) // a bad assertion signature is verified: false, not a throw
  }
})

test('userHandle override is returned as given, or omitted with null', async () => {
  const { auth, credential } = await enrol()
  assert.equal((await login(auth, credential, { userHandle: 'bWFsbG9yeQ' })).response.response.userHandle, 'bWFsbG9yeQ')
  assert.equal('userHandle' in (await login(auth, credential, { userHandle: null })).response.response, false)
})
