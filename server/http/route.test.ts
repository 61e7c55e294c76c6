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
