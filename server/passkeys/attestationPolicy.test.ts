import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_POLICIES, effectivePolicy, enforceAttestationPolicy } from './attestationPolicy.ts'
import { createSoftAuthenticator, startTestApp, TestClient, signIn, signUp, TEST_ORIGIN } from '../testing/index.ts'

const YUBIKEY = 'cb69481e-8ff7-4039-93ec-0a2729a154a8'
const GPM = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4'

describe('attestation policy', () => {
  test('the effective policy is the strictest of default and every role', () => {
    const p = effectivePolicy({
      default: { requireAttestation: false, deviceBoundOnly: false, aaguidAllow: [], aaguidDeny: ['d1'] },
      a: { requireAttestation: true, deviceBoundOnly: false, aaguidAllow: ['x', 'y'], aaguidDeny: [] },
      b: { requireAttestation: false, deviceBoundOnly: true, aaguidAllow: ['y', 'z'], aaguidDeny: ['d2'] },
    }, ['a', 'b', 'unknown-role'])
    assert.deepEqual(p, { requireAttestation: true, deviceBoundOnly: true, aaguidAllow: ['y'], aaguidDeny: ['d1', 'd2'] })
    assert.deepEqual(effectivePolicy(DEFAULT_POLICIES, []), DEFAULT_POLICIES.default)
  })

  test('each rule refuses with attestation_policy_violation', () => {
    const strict = { requireAttestation: true, deviceBoundOnly: true, aaguidAllow: [YUBIKEY], aaguidDeny: [GPM] }
    const ok = { fmt: 'packed', aaguid: YUBIKEY, deviceType: 'singleDevice' as const }
    enforceAttestationPolicy(strict, ok)
    for (const bad of [{ ...ok, fmt: 'none' }, { ...ok, deviceType: 'multiDevice' as const }, { ...ok, aaguid: GPM }, { ...ok, aaguid: '00000000-0000-0000-0000-000000000001' }]) {
      assert.throws(() => enforceAttestationPolicy(strict, bad), { code: 'attestation_policy_violation' })
    }
  })

  test('a role that requires hardware keys: synced or unattested passkeys are refused, an attested security key is accepted', async () => {
    const app = await startTestApp()
    try {
      const client = new TestClient(app.url)
      const syncedFirst = createSoftAuthenticator({ backupEligible: true })
      const account = await signUp(client, syncedFirst, 'officer')
      await app.deps.store.users.setRoles(account.user.id, ['compliance'])
      // Signing in with it now: refused, naming the passkey (an assertion has no attestation object to name).
      const refused = await signIn(new TestClient(app.url), syncedFirst)
      assert.equal(refused.status, 403)
      assert.equal(refused.body.code, 'attestation_policy_violation')
      assert.equal(refused.body.field, 'response.id')
      const add = async (auth: ReturnType<typeof createSoftAuthenticator>) => {
        const opts = await client.post('/v1/me/passkeys/options', {})
        assert.equal(opts.body.attestation, 'direct')
        assert.deepEqual(opts.body.hints, ['security-key'])
        return client.post('/v1/me/passkeys/verify', { response: await auth.register(opts.body, { origin: TEST_ORIGIN }) })
      }
      const synced = await add(createSoftAuthenticator({ attestation: 'packed-self', backupEligible: true, aaguid: YUBIKEY }))
      assert.equal(synced.status, 403)
      assert.equal(synced.body.code, 'attestation_policy_violation')
      const unattested = await add(createSoftAuthenticator({ aaguid: YUBIKEY }))
      assert.equal(unattested.body.code, 'attestation_policy_violation')
      const key = await add(createSoftAuthenticator({ attestation: 'packed-self', aaguid: YUBIKEY }))
      assert.equal(key.status, 201, JSON.stringify(key.body))
      assert.equal(key.body.passkey.synced, false)
      assert.equal((await client.get('/v1/me/passkeys')).body.passkeys.length, 2, 'refused passkeys were not stored')
      // The security key is the only passkey this role can sign in with: it cannot be removed, the synced one can't
      // stand in for it.
      const removed = await client.delete(`/v1/me/passkeys/${key.body.passkey.id}`)
      assert.equal(removed.status, 409)
      assert.equal(removed.body.code, 'last_passkey')
      assert.match(removed.body.detail, /not of a kind your role accepts/)
      assert.equal((await client.get('/v1/me/passkeys')).body.passkeys.length, 2)
      assert.equal((await client.delete(`/v1/me/passkeys/${account.credentialId}`)).status, 204, 'the synced one can go')
    } finally {
      await app.close()
    }
  })

  test('a session opened before the role was granted cannot act in it until a passkey the role accepts verifies it (found in review)', async () => {
    const app = await startTestApp()
    try {
      const client = new TestClient(app.url)
      const synced = createSoftAuthenticator({ backupEligible: true })
      const account = await signUp(client, synced, 'promoted-live')
      const laptop = new TestClient(app.url)
      assert.equal((await signIn(laptop, synced)).status, 200)
      await app.deps.store.users.setRoles(account.user.id, ['compliance'])
      // The session the synced passkey opened gets the role at once, but may not use it: the role wants a hardware key.
      const data = { kyc_level: 'standard', trust_framework: 'de_aml', verification_time: new Date(app.clock.now() - 60_000).toISOString() }
      for (const [path, body] of [['/v1/kyc/subjects', { data }], ['/v1/kyc/credentials/search', { subjectRef: `ksub_${'a'.repeat(43)}` }]] as const) {
        const r = await client.post(path, body)
        assert.equal(r.status, 403, `${path}: ${JSON.stringify(r.body)}`)
        assert.equal(r.body.code, 'attestation_policy_violation', path)
        assert.match(r.body.detail, /sign in with it \(or re-verify with it\), or add one/)
      }
      assert.equal((await client.get('/v1/me')).status, 200, 'the account itself stays usable (to add a key)')
      // The role is granted long after the sign-in: the session is no longer fresh. Re-verifying with the synced
      // passkey makes it fresh (to add a key), but does not let it act in the role.
      app.clock.advance(10 * 60_000)
      assert.equal((await client.post('/v1/me/passkeys/options', {})).body.code, 'reauthentication_required')
      const opts = await client.post('/v1/me/reauth/options', {})
      const again = await client.post('/v1/me/reauth/verify', { response: await synced.authenticate(opts.body, { origin: TEST_ORIGIN }) })
      assert.equal(again.status, 200, JSON.stringify(again.body))
      assert.equal((await client.post('/v1/kyc/credentials/search', { subjectRef: `ksub_${'a'.repeat(43)}` })).body.code, 'attestation_policy_violation')
      // Adding a security key in this (fresh) session makes the session the key's: the role's calls go through.
      const add = await client.post('/v1/me/passkeys/options', {})
      const key = createSoftAuthenticator({ attestation: 'packed-self', aaguid: YUBIKEY })
      assert.equal((await client.post('/v1/me/passkeys/verify', { response: await key.register(add.body, { origin: TEST_ORIGIN }) })).status, 201)
      assert.equal((await client.post('/v1/kyc/credentials/search', { subjectRef: `ksub_${'a'.repeat(43)}` })).status, 200)
      // Another session opened with it works; one opened before the grant with the synced passkey on another device does not.
      const other = new TestClient(app.url)
      assert.equal((await signIn(other, key)).status, 200)
      assert.equal((await other.post('/v1/kyc/credentials/search', { subjectRef: `ksub_${'a'.repeat(43)}` })).status, 200)
      assert.equal((await laptop.post('/v1/kyc/credentials/search', { subjectRef: `ksub_${'a'.repeat(43)}` })).status, 403)
      // A re-verification with the synced passkey does not take the role from the session the key verified.
      const o2 = await client.post('/v1/me/reauth/options', {})
      assert.equal((await client.post('/v1/me/reauth/verify', { response: await synced.authenticate(o2.body, { origin: TEST_ORIGIN }) })).status, 200)
      assert.equal((await client.post('/v1/kyc/credentials/search', { subjectRef: `ksub_${'a'.repeat(43)}` })).status, 200)
      // Signing in with the synced passkey stays refused.
      assert.equal((await signIn(new TestClient(app.url), synced)).body.code, 'attestation_policy_violation')
    } finally {
      await app.close()
    }
  })

  test('removing both hardware keys at once leaves one: the check is atomic in the store', async () => {
    const app = await startTestApp()
    try {
      const client = new TestClient(app.url)
      await signUp(client, createSoftAuthenticator({ backupEligible: true }), 'officer2')
      const me = (await client.get('/v1/me')).body
      await app.deps.store.users.setRoles(me.user?.id ?? me.id, ['compliance'])
      const keys: string[] = []
      for (let i = 0; i < 2; i++) {
        const opts = await client.post('/v1/me/passkeys/options', {})
        const r = await client.post('/v1/me/passkeys/verify', { response: await createSoftAuthenticator({ attestation: 'packed-self', aaguid: YUBIKEY }).register(opts.body, { origin: TEST_ORIGIN }) })
        assert.equal(r.status, 201, JSON.stringify(r.body))
        keys.push(r.body.passkey.id)
      }
      // Three passkeys, two of which can sign in. Both removals read the passkeys before either removes one (the
      // listing waits for the other request), so both pass the route's own check: the store must refuse one.
      const passkeys = app.deps.store.passkeys
      const listByUser = passkeys.listByUser.bind(passkeys)
      let arrived = 0
      let release!: () => void
      const bothRead = new Promise<void>((resolve) => { release = resolve })
      passkeys.listByUser = async (userId) => {
        const list = await listByUser(userId)
        if (++arrived === 2) release()
        await Promise.race([bothRead, new Promise((r) => setTimeout(r, 2000))])
        return list
      }
      const results = await Promise.all(keys.map((id) => client.delete(`/v1/me/passkeys/${id}`)))
      passkeys.listByUser = listByUser
      assert.equal(arrived, 2)
      assert.deepEqual(results.map((r) => r.status).sort(), [204, 409])
      const left = (await client.get('/v1/me/passkeys')).body.passkeys as { id: string }[]
      assert.equal(left.length, 2)
      assert.equal(left.filter((p) => keys.includes(p.id)).length, 1, 'one hardware key stays')
    } finally {
      await app.close()
    }
  })

  test('an AAGUID deny list applies to sign-up', async () => {
    const app = await startTestApp({ attestationPolicies: { default: { requireAttestation: false, deviceBoundOnly: false, aaguidAllow: [], aaguidDeny: [GPM] } } })
    try {
      const client = new TestClient(app.url)
      const opts = await client.post('/v1/passkeys/register/options', { handle: 'denied', displayName: 'D' })
      const response = await createSoftAuthenticator({ aaguid: GPM }).register(opts.body, { origin: TEST_ORIGIN })
      const r = await client.post('/v1/passkeys/register/verify', { response })
      assert.equal(r.status, 403)
      assert.equal(r.body.code, 'attestation_policy_violation')
      assert.equal(await app.deps.store.users.getByHandle('denied'), undefined)
    } finally {
      await app.close()
    }
  })
})
