import { test, describe, before, after, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { StoreUnavailableError } from '../store/index.ts'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, signIn, TEST_ORIGIN, type TestApp } from '../testing/index.ts'

describe('login over HTTP', () => {
  let app: TestApp
  let n = 0
  const handle = () => `login${++n}`
  before(async () => { app = await startTestApp() })
  after(() => app.close())
  afterEach(async () => { assert.equal((await new TestClient(app.url).get('/healthz')).status, 200) })

  test('discoverable login: empty allowCredentials, new session id, last use and counter kept', async () => {
    const auth = createSoftAuthenticator({ counterStep: 1 })
    const client = new TestClient(app.url)
    const { credentialId } = await signUp(client, auth, handle())
    const before = client.cookie
    const opts = await client.post('/v1/passkeys/login/options', {})
    assert.deepEqual(opts.body.allowCredentials ?? [], [])
    assert.equal(opts.body.userVerification, 'required')
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })
    const r = await client.post('/v1/passkeys/login/verify', { response })
    assert.equal(r.status, 200)
    assert.notEqual(client.cookie, before, 'the session id changes at login')
    const pk = await app.deps.store.passkeys.get(credentialId)
    assert.equal(pk!.counter, 1)
    assert.equal(pk!.lastUsedAt, app.clock.now())
  })

  test('login options look the same whoever asks (no account enumeration)', async () => {
    const a = await new TestClient(app.url).post('/v1/passkeys/login/options', {})
    const b = await new TestClient(app.url).post('/v1/passkeys/login/options', {})
    assert.deepEqual(Object.keys(a.body).sort(), Object.keys(b.body).sort())
    assert.notEqual(a.body.challenge, b.body.challenge)
  })

  test('synced passkeys with counter 0 sign in again and again; backup state is kept current', async () => {
    const auth = createSoftAuthenticator({ backupEligible: true, backupState: false })
    const { credentialId } = await signUp(new TestClient(app.url), auth, handle())
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200)
    assert.equal((await signIn(new TestClient(app.url), auth, { tamper: { bs: true } })).status, 200)
    const pk = await app.deps.store.passkeys.get(credentialId)
    assert.equal(pk!.counter, 0)
    assert.equal(pk!.deviceType, 'multiDevice')
    assert.equal(pk!.backedUp, true)
  })

  test('assertion replay is refused', async () => {
    const auth = createSoftAuthenticator()
    const client = new TestClient(app.url)
    await signUp(client, auth, handle())
    const opts = await client.post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })
    assert.equal((await client.post('/v1/passkeys/login/verify', { response })).status, 200)
    const again = await new TestClient(app.url).post('/v1/passkeys/login/verify', { response })
    assert.equal(again.status, 400)
    assert.equal(again.body.code, 'challenge_unknown')
  })

  test('50 concurrent verifies of one assertion: exactly one success', async () => {
    const auth = createSoftAuthenticator()
    await signUp(new TestClient(app.url), auth, handle())
    const client = new TestClient(app.url)
    const opts = await client.post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })
    const results = await Promise.all(Array.from({ length: 50 }, () => new TestClient(app.url).post('/v1/passkeys/login/verify', { response })))
    assert.equal(results.filter((r) => r.status === 200).length, 1)
    assert.ok(results.every((r) => r.status === 200 || r.body.code === 'challenge_unknown'))
  })

  test('a counter regression is refused and audited as a possible clone', async () => {
    const auth = createSoftAuthenticator({ counterStep: 1 })
    const { credentialId, user } = await signUp(new TestClient(app.url), auth, handle())
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200)
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200)
    auth.setCounter(credentialId, 0) // the clone's counter: next assertion says 1, stored is 2
    const r = await signIn(new TestClient(app.url), auth)
    assert.equal(r.status, 401)
    assert.equal(r.body.code, 'counter_regression')
    const audit = await app.deps.store.audit.list({ limit: 1000 })
    assert.ok(audit.some((e) => e.type === 'passkey.counter_regression' && e.subject === credentialId && e.actor === user.id))
  })

  test('a forged response with a low counter is a bad signature, not a clone: nothing audited, the stored counter not revealed', async () => {
    const auth = createSoftAuthenticator({ counterStep: 1 })
    const { credentialId } = await signUp(new TestClient(app.url), auth, handle())
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200)
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200)
    auth.setCounter(credentialId, 0) // next assertion says 1, stored is 2; the signature is then broken
    const client = new TestClient(app.url)
    const opts = await client.post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN, tamper: { badSignature: true } })
    const r = await client.post('/v1/passkeys/login/verify', { response })
    assert.equal(r.status, 401)
    assert.equal(r.body.code, 'signature_invalid')
    const audit = await app.deps.store.audit.list({ limit: 10_000 })
    assert.ok(!audit.some((e) => e.type === 'passkey.counter_regression' && e.subject === credentialId), 'no clone alert from a forgery')
  })

  test('sign-ins are limited per account and client: the 31st in a minute is refused with Retry-After, the counter still moves', async () => {
    const auth = createSoftAuthenticator({ counterStep: 1 })
    const { credentialId } = await signUp(new TestClient(app.url), auth, handle())
    for (let i = 0; i < 30; i++) assert.equal((await signIn(new TestClient(app.url), auth)).status, 200, `sign-in ${i + 1}`)
    const over = await signIn(new TestClient(app.url), auth)
    assert.equal(over.status, 429)
    assert.equal(over.body.code, 'rate_limited')
    assert.ok(Number(over.headers.get('retry-after')) >= 1)
    assert.equal(over.headers.get('set-cookie'), null, 'no session')
    // The signature was genuine: the authenticator's counter moved, and the stored one with it.
    assert.equal((await app.deps.store.passkeys.get(credentialId))!.counter, 31)
    // Another account on the same client is not affected.
    const other = createSoftAuthenticator()
    await signUp(new TestClient(app.url), other, handle())
    assert.equal((await signIn(new TestClient(app.url), other)).status, 200)
    app.clock.advance(60_000)
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200, 'a new minute')
  })

  test('a sign-in whose audit entry cannot be written opens no session', async () => {
    const auth = createSoftAuthenticator()
    const { user } = await signUp(new TestClient(app.url), auth, handle())
    const sessionsBefore = (await app.deps.store.sessions.listByUser(user.id)).length
    const audit = app.deps.store.audit as { append: (...args: never[]) => Promise<unknown> }
    const append = audit.append
    audit.append = async () => { throw new StoreUnavailableError(new Error('audit log unreachable')) }
    try {
      const client = new TestClient(app.url)
      const r = await signIn(client, auth)
      assert.equal(r.status, 503)
      assert.equal(r.body.code, 'store_unavailable')
      assert.equal(r.headers.get('set-cookie'), null)
      assert.equal(client.cookie, undefined)
    } finally {
      audit.append = append
    }
    assert.equal((await app.deps.store.sessions.listByUser(user.id)).length, sessionsBefore, 'the session opened beside it was ended')
    assert.equal((await signIn(new TestClient(app.url), auth)).status, 200)
  })

  test('an unknown credential gets credential_unknown with its id', async () => {
    const auth = createSoftAuthenticator()
    await signUp(new TestClient(app.url), auth, handle())
    const stranger = createSoftAuthenticator()
    await stranger.register((await new TestClient(app.url).post('/v1/passkeys/register/options', { handle: handle(), displayName: 'x' })).body, { origin: TEST_ORIGIN })
    const r = await signIn(new TestClient(app.url), stranger)
    assert.equal(r.status, 401)
    assert.equal(r.body.code, 'credential_unknown')
    assert.equal(r.body.credentialId, stranger.credentialIds()[0])
  })

  test("another user's credential: a response naming another user is refused", async () => {
    const alice = createSoftAuthenticator()
    const bob = createSoftAuthenticator()
    await signUp(new TestClient(app.url), alice, handle())
    const bobAccount = await signUp(new TestClient(app.url), bob, handle())
    const bobUser = await app.deps.store.users.get(bobAccount.user.id)
    const r = await signIn(new TestClient(app.url), alice, { tamper: { userHandle: bobUser!.webauthnUserId } })
    assert.equal(r.status, 400)
    assert.equal(r.body.code, 'user_handle_mismatch')
  })

  const attacks: [string, object, string][] = [
    ['wrong origin', { origin: 'https://evil.example' }, 'origin_mismatch'],
    ['wrong rpIdHash', { tamper: { rpId: 'evil.example' } }, 'rp_id_mismatch'],
    ['UP=0', { tamper: { up: false } }, 'user_presence_required'],
    ['UV=0', { tamper: { uv: false } }, 'user_verification_required'],
    ['a bad signature', { tamper: { badSignature: true } }, 'signature_invalid'],
    ['clientData type webauthn.create', { tamper: { type: 'webauthn.create' } }, 'client_data_type_mismatch'],
    ['id differs from rawId', { tamper: { idMismatch: true } }, 'credential_id_mismatch'],
  ]
  for (const [name, ctx, code] of attacks) {
    test(`refuses a login with ${name}`, async () => {
      const auth = createSoftAuthenticator()
      await signUp(new TestClient(app.url), auth, handle())
      const client = new TestClient(app.url)
      const opts = await client.post('/v1/passkeys/login/options', {})
      const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN, ...ctx })
      const r = await client.post('/v1/passkeys/login/verify', { response })
      assert.ok(r.status >= 400 && r.status < 500, String(r.status))
      assert.equal(r.body.code, code)
      assert.equal(client.cookie, undefined, 'no session')
    })
  }

  test('malformed assertions are refused with the field named', async () => {
    const client = new TestClient(app.url)
    const cases: [unknown, string][] = [
      [{ response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'a', authenticatorData: 'b', signature: '%%%' } } }, 'response.response.signature'],
      [{ response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'a', authenticatorData: 1, signature: 'b' } } }, 'response.response.authenticatorData'],
      [{ response: 'x' }, 'response'],
    ]
    for (const [body, field] of cases) {
      const r = await client.post('/v1/passkeys/login/verify', body)
      assert.equal(r.status, 400)
      assert.ok(r.body.errors.some((e: { field: string }) => e.field === field), JSON.stringify(r.body))
    }
  })
})
