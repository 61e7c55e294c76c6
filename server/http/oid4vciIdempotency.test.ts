import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createOffer, ISSUER, makeHolder, nonce, startKycWorld, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

// Idempotency-Key on the wallet-facing endpoints (OpenID4VCI /token, /nonce, /credential): accepted like on every
// other mutating call. Their answers hold a secret or the credential, so none is kept: a retry after the first went
// through is told so (409) instead of running twice or failing as a reused code. Real SQLite, real signatures.

let w: KycWorld
before(async () => { w = await startKycWorld() })
after(() => w.close())

const GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code'
const codeOf = (o: { offer: any }): string => o.offer.grants[GRANT]['pre-authorized_code']

const post = (path: string, key: string | undefined, body: { form?: Record<string, string>; json?: unknown } = {}, headers: Record<string, string> = {}) =>
  fetch(`${w.app.url}${path}`, {
    method: 'POST',
    headers: {
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...(body.form ? { 'content-type': 'application/x-www-form-urlencoded' } : body.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body.form ? new URLSearchParams(body.form) : body.json !== undefined ? JSON.stringify(body.json) : undefined,
  })

async function expectProblem(res: Response, status: number, code: string) {
  const body = await res.json()
  assert.equal(res.status, status, JSON.stringify(body))
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/)
  assert.equal(body.code, code, JSON.stringify(body))
  return body
}

test('/token with Idempotency-Key: runs once; a retry is 409 replay unavailable (not invalid_grant); another body is 422', async () => {
  const o = await createOffer(w, await submitSubject(w))
  const form = { grant_type: GRANT, 'pre-authorized_code': codeOf(o) }
  const first = await post('/token', 'tok-1', { form })
  const token = await first.json()
  assert.equal(first.status, 200, JSON.stringify(token))
  assert.equal(typeof token.access_token, 'string')
  await expectProblem(await post('/token', 'tok-1', { form }), 409, 'idempotency_replay_unavailable')
  await expectProblem(await post('/token', 'tok-1', { form: { ...form, tx_code: '123456' } }), 422, 'idempotency_key_reused')
  // Without a key the code is simply spent, as before.
  const spent = await post('/token', undefined, { form })
  assert.equal(spent.status, 400)
  assert.equal((await spent.json()).error, 'invalid_grant')
  // The same key on another wallet's code is another key: scopes are per code.
  const other = await createOffer(w, await submitSubject(w))
  const r = await post('/token', 'tok-1', { form: { grant_type: GRANT, 'pre-authorized_code': codeOf(other) } })
  assert.equal(r.status, 200, await r.text())
})

test('/nonce and /credential with Idempotency-Key: one credential per request; retries are told it went through', async () => {
  const n = await post('/nonce', 'n-1')
  assert.equal(n.status, 200)
  assert.equal(typeof (await n.json()).c_nonce, 'string')
  await expectProblem(await post('/nonce', 'n-1'), 409, 'idempotency_replay_unavailable')

  const subjectRef = await submitSubject(w)
  const o = await createOffer(w, subjectRef)
  const at = (await (await post('/token', undefined, { form: { grant_type: GRANT, 'pre-authorized_code': codeOf(o) } })).json()).access_token as string
  const holder = await makeHolder()
  const proof = await holder.proof({ aud: ISSUER, iat: Math.floor(w.app.clock.now() / 1000), nonce: await nonce(w) })
  const json = { credential_configuration_id: 'kyc_sd_jwt', proofs: { jwt: [proof] } }
  const auth = { authorization: `Bearer ${at}` }
  const first = await post('/credential', 'cred-1', { json }, auth)
  const body = await first.json()
  assert.equal(first.status, 200, JSON.stringify(body))
  assert.equal(body.credentials.length, 1)
  await expectProblem(await post('/credential', 'cred-1', { json }, auth), 409, 'idempotency_replay_unavailable')
  const listed = await w.officer.post('/v1/kyc/credentials/search', { subjectRef })
  assert.equal(listed.status, 200, JSON.stringify(listed.body))
  assert.equal(listed.body.credentials.length, 1, 'one credential issued, not two')
})

test('a malformed Idempotency-Key is a 400 naming the header, on the wallet endpoints too', async () => {
  const body = await expectProblem(await post('/nonce', ' spaces and\ttabs '), 400, 'idempotency_key_invalid')
  assert.equal(body.field, 'idempotency-key')
})
