import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { Api } from './route.ts'
import { problemHandler } from './problem.ts'
import { startTestApp, TEST_ORIGIN } from '../testing/index.ts'
import { zEmptyRequest } from '../passkeys/index.ts'
import { putChallengeCounted } from '../rateLimits.ts'

/** Routes declaring `rateLimit: 'counted'` hand the limit to their handler; one that does not count it fails. */
test("rateLimit 'counted': the handler gets the per-client limit; a handler that does not count it fails, one that does is limited", async () => {
  const testApp = await startTestApp({ env: { SIGIL_RATE_LIMIT_PER_MINUTE: '2' } })
  const app = express()
  app.use(express.json())
  const router = express.Router()
  const api = new Api(router, testApp.deps)
  api.add({ method: 'post', path: '/forgets', operationId: 'forgets', tag: 'Test', auth: 'none', rateLimit: 'counted', summary: 'x',
    body: zEmptyRequest, handler: async ({ limit }) => ({ limitGiven: limit !== undefined }) })
  let n = 0
  api.add({ method: 'post', path: '/counts', operationId: 'counts', tag: 'Test', auth: 'none', rateLimit: 'counted', summary: 'x',
    body: zEmptyRequest, handler: async ({ deps, limit }) => {
      await putChallengeCounted(deps, { challenge: `c${++n}`.padEnd(24, 'x'), kind: 'login', expiresAt: deps.now() + 60_000 }, limit!)
      return { ok: true }
    } })
  app.use(router)
  app.use(problemHandler(testApp.deps.log))
  const server = await new Promise<import('node:http').Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const post = (p: string) => fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json', origin: TEST_ORIGIN }, body: '{}' })
  try {
    const forgot = await post('/forgets')
    assert.equal(forgot.status, 500, 'a handler that did not count its limit is a bug, not an unlimited route')
    const statuses = [(await post('/counts')).status, (await post('/counts')).status, (await post('/counts')).status]
    assert.deepEqual(statuses, [200, 200, 429])
    assert.equal(await testApp.deps.store.challenges.consume('c3'.padEnd(24, 'x')), undefined, 'the refused one stored nothing')
    assert.ok(await testApp.deps.store.challenges.consume('c2'.padEnd(24, 'x')))
  } finally {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    await testApp.close()
  }
})

test('Api.match: literal segments and :params, the first registered route wins, anything looser is left to Express', async () => {
  const testApp = await startTestApp()
  try {
    const api = new Api(express.Router(), testApp.deps)
    const route = (method: 'get' | 'post', path: string) =>
      api.add({ method, path, operationId: `${method}${path}`, tag: 'Test', auth: 'none', summary: 'x', handler: async () => ({ path }) })
    route('get', '/v1/things/:id')
    route('get', '/v1/things/list') // never reached: Express, too, would pick the :id route first
    route('post', '/v1/things/:id/parts/:part')
    route('get', '/v1/things')
    assert.deepEqual(api.match('GET', '/v1/things/t1')?.params, { id: 't1' })
    assert.equal(api.match('GET', '/v1/things/t1')?.path, '/v1/things/:id')
    assert.equal(api.match('GET', '/v1/things/list')?.path, '/v1/things/:id')
    assert.deepEqual(api.match('POST', '/v1/things/a/parts/b')?.params, { id: 'a', part: 'b' })
    assert.equal(api.match('GET', '/v1/things')?.path, '/v1/things')
    for (const [method, path] of [
      ['GET', '/v1/things/'], ['GET', '/v1/things/t1/'], ['GET', '/v1//things'], ['GET', '/V1/things'], ['GET', '/v1/things/a%20b'],
      ['HEAD', '/v1/things'], ['OPTIONS', '/v1/things'], ['POST', '/v1/things/a/parts/'], ['DELETE', '/v1/things/t1'], ['GET', 'v1/things'],
    ] as const) assert.equal(api.match(method, path), undefined, `${method} ${path} is left to Express`)
  } finally {
    await testApp.close()
  }
})

/** The direct route and Express answer a request alike: same status, problem code and security headers. */
test('an API request answered directly and the same request routed by Express get the same answer', async () => {
  const testApp = await startTestApp()
  try {
    const get = async (p: string) => {
      const res = await fetch(testApp.url + p, { headers: { origin: TEST_ORIGIN } })
      const body = await res.json() as { code?: string }
      return { status: res.status, code: body.code, type: res.headers.get('content-type'), csp: res.headers.get('content-security-policy'), id: res.headers.get('x-request-id') !== null }
    }
    // Direct: exact path. Express: a trailing slash, another case, or an encoded character, which only it accepts.
    const pairs = [['/v1/me', '/v1/me/'], ['/v1/me', '/V1/ME'], ['/v1/approvals/abc', '/v1/approvals/ab%63'], ['/v1/webhooks/x/deliveries', '/v1/Webhooks/x/deliveries/']]
    for (const [direct, viaExpress] of pairs) {
      const a = await get(direct!)
      const b = await get(viaExpress!)
      assert.deepEqual(a, b, `${direct} and ${viaExpress}`)
      assert.equal(a.status, 401)
      assert.equal(a.code, 'unauthenticated')
      assert.match(a.type ?? '', /application\/problem\+json/)
      assert.ok(a.csp?.includes("default-src 'self'"), 'helmet ran')
      assert.ok(a.id, 'request id set')
    }
    // A body Express's JSON parser refuses takes the same way to the problem handler on the direct route.
    const bad = await fetch(testApp.url + '/v1/passkeys/login/options', { method: 'POST', headers: { 'content-type': 'application/json', origin: TEST_ORIGIN }, body: '{"x":' })
    assert.equal(bad.status, 400)
    assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/)
  } finally {
    await testApp.close()
  }
})
