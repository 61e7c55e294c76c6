import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, signIn, TEST_ORIGIN, type TestApp } from '../testing/index.ts'
import { createApiClient } from '../clients/index.ts'
import { loadConfig } from '../config.ts'

/** Regressions for problems found in review: each test is named after the attack it stops. */
describe('regressions', () => {
  let app: TestApp
  before(async () => { app = await startTestApp({ env: { SIGIL_TRUST_PROXY: '1', SIGIL_RELATED_ORIGINS: 'https://login.localhost' } }) })
  after(() => app.close())
  const from = (ip: string) => ({ 'x-forwarded-for': ip })

  test('metrics cardinality: unmatched paths never become labels or log fields', async () => {
    const c = new TestClient(app.url)
    for (let i = 0; i < 20; i++) await c.request('POST', `/junk-${i}-token=SECRET`, '{', { 'content-type': 'application/json' })
    const metrics = (await c.get('/metrics')).body as string
    assert.doesNotMatch(metrics, /junk-|SECRET/)
    assert.match(metrics, /route="\(other\)"/)
  })

  test('metrics and request logs name probes, the docs and the web app by a fixed label, never "(other)" or a file path', async () => {
    const c = new TestClient(app.url)
    for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json', '/openapi.json', '/docs/', '/', '/index.html']) await c.get(path)
    const metrics = (await c.get('/metrics')).body as string
    const routes = new Set([...metrics.matchAll(/sigil_http_request_duration_seconds_count\{method="GET",route="([^"]*)"/g)].map((m) => m[1]))
    for (const label of ['/healthz', '/readyz', '/.well-known/jwks.json', '/openapi.json', '/docs (static)', '(web app)']) assert.ok(routes.has(label), `${label} in ${[...routes].join(', ')}`)
    assert.doesNotMatch(metrics, /route="[^"]*index\.html"/)
  })

  test('rate-limit counters keep no client address and no typed handle readable in the store', async () => {
    const seen: string[] = []
    const { rateLimits, challenges } = app.deps.store
    const hit = rateLimits.hit.bind(rateLimits)
    const putCounted = challenges.putCounted.bind(challenges)
    rateLimits.hit = (key, windowMs, now) => { seen.push(key); return hit(key, windowMs, now) }
    challenges.putCounted = (ceremony, limit) => { seen.push(limit.key); return putCounted(ceremony, limit) }
    try {
      const c = new TestClient(app.url)
      await c.post('/v1/passkeys/login/options', {}, from('203.0.113.77'))
      const r = await c.post('/v1/recovery/verify', { handle: 'nobody-typed-this', code: 'AAAA-BBBB-CCCC-DDDD' }, from('203.0.113.77'))
      assert.equal(r.status, 401)
    } finally {
      rateLimits.hit = hit
      challenges.putCounted = putCounted
    }
    assert.ok(seen.length >= 3, seen.join(', '))
    for (const key of seen) {
      assert.doesNotMatch(key, /203\.0\.113|nobody-typed-this/)
      assert.match(key, /^rl:[A-Za-z0-9_-]{32}$/)
    }
  })

  test('anonymous idempotency keys are the caller\'s: another client with the same key gets neither the answer nor a 422', async () => {
    const first = await new TestClient(app.url).post('/v1/passkeys/login/options', {}, { 'idempotency-key': 'retry-1', ...from('198.51.100.7') })
    assert.equal(first.status, 200)
    const retry = await new TestClient(app.url).post('/v1/passkeys/login/options', {}, { 'idempotency-key': 'retry-1', ...from('198.51.100.7') })
    assert.equal(retry.headers.get('idempotent-replayed'), 'true')
    assert.equal(retry.body.challenge, first.body.challenge, 'the same caller retrying gets its answer')
    const stranger = await new TestClient(app.url).post('/v1/passkeys/login/options', {}, { 'idempotency-key': 'retry-1', ...from('203.0.113.9') })
    assert.equal(stranger.status, 200)
    assert.equal(stranger.headers.get('idempotent-replayed'), null)
    assert.notEqual(stranger.body.challenge, first.body.challenge, 'not the first caller\'s challenge')
    // Another body (other bytes) under the same key from another client: its own request, not a 422.
    const other = await new TestClient(app.url).request('POST', '/v1/passkeys/login/options', '{ }', { 'content-type': 'application/json', origin: TEST_ORIGIN, 'idempotency-key': 'retry-1', ...from('192.0.2.44') })
    assert.equal(other.status, 200, 'no 422 telling it someone used the key')
    const sameCallerOtherBody = await new TestClient(app.url).request('POST', '/v1/passkeys/login/options', '{ }', { 'content-type': 'application/json', origin: TEST_ORIGIN, 'idempotency-key': 'retry-1', ...from('198.51.100.7') })
    assert.equal(sameCallerOtherBody.status, 422, 'the first caller reusing its key for other bytes is told')
  })

  test('recovery lock-out: a stranger failing from many addresses does not keep the owner (with a valid code) out', async () => {
    const owner = new TestClient(app.url)
    const h = 'lockout-owner'
    await signUp(owner, createSoftAuthenticator(), h)
    const { codes } = (await owner.post('/v1/me/recovery-codes', {})).body
    for (let ip = 1; ip <= 12; ip++) {
      for (let i = 0; i < 5; i++) {
        const r = await new TestClient(app.url).post('/v1/recovery/verify', { handle: h, code: 'AAAA-BBBB-CCCC-DDDD' }, from(`198.51.100.${ip}`))
        assert.equal(r.status, 401)
      }
    }
    const mine = await new TestClient(app.url).post('/v1/recovery/verify', { handle: h, code: codes[0] }, from('192.0.2.200'))
    assert.equal(mine.status, 200, JSON.stringify(mine.body))
  })

  test('deeply nested JSON with an Idempotency-Key: a 4xx, never a 500', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000)
    const body = `{"response":{"id":"a","rawId":"a","type":"public-key","response":{"clientDataJSON":"a","authenticatorData":"a","signature":"a"},"clientExtensionResults":{"x":${deep}}}}`
    const r = await new TestClient(app.url).request('POST', '/v1/passkeys/login/verify', body, { 'content-type': 'application/json', 'idempotency-key': 'deep-1' })
    assert.ok(r.status >= 400 && r.status < 500, String(r.status))
    assert.equal((await new TestClient(app.url).get('/healthz')).status, 200)
  })

  test('idempotent replay of a sign-in: refused, never a success without a session or another user profile', async () => {
    const auth = createSoftAuthenticator()
    await signUp(new TestClient(app.url), auth, 'replay-idem')
    const c = new TestClient(app.url)
    const opts = await c.post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })
    assert.equal((await c.post('/v1/passkeys/login/verify', { response }, { 'idempotency-key': 'login-1' })).status, 200)
    const stranger = await new TestClient(app.url).post('/v1/passkeys/login/verify', { response }, { 'idempotency-key': 'login-1' })
    assert.equal(stranger.status, 409)
    assert.equal(stranger.body.code, 'idempotency_replay_unavailable')
    assert.equal(stranger.body.user, undefined)
  })

  test('recovery lock-out: a stranger guessing codes from another address cannot block the owner', async () => {
    const c = new TestClient(app.url)
    await signUp(c, createSoftAuthenticator(), 'lockout')
    const { codes } = (await c.post('/v1/me/recovery-codes', {})).body
    for (let i = 0; i < 6; i++) await new TestClient(app.url).post('/v1/recovery/verify', { handle: 'lockout', code: 'AAAA-BBBB-CCCC-DDDD' }, from('203.0.113.7'))
    const blocked = await new TestClient(app.url).post('/v1/recovery/verify', { handle: 'lockout', code: 'AAAA-BBBB-CCCC-DDDD' }, from('203.0.113.7'))
    assert.equal(blocked.status, 429)
    const owner = await new TestClient(app.url).post('/v1/recovery/verify', { handle: 'lockout', code: codes[0] }, from('198.51.100.2'))
    assert.equal(owner.status, 200)
  })

  test('IPv6 rotation inside one /64 does not escape the per-IP limit', async () => {
    const limited = await startTestApp({ env: { SIGIL_TRUST_PROXY: '1', SIGIL_RATE_LIMIT_PER_MINUTE: '3' } })
    try {
      const statuses = []
      for (let i = 1; i <= 5; i++) statuses.push((await new TestClient(limited.url).post('/v1/passkeys/login/options', {}, from(`2001:db8:1:2::${i}`))).status)
      assert.deepEqual(statuses, [200, 200, 200, 429, 429])
      assert.equal((await new TestClient(limited.url).post('/v1/passkeys/login/options', {}, from('2001:db8:1:3::1'))).status, 200)
    } finally {
      await limited.close()
    }
  })

  test('discoverable sign-in without userHandle is refused', async () => {
    const auth = createSoftAuthenticator()
    await signUp(new TestClient(app.url), auth, 'no-handle')
    const r = await signIn(new TestClient(app.url), auth, { tamper: { userHandle: null } })
    assert.equal(r.body.code, 'user_handle_missing')
  })

  test('login CSRF: an API key does not excuse sign-in from the Origin check', async () => {
    const { key } = await createApiClient(app.deps.store, 'x', ['relying-app'], app.clock.now())
    const r = await new TestClient(app.url, 'https://evil.example').post('/v1/passkeys/login/options', {}, { authorization: `Bearer ${key}` })
    assert.equal(r.status, 403)
    assert.equal(r.body.code, 'origin_forbidden')
  })

  test('a role granted later: passkeys that miss its attestation policy stop signing in', async () => {
    const auth = createSoftAuthenticator({ backupEligible: true })
    const account = await signUp(new TestClient(app.url), auth, 'promoted')
    await app.deps.store.users.setRoles(account.user.id, ['compliance'])
    const r = await signIn(new TestClient(app.url), auth)
    assert.equal(r.status, 403)
    assert.equal(r.body.code, 'attestation_policy_violation')
  })

  test('related origins published at /.well-known/webauthn are accepted in ceremonies', async () => {
    const c = new TestClient(app.url, 'https://login.localhost')
    const opts = await c.post('/v1/passkeys/register/options', { handle: 'related', displayName: 'R' })
    const response = await createSoftAuthenticator().register(opts.body, { origin: 'https://login.localhost' })
    assert.equal((await c.post('/v1/passkeys/register/verify', { response })).status, 201)
  })

  test('API use through an access token counts as activity for the idle limit', async () => {
    const c = new TestClient(app.url)
    await signUp(c, createSoftAuthenticator(), 'api-user')
    const bearer = async () => ({ authorization: `Bearer ${(await c.post('/v1/sessions/token')).body.access_token}` })
    const api = new TestClient(app.url, '')
    for (let i = 0; i < 3; i++) {
      const h = await bearer()
      app.clock.advance(4 * 60_000)
      assert.equal((await api.get('/v1/me', h)).status, 200)
      app.clock.advance(55 * 60_000) // 59 min since the last use of the session
    }
    assert.equal((await c.get('/v1/me')).status, 200, 'the cookie session is alive after 3 h of API use')
  })

  test('display names: NFC-normalised; bidi overrides, lone surrogates and line separators refused; emoji kept', async () => {
    const c = new TestClient(app.url)
    for (const bad of ['a\u202Eb', 'a\uD800b', 'a\u2028b']) {
      const r = await c.post('/v1/passkeys/register/options', { handle: 'uni-bad', displayName: bad })
      assert.equal(r.body.field, 'displayName', JSON.stringify(bad))
    }
    const ok = await c.post('/v1/passkeys/register/options', { handle: 'uni-ok', displayName: 'Zoe\u0301 👨‍👩‍👧' })
    assert.equal(ok.body.user.displayName, 'Zoé 👨‍👩‍👧')
  })

  test('failed ceremonies are counted by outcome', async () => {
    await new TestClient(app.url).post('/v1/passkeys/login/verify', { response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'YWJj', authenticatorData: 'YQ', signature: 'YQ', userHandle: 'YQ' } } })
    const metrics = (await new TestClient(app.url).get('/metrics')).body as string
    assert.match(metrics, /sigil_ceremonies_total\{ceremony="login",outcome="client_data_malformed"\} [1-9]/)
  })

  test('SIGIL_TRUST_PROXY=yes is a configuration error, not a crash', () => {
    assert.throws(() => loadConfig({ SIGIL_TRUST_PROXY: 'yes' }), /SIGIL_TRUST_PROXY/)
  })
})
