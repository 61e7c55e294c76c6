import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createSoftAuthenticator, signUp, startTestApp, TestClient, type TestApp } from '../testing/index.ts'

/** Sessions on an https deployment, where the cookie gets its strongest form. */
const ORIGIN = 'https://sigil.test'
let app: TestApp
before(async () => { app = await startTestApp({ env: { SIGIL_ORIGINS: ORIGIN, SIGIL_RP_ID: 'sigil.test' } }) })
after(() => app.close())

test('Session cookie flags: on https the cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax, Path=/, without Domain; sign-out clears it the same way', async () => {
  const client = new TestClient(app.url, ORIGIN)
  const opts = await client.post('/v1/passkeys/register/options', { handle: 'cookie-flags', displayName: 'C' })
  const response = await createSoftAuthenticator().register(opts.body, { origin: ORIGIN })
  const r = await client.post('/v1/passkeys/register/verify', { response })
  assert.equal(r.status, 201, JSON.stringify(r.body))
  const [cookie, ...others] = r.headers.getSetCookie()
  assert.deepEqual(others, [], 'one cookie')
  // __Host- (RFC 6265bis §4.1.3.2): Secure, Path=/ and no Domain, so no sibling subdomain can set or shadow it.
  assert.match(cookie!, /^__Host-sigil_session=[A-Za-z0-9_-]{43}; /)
  const attrs = cookie!.split('; ').slice(1).map((a) => a.split('=')[0]!.toLowerCase())
  for (const want of ['path', 'httponly', 'samesite', 'secure', 'max-age']) assert.ok(attrs.includes(want), `${want} in ${cookie}`)
  assert.ok(!attrs.includes('domain'), cookie)
  assert.match(cookie!, /; Path=\/(;|$)/)
  assert.match(cookie!, /; SameSite=Lax(;|$)/)
  assert.equal((await client.get('/v1/me')).status, 200)

  const out = await client.post('/v1/sessions/logout')
  assert.ok(out.status < 300, String(out.status))
  const cleared = out.headers.getSetCookie()[0]!
  assert.match(cleared, /^__Host-sigil_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax; Secure$/)
})

test('Session cookie tossing: on https a session id planted under the unprefixed cookie name is ignored', async () => {
  const victim = new TestClient(app.url, ORIGIN)
  await signUp(victim, createSoftAuthenticator(), 'cookie-toss')
  const id = victim.cookie!.slice(victim.cookie!.indexOf('=') + 1)
  // A sibling subdomain or a man-in-the-middle on http can set `sigil_session`, never `__Host-sigil_session`.
  const tossed = new TestClient(app.url, ORIGIN)
  tossed.cookie = `sigil_session=${id}`
  assert.equal((await tossed.get('/v1/me')).status, 401)
  assert.equal((await victim.get('/v1/me')).status, 200, 'the real cookie works')
})

test('CSRF: a cookie-authenticated mutation from another origin, a null origin or without Origin is refused and changes nothing', async () => {
  const browser = new TestClient(app.url, ORIGIN)
  await signUp(browser, createSoftAuthenticator(), 'csrf-victim')
  const before = (await browser.get('/v1/me/passkeys')).body.passkeys
  for (const origin of ['https://evil.example', 'https://sigil.test.evil.example', 'http://sigil.test', 'null', '']) {
    const forged = new TestClient(app.url, origin)
    forged.cookie = browser.cookie
    for (const [method, path, body] of [['PATCH', `/v1/me/passkeys/${before[0].id}`, { name: 'pwned' }], ['POST', '/v1/sessions/logout', {}], ['POST', '/v1/me/recovery-codes', {}]] as const) {
      const r = await forged.request(method, path, body, origin === '' ? { origin: '' } : {})
      assert.equal(r.status, 403, `${method} ${path} from ${JSON.stringify(origin)}: ${r.status} ${JSON.stringify(r.body)}`)
      assert.match(r.body.code, /^origin_(required|forbidden)$/)
    }
  }
  assert.equal((await browser.get('/v1/me')).status, 200, 'still signed in')
  assert.deepEqual((await browser.get('/v1/me/passkeys')).body.passkeys, before, 'nothing renamed')
})
