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
