import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { createApiClient } from '../clients/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TEST_ORIGIN, TestClient, type TestApp } from '../testing/index.ts'

/**
 * Property-based fuzzing of every operation in /openapi.json (the OAuth-style OpenID4VCI/VP endpoints included):
 * generated invalid bodies, headers and path parameters, sent as a signed-in user with every role, as an API client with every role, and anonymously. The server must answer each with a status below
 * 500 (never a crash, never a hang) and stay healthy. Bounded for CI: a few thousand requests.
 */

let app: TestApp
let cookie: string
let apiKey: string
interface Operation { method: string; path: string; hasBody: boolean }
let operations: Operation[] = []

before(async () => {
  app = await startTestApp()
  const client = new TestClient(app.url)
  const signed = await signUp(client, createSoftAuthenticator(), 'fuzzer')
  await app.deps.store.users.setRoles(signed.user.id, ['treasury', 'risk', 'policy-admin', 'compliance', 'auditor'])
  cookie = client.cookie!
  apiKey = (await createApiClient(app.deps.store, 'fuzz', ['wallet-backend', 'signing-service', 'relying-app', 'webhook-admin', 'kyc-vendor'], Date.now())).key
  const doc = await (await fetch(`${app.url}/openapi.json`)).json() as { paths: Record<string, Record<string, { requestBody?: unknown }>> }
  operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops)
    .map(([method, op]) => ({ method: method.toUpperCase(), path, hasBody: op.requestBody !== undefined })))
    // Signing out would end the session the fuzzer uses; it is exercised with bodies only below.
    .filter((o) => !(o.path.startsWith('/v1/sessions/logout')))
  // The OpenID4VCI/VP endpoints are in the document too; /nonce takes no body but gets one anyway.
  for (const o of operations) if (o.path === '/nonce') o.hasBody = true
})
after(() => app.close())

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', '\ud800', '𝕏'.repeat(50), 'a'.repeat(10_000), '../../etc/passwd', '%00', '{{7*7}}',
    '<script>', '__proto__', 'constructor', 'apr_x', 'wh_x', 'sigil_sk_x'),
  fc.double(), fc.constantFrom(1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, -0),
  fc.boolean(), fc.constant(null),
)
/** Objects with hostile keys and values, nested up to a few levels; plus very deep nesting on its own. */
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'intent', 'response',
    'handle', 'token', 'url', 'decision', 'policies', 'data', 'subjectRef')), nasty, { maxKeys: 6 }),
  fc.record({ intent: fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 5 }), signer: nasty }),
  fc.record({ response: fc.record({ id: nasty, rawId: nasty, type: nasty, response: fc.dictionary(fc.string({ maxLength: 10 }), nasty) }) }),
  fc.integer({ min: 50, max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
)

async function send(op: Operation, param: string, payload: unknown, mode: number, contentType: string): Promise<number> {
  // A lone surrogate cannot be percent-encoded by a client at all; send its replacement-character form.
  const path = op.path.replace(/\{[^}]+\}/g, encodeURIComponent(param.replace(/[\ud800-\udfff]/g, '\ufffd')))
  const headers: Record<string, string> = { origin: TEST_ORIGIN }
  if (mode === 1) headers.cookie = cookie
  if (mode === 2) headers.authorization = `Bearer ${apiKey}`
  let bodyText: string | undefined
  if (op.method !== 'GET' && op.method !== 'DELETE') {
    headers['content-type'] = contentType
    bodyText = typeof payload === 'string' && payload.startsWith('[') ? payload : JSON.stringify(payload)
  }
  const res = await fetch(app.url + path, { method: op.method, headers, body: bodyText, signal: AbortSignal.timeout(10_000) })
  await res.arrayBuffer()
  return res.status
}

async function assertFor(op: Operation, run: Promise<void>): Promise<void> {
  try {
    await run
  } catch (err) {
    throw new Error(`${op.method} ${op.path}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

test('every operation answers generated invalid input with a 4xx (or 2xx), never a 5xx or a hang', async () => {
  const statuses = new Map<number, number>()
  for (const op of operations) {
    await assertFor(op, fc.assert(fc.asyncProperty(nasty.map(String), body, fc.integer({ min: 0, max: 2 }),
      fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json'),
      async (param, payload, mode, contentType) => {
        const status = await send(op, param, payload, mode, contentType)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        return status < 500
      }), { numRuns: 40, seed: 20261125 }))
  }
  assert.ok(![...statuses.keys()].some((s) => s >= 500))
  assert.equal((await fetch(`${app.url}/healthz`)).status, 200)
  assert.equal((await fetch(`${app.url}/readyz`)).status, 200)
})

test('duplicate JSON keys, a body far too large, and odd headers are refused cleanly', async () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(app.url + path, {
    method: 'POST', headers: { origin: TEST_ORIGIN, 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, ...headers }, body })
  // Refused as such, not for some other fault of the body: JSON.parse would keep the last amount, another parser the first.
  const dup = await post('/v1/approvals', '{"signer":"a","intent":{"amount":"5000","asset":"eth","\\u0061mount":"1"}}')
  assert.equal(dup.status, 400)
  assert.deepEqual([(await dup.json()).code], ['body_malformed'])
  const nested = await post('/v1/policies/simulate', '{"intent":{"source":{"walletId":"a","walletId":"b"}}}')
  assert.equal((await nested.json()).field, 'intent.source.walletId')
  const big = await post('/v1/policies/simulate', JSON.stringify({ intent: { memo: 'x'.repeat(200_000) } }))
  assert.equal(big.status, 413)
  const weird = await post('/v1/policies/simulate', '{}', { 'content-encoding': 'br', 'idempotency-key': '\u00ff' })
  assert.ok(weird.status >= 400 && weird.status < 500)
  // Faults Express's parsers find are named too: which header, the path, or the body as a whole.
  const named = async (r: Response) => { const b = await r.json(); return [r.status, b.code, b.field, typeof b.detail] }
  assert.deepEqual(await named(big), [413, 'body_too_large', '(body)', 'string'])
  assert.deepEqual(await named(await post('/v1/policies/simulate', 'not gzip', { 'content-encoding': 'gzip' })), [400, 'request_invalid', 'content-encoding', 'string'])
  assert.deepEqual(await named(await post('/v1/policies/simulate', '{}', { 'content-type': 'application/json; charset=latin1' })), [415, 'body_encoding_unsupported', 'content-type', 'string'])
  assert.deepEqual(await named(await fetch(`${app.url}/v1/approvals/apr_%zz`, { headers: { authorization: `Bearer ${apiKey}` } })), [400, 'request_invalid', '(path)', 'string'])
  const proto = await post('/v1/policies/simulate', '{"__proto__":{"admin":true},"intent":{"constructor":{"prototype":{"x":1}}}}')
  assert.equal(proto.status, 400)
  assert.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype pollution')
})
