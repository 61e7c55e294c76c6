import assert from 'node:assert/strict'
import type { SoftAuthenticator } from './softAuthenticator.ts'
import type { TestClient } from './testApp.ts'

/** Creates an account over HTTP with a software authenticator; returns the signed-in body. */
export async function signUp(client: TestClient, auth: SoftAuthenticator, handle: string, displayName = 'Test User') {
  const opts = await client.post('/v1/passkeys/register/options', { handle, displayName })
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  const response = await auth.register(opts.body, { origin: client.origin })
  const done = await client.post('/v1/passkeys/register/verify', { response })
  assert.equal(done.status, 201, JSON.stringify(done.body))
  return { ...done.body, credentialId: response.id }
}

/** Discoverable sign-in over HTTP; returns the raw response so tests can inspect failures. */
export async function signIn(client: TestClient, auth: SoftAuthenticator, ctx: Omit<Parameters<SoftAuthenticator['authenticate']>[1], 'origin'> = {}) {
  const opts = await client.post('/v1/passkeys/login/options', {})
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  const response = await auth.authenticate(opts.body, { origin: client.origin, ...ctx })
  return client.post('/v1/passkeys/login/verify', { response })
}

/** Approves an approval request over HTTP as a signed-in person: options, the passkey's assertion, verify (200 each); the view after. */
export async function approveRequest(who: { client: TestClient; auth: SoftAuthenticator }, id: string) {
  const o = await who.client.post(`/v1/approvals/${id}/options`, { decision: 'approve' })
  assert.equal(o.status, 200, JSON.stringify(o.body))
  const r = await who.client.post(`/v1/approvals/${id}/verify`, { response: await who.auth.authenticate(o.body, { origin: who.client.origin }) })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body
}
