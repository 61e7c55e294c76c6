import { test, describe, before, after, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, type TestApp } from '../testing/index.ts'

describe('registration over HTTP', () => {
  let app: TestApp
  let n = 0
  const handle = () => `user${++n}`
  before(async () => { app = await startTestApp() })
  after(() => app.close())
  afterEach(async () => {
    // The server stays healthy after every attack.
    assert.equal((await new TestClient(app.url).get('/healthz')).status, 200)
  })

  for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
    test(`creates an account with an ${alg} passkey and signs in`, async () => {
      const client = new TestClient(app.url)
      const done = await signUp(client, createSoftAuthenticator({ alg }), handle(), 'Ada Lovelace')
      assert.equal(done.user.displayName, 'Ada Lovelace')
      assert.equal(done.session.kind, 'full')
      const me = await client.get('/v1/me')
      assert.equal(me.status, 200)
      assert.equal(me.body.passkeyCount, 1)
    })
  }

  test('options demand a discoverable credential, user verification, our algorithms and give hints', async () => {
    const r = await new TestClient(app.url).post('/v1/passkeys/register/options', { handle: handle(), displayName: 'X' })
    assert.equal(r.status, 200)
    assert.equal(r.body.authenticatorSelection.residentKey, 'required')
    assert.equal(r.body.authenticatorSelection.userVerification, 'required')
    assert.deepEqual(r.body.pubKeyCredParams.map((p: { alg: number }) => p.alg), [-7, -8, -257])
    assert.equal(r.body.attestation, 'none')
    assert.ok(Array.isArray(r.body.hints) && r.body.hints.length > 0)
    assert.equal(r.body.rp.id, 'localhost')
    assert.notEqual(r.body.user.name, r.body.user.id, 'user.id carries no PII')
  })

  test('a taken handle is refused (case-insensitively)', async () => {
    const h = handle()
    await signUp(new TestClient(app.url), createSoftAuthenticator(), h)
    const r = await new TestClient(app.url).post('/v1/passkeys/register/options', { handle: h.toUpperCase(), displayName: 'Y' })
    assert.equal(r.status, 409)
    assert.equal(r.body.code, 'handle_unavailable')
    assert.equal(r.body.field, 'handle')
  })

  test('two sign-ups racing for one handle: one account, one 409', async () => {
    const h = handle()
    const clients = [new TestClient(app.url), new TestClient(app.url)]
    const opts = await Promise.all(clients.map((c) => c.post('/v1/passkeys/register/options', { handle: h, displayName: 'Z' })))
    const responses = await Promise.all(opts.map((o) => createSoftAuthenticator().register(o.body, { origin: clients[0]!.origin })))
    const results = await Promise.all(responses.map((response, i) => clients[i]!.post('/v1/passkeys/register/verify', { response })))
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409])
  })

  test('the challenge verifies once', async () => {
    const client = new TestClient(app.url)
    const opts = await client.post('/v1/passkeys/register/options', { handle: handle(), displayName: 'X' })
    const response = await createSoftAuthenticator().register(opts.body, { origin: client.origin })
    assert.equal((await client.post('/v1/passkeys/register/verify', { response })).status, 201)
    const again = await client.post('/v1/passkeys/register/verify', { response })
    assert.equal(again.status, 400)
    assert.equal(again.body.code, 'challenge_unknown')
  })

  test('an expired challenge is refused', async () => {
    const client = new TestClient(app.url)
    const opts = await client.post('/v1/passkeys/register/options', { handle: handle(), displayName: 'X' })
    const response = await createSoftAuthenticator().register(opts.body, { origin: client.origin })
    app.clock.advance(301_000)
    const r = await client.post('/v1/passkeys/register/verify', { response })
    assert.equal(r.body.code, 'challenge_expired')
  })

  test('a login challenge cannot complete a registration (bound to its ceremony)', async () => {
    const client = new TestClient(app.url)
    const login = await client.post('/v1/passkeys/login/options', {})
    const reg = await client.post('/v1/passkeys/register/options', { handle: handle(), displayName: 'X' })
    const response = await createSoftAuthenticator().register({ ...reg.body, challenge: login.body.challenge }, { origin: client.origin })
    const r = await client.post('/v1/passkeys/register/verify', { response })
    assert.equal(r.status, 400)
    assert.equal(r.body.code, 'challenge_unknown')
  })

  const attacks: [string, Parameters<ReturnType<typeof createSoftAuthenticator>['register']>[1], string][] = [
    ['wrong origin', { origin: 'https://evil.example' }, 'origin_mismatch'],
    ['wrong rpIdHash', { origin: 'http://localhost:8080', tamper: { rpId: 'evil.example' } }, 'rp_id_mismatch'],
    ['UP=0', { origin: 'http://localhost:8080', tamper: { up: false } }, 'user_presence_required'],
    ['UV=0', { origin: 'http://localhost:8080', tamper: { uv: false } }, 'user_verification_required'],
    ['clientData type webauthn.get', { origin: 'http://localhost:8080', tamper: { type: 'webauthn.get' } }, 'client_data_type_mismatch'],
    ['id differs from rawId', { origin: 'http://localhost:8080', tamper: { idMismatch: true } }, 'credential_id_mismatch'],
  ]
  for (const [name, ctx, code] of attacks) {
    test(`refuses a registration with ${name}`, async () => {
      const client = new TestClient(app.url)
      const opts = await client.post('/v1/passkeys/register/options', { handle: handle(), displayName: 'X' })
      const response = await createSoftAuthenticator().register(opts.body, ctx)
      const r = await client.post('/v1/passkeys/register/verify', { response })
      assert.equal(r.status, 400)
      assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8')
      assert.equal(r.body.code, code)
      assert.equal((await client.get('/v1/me')).status, 401, 'no session')
    })
  }

  test('malformed input gets a 4xx naming the field', async () => {
    const client = new TestClient(app.url)
    const opts = await client.post('/v1/passkeys/register/options', { handle: handle(), displayName: 'X' })
    const good = await createSoftAuthenticator().register(opts.body, { origin: client.origin })
    const cases: [unknown, string][] = [
      [{ response: { ...good, rawId: 'not base64url!' } }, 'response.rawId'],
      [{ response: { ...good, response: { ...good.response, clientDataJSON: 42 } } }, 'response.response.clientDataJSON'],
      [{ response: { ...good, type: 'password' } }, 'response.type'],
      [{ handle: 'x' }, 'response'],
    ]
    for (const [body, field] of cases) {
      const r = await client.post('/v1/passkeys/register/verify', body)
      assert.equal(r.status, 400, JSON.stringify(r.body))
      assert.equal(r.body.code, 'request_invalid')
      assert.ok(r.body.errors.some((e: { field: string }) => e.field === field), `${field} in ${JSON.stringify(r.body.errors)}`)
    }
    // Truncated CBOR in the attestation object.
    const truncated = { ...good, response: { ...good.response, attestationObject: good.response.attestationObject.slice(0, 40) } }
    const r = await client.post('/v1/passkeys/register/verify', { response: truncated })
    assert.equal(r.status, 400)
    // The ceremony was consumed by that attempt: a retry must start again.
    assert.equal((await client.post('/v1/passkeys/register/verify', { response: good })).body.code, 'challenge_unknown')
    // Garbage client data.
    const cd = await client.post('/v1/passkeys/register/verify', { response: { ...good, response: { ...good.response, clientDataJSON: 'AAAA' } } })
    assert.equal(cd.body.code, 'client_data_malformed')
  })

  test('bad bodies: invalid JSON, wrong content type, oversized, unknown fields', async () => {
    const client = new TestClient(app.url)
    const bad = await client.request('POST', '/v1/passkeys/register/options', '{"handle":', { 'content-type': 'application/json' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.code, 'body_malformed')
    const ct = await client.request('POST', '/v1/passkeys/register/options', 'handle=x', { 'content-type': 'application/x-www-form-urlencoded' })
    assert.equal(ct.status, 415)
    assert.equal(ct.body.code, 'content_type_unsupported')
    const big = await client.post('/v1/passkeys/register/options', { handle: 'abc', displayName: 'x'.repeat(100_000) })
    assert.equal(big.status, 413)
    assert.equal(big.body.code, 'body_too_large')
    const extra = await client.post('/v1/passkeys/register/options', { handle: 'abcd', displayName: 'x', admin: true })
    assert.equal(extra.status, 400)
    assert.equal(extra.body.field, 'admin', 'an unknown member is named')
    const types = await client.post('/v1/passkeys/register/options', { handle: 12, displayName: ['x'] })
    assert.deepEqual(types.body.errors.map((e: { field: string }) => e.field).sort(), ['displayName', 'handle'])
  })
})
