import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, signIn, TEST_ORIGIN, type TestApp, type SoftAuthenticator } from '../testing/index.ts'

async function addPasskey(client: TestClient, auth: SoftAuthenticator) {
  const opts = await client.post('/v1/me/passkeys/options', {})
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  const response = await auth.register(opts.body, { origin: TEST_ORIGIN })
  return { opts, done: await client.post('/v1/me/passkeys/verify', { response }), id: response.id }
}

async function reauth(client: TestClient, auth: SoftAuthenticator) {
  const opts = await client.post('/v1/me/reauth/options', {})
  const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })
  return client.post('/v1/me/reauth/verify', { response })
}

describe('passkey management', () => {
  let app: TestApp
  let n = 0
  const handle = () => `mgmt${++n}`
  before(async () => { app = await startTestApp() })
  after(() => app.close())

  test('list, add another (excludeCredentials), rename, remove with a fresh verification, never the last', async () => {
    const first = createSoftAuthenticator({ aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4', backupEligible: true, backupState: true })
    const second = createSoftAuthenticator()
    const client = new TestClient(app.url)
    const { credentialId } = await signUp(client, first, handle())
    const list = await client.get('/v1/me/passkeys')
    assert.equal(list.body.passkeys.length, 1)
    assert.equal(list.body.passkeys[0].authenticatorName, 'Google Password Manager')
    assert.equal(list.body.passkeys[0].name, 'Google Password Manager')
    assert.equal(list.body.passkeys[0].synced, true)
    const added = await addPasskey(client, second)
    assert.deepEqual(added.opts.body.excludeCredentials.map((c: { id: string }) => c.id), [credentialId])
    assert.equal(added.done.status, 201)
    assert.equal(added.done.body.passkey.synced, false)
    const renamed = await client.patch(`/v1/me/passkeys/${added.id}`, { name: 'Office key' })
    assert.equal(renamed.body.name, 'Office key')
    // Sensitive action after the fresh window: re-verify first.
    app.clock.advance(6 * 60_000)
    const stale = await client.delete(`/v1/me/passkeys/${credentialId}`)
    assert.equal(stale.status, 403)
    assert.equal(stale.body.code, 'reauthentication_required')
    assert.equal((await reauth(client, second)).status, 200)
    assert.equal((await client.delete(`/v1/me/passkeys/${credentialId}`)).status, 204)
    const last = await client.delete(`/v1/me/passkeys/${added.id}`)
    assert.equal(last.status, 409)
    assert.equal(last.body.code, 'last_passkey')
    // The removed passkey no longer signs in; the remaining one does.
    assert.equal((await signIn(new TestClient(app.url), first)).body.code, 'credential_unknown')
    assert.equal((await signIn(new TestClient(app.url), second)).status, 200)
  })

  test('removing a passkey signs out my other sessions and their access tokens; this one stays', async () => {
    const lost = createSoftAuthenticator()
    const kept = createSoftAuthenticator()
    const mine = new TestClient(app.url)
    const { credentialId } = await signUp(mine, kept, handle())
    await addPasskey(mine, lost)
    const thief = new TestClient(app.url)
    assert.equal((await signIn(thief, lost)).status, 200)
    const token = (await thief.post('/v1/sessions/token', {})).body.access_token as string
    assert.equal((await new TestClient(app.url).get('/v1/me', { authorization: `Bearer ${token}` })).status, 200)
    const lostId = (await mine.get('/v1/me/passkeys')).body.passkeys.find((p: { id: string }) => p.id !== credentialId).id
    assert.equal((await mine.delete(`/v1/me/passkeys/${lostId}`)).status, 204)
    assert.equal((await thief.get('/v1/me')).status, 401, 'the session opened with the removed passkey has ended')
    assert.equal((await new TestClient(app.url).get('/v1/me', { authorization: `Bearer ${token}` })).status, 401, 'and its access token')
    assert.equal((await mine.get('/v1/me')).status, 200, 'the session that removed it stays')
    const audit = await app.deps.store.audit.list({ limit: 10_000 })
    assert.equal(audit.find((e) => e.type === 'passkey.removed' && e.subject === lostId)?.data.endedSessions, 1)
  })

  test("another user's passkey cannot be renamed, removed or used to re-verify", async () => {
    const mine = createSoftAuthenticator()
    const theirs = createSoftAuthenticator()
    const client = new TestClient(app.url)
    await signUp(client, mine, handle())
    await signUp(client, createSoftAuthenticator(), handle()) // just to have a signed-in client
    const other = await signUp(new TestClient(app.url), theirs, handle())
    assert.equal((await client.patch(`/v1/me/passkeys/${other.credentialId}`, { name: 'x' })).body.code, 'passkey_not_found')
    assert.equal((await client.delete(`/v1/me/passkeys/${other.credentialId}`)).body.code, 'passkey_not_found')
    const opts = await client.post('/v1/me/reauth/options', {})
    const response = await theirs.authenticate({ ...opts.body, allowCredentials: [] }, { origin: TEST_ORIGIN })
    const r = await client.post('/v1/me/reauth/verify', { response })
    assert.equal(r.body.code, 'credential_unknown')
  })

  test('recovery codes: ten, shown once, single use, restricted session that can only add a passkey', async () => {
    const lost = createSoftAuthenticator()
    const client = new TestClient(app.url)
    const h = handle()
    await signUp(client, lost, h)
    const gen = await client.post('/v1/me/recovery-codes', {})
    assert.equal(gen.status, 201)
    assert.equal(gen.body.codes.length, 10)
    assert.equal(new Set(gen.body.codes).size, 10)
    for (const c of gen.body.codes) assert.match(c, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/)
    assert.equal(gen.headers.get('cache-control'), 'no-store')
    assert.equal((await client.get('/v1/me')).body.recoveryCodesRemaining, 10)

    const phone = new TestClient(app.url)
    const r = await phone.post('/v1/recovery/verify', { handle: h.toUpperCase(), code: gen.body.codes[3].toLowerCase() })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.session.kind, 'recovery')
    assert.equal((await phone.get('/v1/me')).status, 200)
    const restricted = await phone.get('/v1/me/passkeys')
    assert.equal(restricted.status, 403)
    assert.equal(restricted.body.code, 'recovery_session_restricted')
    assert.equal((await phone.post('/v1/me/recovery-codes', {})).body.code, 'recovery_session_restricted')
    const again = await new TestClient(app.url).post('/v1/recovery/verify', { handle: h, code: gen.body.codes[3] })
    assert.equal(again.body.code, 'recovery_failed', 'a code works once')

    const fresh = createSoftAuthenticator()
    const added = await addPasskey(phone, fresh)
    assert.equal(added.done.status, 201)
    assert.equal(added.done.body.session.kind, 'full', 'the account is whole again')
    assert.equal((await phone.get('/v1/me/passkeys')).body.passkeys.length, 2)
    assert.equal((await phone.get('/v1/me')).body.recoveryCodesRemaining, 9)
  })

  test('recovery: wrong code and unknown handle answer alike; attempts are limited per account', async () => {
    const client = new TestClient(app.url)
    const h = handle()
    await signUp(client, createSoftAuthenticator(), h)
    await client.post('/v1/me/recovery-codes', {})
    const wrong = await new TestClient(app.url).post('/v1/recovery/verify', { handle: h, code: 'AAAA-BBBB-CCCC-DDDD' })
    const unknown = await new TestClient(app.url).post('/v1/recovery/verify', { handle: 'nobody-here', code: 'AAAA-BBBB-CCCC-DDDD' })
    assert.equal(wrong.status, 401)
    assert.deepEqual({ ...wrong.body, requestId: 0 }, { ...unknown.body, requestId: 0 })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await new TestClient(app.url).post('/v1/recovery/verify', { handle: h, code: 'AAAA-BBBB-CCCC-DDDD' })).status)
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429])
  })

  test('five concurrent uses of one recovery code: exactly one session', async () => {
    const client = new TestClient(app.url)
    const h = handle()
    await signUp(client, createSoftAuthenticator(), h)
    const { codes } = (await client.post('/v1/me/recovery-codes', {})).body
    app.clock.advance(61_000) // a fresh rate-limit window
    const results = await Promise.all(Array.from({ length: 5 }, () => new TestClient(app.url).post('/v1/recovery/verify', { handle: h, code: codes[0] })))
    assert.equal(results.filter((r) => r.status === 200).length, 1)
  })
})
