import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, type TestApp } from '../testing/index.ts'
import { createApiClient } from '../clients/index.ts'

describe('HTTP contract', () => {
  let app: TestApp
  before(async () => { app = await startTestApp() })
  after(() => app.close())

  test('problems are RFC 9457 with a stable code and a request id', async () => {
    const r = await new TestClient(app.url).get('/v1/nope', { 'x-request-id': 'req-123' })
    assert.equal(r.status, 404)
    assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    assert.equal(r.body.code, 'not_found')
    assert.equal(r.body.type, 'urn:sigil:problem:not_found')
    assert.equal(r.body.requestId, 'req-123')
    assert.equal(r.headers.get('x-request-id'), 'req-123')
    const unauth = await new TestClient(app.url).get('/v1/me')
    assert.equal(unauth.status, 401)
    assert.equal(unauth.body.code, 'unauthenticated')
  })

  test('security headers: strict CSP with no inline script, no sniffing, no framing', async () => {
    const r = await fetch(`${app.url}/`)
    const csp = r.headers.get('content-security-policy')!
    assert.match(csp, /script-src 'self'/)
    assert.doesNotMatch(csp, /unsafe-inline/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(r.headers.get('x-powered-by'), null)
  })

  test('Idempotency-Key: same key and body replays the first answer; another body is 422', async () => {
    const client = new TestClient(app.url)
    const account = await signUp(client, createSoftAuthenticator(), 'idem-user')
    const path = `/v1/me/passkeys/${account.credentialId}`
    const a = await client.patch(path, { name: 'Laptop' }, { 'idempotency-key': 'k-1' })
    const b = await client.patch(path, { name: 'Laptop' }, { 'idempotency-key': 'k-1' })
    assert.equal(a.status, 200)
    assert.deepEqual(b.body, a.body, 'the first answer')
    assert.equal(b.headers.get('idempotent-replayed'), 'true')
    const c = await client.patch(path, { name: 'Phone' }, { 'idempotency-key': 'k-1' })
    assert.equal(c.status, 422)
    assert.equal(c.body.code, 'idempotency_key_reused')
    const bad = await client.patch(path, { name: 'Laptop' }, { 'idempotency-key': 'x'.repeat(300) })
    assert.equal(bad.body.code, 'idempotency_key_invalid')
  })

  test('Idempotency-Key on a sign-up\'s first step: the handle, name and challenge are not kept for a day', async () => {
    const client = new TestClient(app.url)
    const body = { handle: 'idem-options', displayName: 'Dave Example' }
    const first = await client.post('/v1/passkeys/register/options', body, { 'idempotency-key': 'opt-1' })
    assert.equal(first.status, 200)
    const retry = await client.post('/v1/passkeys/register/options', body, { 'idempotency-key': 'opt-1' })
    assert.equal(retry.status, 409)
    assert.equal(retry.body.code, 'idempotency_replay_unavailable')
  })

  test('Idempotency-Key on a response holding secrets shown once: the retry is refused, not replayed', async () => {
    const client = new TestClient(app.url)
    await signUp(client, createSoftAuthenticator(), 'idem-secret')
    const first = await client.post('/v1/me/recovery-codes', {}, { 'idempotency-key': 'codes-1' })
    assert.equal(first.status, 201)
    const retry = await client.post('/v1/me/recovery-codes', {}, { 'idempotency-key': 'codes-1' })
    assert.equal(retry.status, 409)
    assert.equal(retry.body.code, 'idempotency_replay_unavailable')
    assert.equal((await client.get('/v1/me')).body.recoveryCodesRemaining, 10, 'the codes were not regenerated')
  })

  test('health, readiness, metrics, JWKS and related origins', async () => {
    const c = new TestClient(app.url)
    assert.deepEqual((await c.get('/healthz')).body, { status: 'ok' })
    assert.deepEqual((await c.get('/readyz')).body, { status: 'ready', store: 'sqlite' })
    await signUp(c, createSoftAuthenticator(), 'metrics-user')
    const metrics = await c.get('/metrics')
    assert.match(metrics.body, /sigil_ceremonies_total\{ceremony="register",outcome="ok"\} \d+/)
    assert.match(metrics.body, /sigil_http_request_duration_seconds_bucket\{.*route="\/v1\/passkeys\/register\/verify"/)
    const jwks = await c.get('/.well-known/jwks.json')
    assert.match(jwks.headers.get('content-type')!, /^application\/jwk-set\+json/)
    assert.equal(jwks.body.keys[0].alg, 'ES256')
    assert.equal(jwks.body.keys[0].d, undefined, 'no private part')
    assert.deepEqual((await c.get('/.well-known/webauthn')).body, { origins: ['http://localhost:8080'] })
  })

  test('/openapi.json documents every route, with request schemas from the validators', async () => {
    const doc = (await new TestClient(app.url).get('/openapi.json')).body
    assert.equal(doc.openapi, '3.1.0')
    const ops = Object.entries(doc.paths).flatMap(([p, o]) => Object.keys(o as object).map((m) => `${m} ${p}`))
    for (const expected of ['post /v1/passkeys/register/options', 'post /v1/passkeys/login/verify', 'delete /v1/me/passkeys/{id}',
      'patch /v1/me/passkeys/{id}', 'post /v1/me/recovery-codes', 'post /v1/recovery/verify', 'post /v1/sessions/logout', 'get /v1/me/sessions']) {
      assert.ok(ops.includes(expected), expected)
    }
    const reg = doc.paths['/v1/passkeys/register/options'].post
    assert.deepEqual(reg.requestBody.content['application/json'].schema.required.sort(), ['displayName', 'handle'])
    assert.ok(reg.parameters.some((p: { name: string }) => p.name === 'Idempotency-Key'))
    const docs = await fetch(`${app.url}/docs/`)
    assert.equal(docs.status, 200)
    assert.match(await docs.text(), /Sigil API/)
  })

  test('/openapi.json is true to the code: query parameters, Origin, 5xx, problem extension members, secret answers', async () => {
    const doc = (await new TestClient(app.url).get('/openapi.json')).body
    const list = doc.paths['/v1/approvals'].get
    assert.deepEqual(list.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name), ['scope', 'limit'])
    const webhookLog = doc.paths['/v1/webhooks/{id}/deliveries'].get.parameters.filter((p: { in: string }) => p.in === 'query')
    assert.deepEqual(webhookLog.map((p: { name: string }) => p.name), ['state', 'limit'])
    // The KYC subject reference opens sealed data: it goes in a body, never a query string a proxy logs.
    assert.equal(doc.paths['/v1/kyc/credentials'], undefined)
    assert.deepEqual(doc.paths['/v1/kyc/credentials/search'].post.requestBody.content['application/json'].schema.required, ['subjectRef'])
    assert.deepEqual(doc.paths['/v1/audit'].get.responses['200'].content, { 'application/x-ndjson': {} })
    // Sign-in needs an Origin even from a non-browser client, and says so; an API-key call does not list it.
    const origin = doc.paths['/v1/passkeys/login/options'].post.parameters.find((p: { name: string }) => p.name === 'Origin')
    assert.equal(origin?.required, true)
    assert.ok(!doc.paths['/v1/approvals'].post.parameters?.some((p: { name: string }) => p.name === 'Origin'))
    const noOrigin = await fetch(`${app.url}/v1/passkeys/login/options`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(noOrigin.status, 403)
    assert.match(doc.paths['/v1/passkeys/login/options'].post.responses['4XX'].description, /origin_required/)
    assert.match(doc.paths['/v1/passkeys/login/options'].post.responses['5XX'].description, /store_unavailable, overloaded, internal/)
    assert.doesNotMatch(doc.paths['/v1/passkeys/login/options'].post.responses['4XX'].description, /internal/)
    assert.doesNotMatch(doc.paths['/v1/me'].get.responses['4XX'].description, /idempotency|origin_/, 'a GET lists no body, CSRF or idempotency codes')
    assert.match(doc.paths['/v1/me/passkeys'].get.responses['4XX'].description, /recovery_session_restricted/)
    assert.equal(doc.paths['/v1/me/passkeys/verify'].post['x-sigil-recovery-session'], true)
    const tokenKey = doc.paths['/v1/sessions/token'].post.parameters.find((p: { name: string }) => p.name === 'Idempotency-Key')
    assert.match(tokenKey.description, /idempotency_replay_unavailable/)
    assert.match(doc.paths['/v1/sessions/token'].post.responses['4XX'].description, /idempotency_replay_unavailable/)
    // A real problem with an extension member fits the published Problem schema (extra members allowed).
    const problem = doc.components.schemas.Problem
    assert.deepEqual(problem.additionalProperties, {})
    for (const member of ['errors', 'retryAfter', 'maxAgeSeconds', 'credentialId', 'reason', 'refused', 'credentialStatus']) assert.ok(problem.properties[member], member)
  })

  test('HEAD and OPTIONS on the API: 405 and 204, each with the Allow the path really has', async () => {
    const c = new TestClient(app.url)
    const head = await c.request('HEAD', '/v1/passkeys/login/options')
    assert.equal(head.status, 405)
    assert.equal(head.headers.get('allow'), 'POST')
    assert.equal((await c.request('HEAD', '/v1/me')).headers.get('allow'), 'GET')
    const options = await c.request('OPTIONS', '/v1/me/passkeys/abc')
    assert.equal(options.status, 204)
    assert.equal(options.headers.get('allow'), 'PATCH, DELETE, OPTIONS')
    assert.equal((await c.request('OPTIONS', '/v1/no-such-thing')).status, 404)
  })

  test('API keys: hashed at rest, roles reported, revoked keys refused', async () => {
    const { client, key } = await createApiClient(app.deps.store, 'wallet', ['wallet-backend'], app.clock.now())
    assert.ok(!JSON.stringify(await app.deps.store.apiClients.get(client.id)).includes(key), 'only the hash is stored')
    const api = new TestClient(app.url, '')
    const me = await api.get('/v1/clients/me', { authorization: `Bearer ${key}` })
    assert.equal(me.status, 200)
    assert.deepEqual(me.body.roles, ['wallet-backend'])
    assert.equal((await api.get('/v1/clients/me', { authorization: `Bearer ${key}x` })).status, 401)
    await app.deps.store.apiClients.revoke(client.id, app.clock.now())
    assert.equal((await api.get('/v1/clients/me', { authorization: `Bearer ${key}` })).status, 401)
  })
})

test('SIGIL_METRICS_TOKEN: metrics only for the scraper bearing it', async () => {
  const token = 'scrape-0123456789abcdefghijklmnop'
  const app = await startTestApp({ env: { SIGIL_METRICS_TOKEN: token } })
  try {
    const c = new TestClient(app.url)
    const none = await c.get('/metrics')
    assert.equal(none.status, 401)
    assert.equal(none.body.code, 'unauthenticated')
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"')
    assert.equal((await c.get('/metrics', { authorization: `Bearer ${token}x` })).status, 401)
    assert.equal((await c.get('/metrics', { authorization: token })).status, 401, 'the Bearer scheme is part of it')
    const ok = await c.get('/metrics', { authorization: `Bearer ${token}` })
    assert.equal(ok.status, 200)
    assert.match(ok.body as string, /sigil_http_request_duration_seconds/)
    assert.equal((await c.get('/healthz')).status, 200, 'probes stay open')
  } finally {
    await app.close()
  }
})

describe('rate limits on ceremony endpoints', () => {
  let app: TestApp
  before(async () => { app = await startTestApp({ env: { SIGIL_RATE_LIMIT_PER_MINUTE: '5' } }) })
  after(() => app.close())

  test('per IP, counted in the store, with Retry-After; a new window opens after a minute', async () => {
    const c = new TestClient(app.url)
    const statuses = []
    for (let i = 0; i < 7; i++) statuses.push((await c.post('/v1/passkeys/login/options', {})).status)
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429])
    const r = await c.post('/v1/passkeys/login/options', {})
    assert.equal(r.body.code, 'rate_limited')
    assert.ok(Number(r.headers.get('retry-after')) >= 1)
    app.clock.advance(60_000)
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200)
  })
})
