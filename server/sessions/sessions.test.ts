import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, signIn, type TestApp } from '../testing/index.ts'

describe('sessions', () => {
  let app: TestApp
  let n = 0
  const handle = () => `sess${++n}`
  before(async () => { app = await startTestApp() })
  after(() => app.close())

  test('cookie: HttpOnly, SameSite=Lax, Path=/, no Secure on http://localhost, 256-bit id', async () => {
    const client = new TestClient(app.url)
    const opts = await client.post('/v1/passkeys/register/options', { handle: handle(), displayName: 'x' })
    const response = await createSoftAuthenticator().register(opts.body, { origin: client.origin })
    const r = await client.post('/v1/passkeys/register/verify', { response })
    const cookie = r.headers.getSetCookie()[0]!
    assert.match(cookie, /^sigil_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/)
  })

  test('fixation: a session id held before sign-in is dead after it', async () => {
    const auth = createSoftAuthenticator()
    const client = new TestClient(app.url)
    await signUp(client, auth, handle())
    const planted = client.cookie
    assert.equal((await signIn(client, auth)).status, 200)
    assert.notEqual(client.cookie, planted)
    const attacker = new TestClient(app.url)
    attacker.cookie = planted
    assert.equal((await attacker.get('/v1/me')).status, 401)
    assert.equal((await client.get('/v1/me')).status, 200)
  })

  test('idle limit: an hour without requests ends the session', async () => {
    const client = new TestClient(app.url)
    await signUp(client, createSoftAuthenticator(), handle())
    app.clock.advance(59 * 60_000)
    assert.equal((await client.get('/v1/me')).status, 200, 'activity inside the idle window')
    app.clock.advance(59 * 60_000)
    assert.equal((await client.get('/v1/me')).status, 200, 'the previous request reset the idle timer')
    app.clock.advance(61 * 60_000)
    const r = await client.get('/v1/me')
    assert.equal(r.status, 401)
    assert.equal(r.body.code, 'unauthenticated')
  })

  test('absolute limit: 24 h after sign-in the session ends however active', async () => {
    const client = new TestClient(app.url)
    await signUp(client, createSoftAuthenticator(), handle())
    for (let i = 0; i < 24; i++) {
      app.clock.advance(59 * 60_000)
      assert.equal((await client.get('/v1/me')).status, 200, `after ${(i + 1) * 59} minutes`)
    }
    app.clock.advance(30 * 60_000) // 24 h 6 min after sign-in, 30 min idle
    assert.equal((await client.get('/v1/me')).status, 401)
  })

  test('logout ends the session; a mutation without Origin is refused (CSRF)', async () => {
    const client = new TestClient(app.url)
    await signUp(client, createSoftAuthenticator(), handle())
    const noOrigin = await client.request('POST', '/v1/sessions/logout', {}, { origin: '' })
    assert.equal(noOrigin.status, 403)
    assert.equal(noOrigin.body.code, 'origin_required')
    const evil = await client.request('POST', '/v1/sessions/logout', {}, { origin: 'https://evil.example' })
    assert.equal(evil.body.code, 'origin_forbidden')
    const cookie = client.cookie
    assert.equal((await client.post('/v1/sessions/logout')).status, 204)
    const replay = new TestClient(app.url)
    replay.cookie = cookie
    assert.equal((await replay.get('/v1/me')).status, 401)
  })

  test('list sessions, revoke one, and sign out everywhere from a second browser', async () => {
    const auth = createSoftAuthenticator()
    const first = new TestClient(app.url)
    await signUp(first, auth, handle())
    const second = new TestClient(app.url)
    assert.equal((await signIn(second, auth)).status, 200)
    const third = new TestClient(app.url)
    assert.equal((await signIn(third, auth)).status, 200)
    const list = await second.get('/v1/me/sessions')
    assert.equal(list.body.sessions.length, 3)
    assert.equal(list.body.sessions.filter((s: { current: boolean }) => s.current).length, 1)
    const thirdRef = (await third.get('/v1/me')).body.session.ref
    assert.equal((await second.delete(`/v1/me/sessions/${thirdRef}`)).status, 204)
    assert.equal((await third.get('/v1/me')).status, 401)
    const all = await second.post('/v1/sessions/logout-all')
    assert.equal(all.body.ended, 2)
    assert.equal((await first.get('/v1/me')).status, 401)
    assert.equal((await second.get('/v1/me')).status, 401)
  })

  test('access tokens: ES256 at+jwt verifiable with the JWKS, usable as Bearer, dead with the session', async () => {
    const client = new TestClient(app.url)
    await signUp(client, createSoftAuthenticator(), handle())
    const t = await client.post('/v1/sessions/token')
    assert.equal(t.status, 200)
    assert.equal(t.body.token_type, 'Bearer')
    const jwks = (await client.get('/.well-known/jwks.json')).body
    const { payload, protectedHeader } = await jwtVerify(t.body.access_token, createLocalJWKSet(jwks), {
      algorithms: ['ES256'], typ: 'at+jwt', audience: app.deps.config.publicUrl, issuer: app.deps.config.publicUrl, currentDate: new Date(app.clock.now()),
    })
    assert.equal(protectedHeader.kid, jwks.keys[0].kid)
    assert.equal(payload.exp! - payload.iat!, 300)
    const api = new TestClient(app.url, '')
    const bearer = { authorization: `Bearer ${t.body.access_token}` }
    assert.equal((await api.get('/v1/me', bearer)).status, 200)
    // An alg:none token with the same claims is refused.
    const [, body] = t.body.access_token.split('.')
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${body}.`
    assert.equal((await api.get('/v1/me', { authorization: `Bearer ${none}` })).status, 401)
    app.clock.advance(301_000)
    assert.equal((await api.get('/v1/me', bearer)).status, 401, 'expired')
    const t2 = await client.post('/v1/sessions/token')
    await client.post('/v1/sessions/logout')
    assert.equal((await api.get('/v1/me', { authorization: `Bearer ${t2.body.access_token}` })).status, 401, 'session ended')
  })

  test('a leaked access token cannot renew itself or make changes that outlive "sign out everywhere" (found in review)', async () => {
    const owner = new TestClient(app.url)
    await signUp(owner, createSoftAuthenticator(), handle())
    // Within a minute of the sign-in, so every fresh-only call would pass with the cookie.
    const token = (await owner.post('/v1/sessions/token')).body.access_token as string
    const thief = new TestClient(app.url, '')
    const bearer = { authorization: `Bearer ${token}` }
    assert.equal((await thief.get('/v1/me', bearer)).status, 200, 'the token works for API calls')
    const refused = async (method: 'post' | 'delete', path: string, body?: unknown) => {
      const r = method === 'post' ? await thief.post(path, body, bearer) : await thief.delete(path, bearer)
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`)
      assert.equal(r.body.code, 'session_cookie_required', path)
    }
    await refused('post', '/v1/sessions/token', {})
    await refused('post', '/v1/me/passkeys/options', {})
    await refused('post', '/v1/me/recovery-codes', {})
    const passkey = (await owner.get('/v1/me/passkeys')).body.passkeys[0].id as string
    await refused('delete', `/v1/me/passkeys/${encodeURIComponent(passkey)}`)
    // The owner's cookie does all of these.
    assert.equal((await owner.post('/v1/me/passkeys/options', {})).status, 200)
    assert.equal((await owner.post('/v1/me/recovery-codes', {})).status, 201)
    assert.equal((await owner.post('/v1/sessions/token')).status, 200)
  })
})
