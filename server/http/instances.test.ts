import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connectRedisStore, type Store } from '../store/index.ts'
import { createSoftAuthenticator, startRedisServer, startTestApp, TestClient, signUp, signIn, TEST_ORIGIN, type TestApp, type TestRedisServer } from '../testing/index.ts'

/**
 * SIGIL_STORE=redis: two app instances over one real redis-server, as behind a load balancer. Every
 * ceremony can begin on one and end on the other; single-use values stay single-use across both.
 */
describe('two instances over one Redis', () => {
  let redis: TestRedisServer
  let stores: Store[]
  let a: TestApp
  let b: TestApp
  let keysDir: string
  before(async () => {
    redis = await startRedisServer()
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-keys-'))
    stores = [await connectRedisStore({ url: redis.url, prefix: 'inst' }), await connectRedisStore({ url: redis.url, prefix: 'inst' })]
    a = await startTestApp({ store: stores[0], keysDir })
    b = await startTestApp({ store: stores[1], keysDir, clock: a.clock })
  })
  after(async () => {
    await a.close()
    await b.close()
    await redis.stop()
    fs.rmSync(keysDir, { recursive: true, force: true })
  })

  test('registration options from A verify on B; the session made on B works on A', async () => {
    const auth = createSoftAuthenticator()
    const onA = new TestClient(a.url)
    const opts = await onA.post('/v1/passkeys/register/options', { handle: 'across', displayName: 'A' })
    const response = await auth.register(opts.body, { origin: TEST_ORIGIN })
    const onB = new TestClient(b.url)
    assert.equal((await onB.post('/v1/passkeys/register/verify', { response })).status, 201)
    const backOnA = new TestClient(a.url)
    backOnA.cookie = onB.cookie
    assert.equal((await backOnA.get('/v1/me')).body.user.handle, 'across')
    // An access token from B verifies on A (shared keys).
    const token = (await onB.post('/v1/sessions/token')).body.access_token
    assert.equal((await new TestClient(a.url, '').get('/v1/me', { authorization: `Bearer ${token}` })).status, 200)
  })

  test('a replay across instances is refused; 50 concurrent verifies over both: exactly one success', async () => {
    const auth = createSoftAuthenticator()
    await signUp(new TestClient(a.url), auth, 'replayer')
    const opts = await new TestClient(a.url).post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => new TestClient(i % 2 ? a.url : b.url).post('/v1/passkeys/login/verify', { response })))
    assert.equal(results.filter((r) => r.status === 200).length, 1)
    assert.ok(results.every((r) => r.status === 200 || r.body.code === 'challenge_unknown'))
  })

  test('idempotency keys hold across instances', async () => {
    const first = await new TestClient(a.url).post('/v1/passkeys/login/options', {}, { 'idempotency-key': 'across-1' })
    const retry = await new TestClient(b.url).post('/v1/passkeys/login/options', {}, { 'idempotency-key': 'across-1' })
    assert.equal(first.status, 200)
    assert.deepEqual(retry.body, first.body)
    assert.equal(retry.headers.get('idempotent-replayed'), 'true')
    // A sign-up's options hold a handle and a name: not kept, on either instance (the retry is told so).
    const body = { handle: 'idem-across', displayName: 'I' }
    assert.equal((await new TestClient(a.url).post('/v1/passkeys/register/options', body, { 'idempotency-key': 'across-2' })).status, 200)
    assert.equal((await new TestClient(b.url).post('/v1/passkeys/register/options', body, { 'idempotency-key': 'across-2' })).body.code, 'idempotency_replay_unavailable')
  })

  test('sign out everywhere on A ends the session on B; recovery codes and passkey management work on Redis', async () => {
    const auth = createSoftAuthenticator()
    const onA = new TestClient(a.url)
    await signUp(onA, auth, 'everywhere')
    const onB = new TestClient(b.url)
    assert.equal((await signIn(onB, auth)).status, 200)
    const { codes } = (await onA.post('/v1/me/recovery-codes', {})).body
    const phone = new TestClient(b.url)
    assert.equal((await phone.post('/v1/recovery/verify', { handle: 'everywhere', code: codes[0] })).body.session.kind, 'recovery')
    assert.equal((await new TestClient(a.url).post('/v1/recovery/verify', { handle: 'everywhere', code: codes[0] })).body.code, 'recovery_failed')
    assert.equal((await onA.post('/v1/sessions/logout-all')).body.ended, 3)
    assert.equal((await onB.get('/v1/me')).status, 401)
  })
})
