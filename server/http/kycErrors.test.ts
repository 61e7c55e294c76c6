import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { decodeJwt, decodeProtectedHeader, importJWK } from 'jose'
import { decodeSdJwt, decodeStatusList, statusListSize, verifyStatusListToken } from '../../credentials/index.ts'
import { createApiClient } from '../clients/index.ts'
import { seal, secret, sha256 } from '../kyc/seal.ts'
import { createSoftAuthenticator, signUp, TestClient } from '../testing/index.ts'
import {
  createOffer, credentialRequest, ISSUER, KYC_DATA, makeHolder, nonce, startKycWorld, submitSubject, tokenRequest, type KycWorld,
} from '../testing/kycHarness.ts'

let w: KycWorld
before(async () => { w = await startKycWorld() })
after(() => w.close())

const GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code'
const codeOf = (o: { offer: any }): string => o.offer.grants[GRANT]['pre-authorized_code']
const iat = () => Math.floor(w.app.clock.now() / 1000)

async function token(o: { offer: any; txCode?: string }): Promise<string> {
  const r = await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(o), ...(o.txCode ? { tx_code: o.txCode } : {}) })
  const body = await r.json()
  assert.equal(r.status, 200, JSON.stringify(body))
  assert.equal(body.token_type, 'Bearer')
  assert.equal(r.headers.get('cache-control'), 'no-store')
  return body.access_token
}

async function expectOAuth(res: Response, status: number, error: string) {
  const body = await res.json()
  assert.equal(res.status, status, JSON.stringify(body))
  assert.equal(body.error, error, JSON.stringify(body))
  assert.equal(typeof body.error_description, 'string')
  assert.doesNotMatch(res.headers.get('content-type') ?? '', /problem/)
}

test('subjects: bad data names the field; only the kyc-vendor role or a compliance officer may submit', async () => {
  const vendor = { authorization: `Bearer ${w.vendorKey}` }
  const api = new TestClient(w.app.url)
  const bad = await api.post('/v1/kyc/subjects', { data: { ...KYC_DATA, address: { country: 'XX' } } }, vendor)
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'kyc_data_invalid')
  assert.equal(bad.body.field, 'data.address.country')
  const future = await api.post('/v1/kyc/subjects', { data: { ...KYC_DATA, birthdate: '2099-01-01' } }, vendor)
  assert.equal(future.body.field, 'data.birthdate')
  const unknown = await api.post('/v1/kyc/subjects', { data: { ...KYC_DATA, passport_scan: 'x' } }, vendor)
  assert.equal(unknown.body.code, 'kyc_data_invalid')
  const noData = await api.post('/v1/kyc/subjects', {}, vendor)
  assert.equal(noData.status, 400)
  assert.equal(noData.body.field, 'data')
  assert.equal((await new TestClient(w.app.url).post('/v1/kyc/subjects', { data: KYC_DATA })).status, 401)
  const wallet = await createApiClient(w.app.deps.store, 'wallet', ['wallet-backend'], w.app.clock.now())
  const denied = await api.post('/v1/kyc/subjects', { data: KYC_DATA }, { authorization: `Bearer ${wallet.key}` })
  assert.equal(denied.status, 403)
  assert.equal(denied.body.code, 'kyc_issuance_forbidden')
  const officer = await w.officer.post('/v1/kyc/subjects', { data: KYC_DATA })
  assert.equal(officer.status, 201)
  assert.match(officer.body.subjectRef, /^ksub_/)
})

test('offers: compliance role only, unknown subject 404, bad body names the field', async () => {
  const subjectRef = await submitSubject(w)
  const nobody = new TestClient(w.app.url)
  await signUp(nobody, createSoftAuthenticator(), 'nobody')
  const forbidden = await nobody.post('/v1/kyc/offers', { subjectRef })
  assert.equal(forbidden.status, 403)
  assert.equal(forbidden.body.code, 'role_forbidden')
  assert.equal((await new TestClient(w.app.url).post('/v1/kyc/offers', { subjectRef })).status, 401)
  const unknown = await w.officer.post('/v1/kyc/offers', { subjectRef: `ksub_${'A'.repeat(43)}` })
  assert.equal(unknown.status, 404)
  assert.equal(unknown.body.code, 'kyc_subject_not_found')
  const bad = await w.officer.post('/v1/kyc/offers', { subjectRef, credentialConfigurationId: 'mdoc' })
  assert.equal(bad.status, 400)
  assert.equal(bad.body.field, 'credentialConfigurationId')
})

test('token: a pre-authorized code works once; expired, wrong PIN, missing PIN and wrong grant are refused', async () => {
  const o = await createOffer(w, await submitSubject(w))
  await token(o)
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(o) }), 400, 'invalid_grant')

  const late = await createOffer(w, await submitSubject(w))
  w.app.clock.advance(601_000)
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(late) }), 400, 'invalid_grant')

  const pin = await createOffer(w, await submitSubject(w), { txCode: true })
  const wrong = pin.txCode === '000000' ? '111111' : '000000'
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(pin) }), 400, 'invalid_request')
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(pin), tx_code: wrong }), 400, 'invalid_grant')
  await token(pin) // one wrong PIN does not void the offer
  const pin2 = await createOffer(w, await submitSubject(w), { txCode: true })
  const wrong2 = pin2.txCode === '000000' ? '111111' : '000000'
  for (let i = 0; i < 3; i++) await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(pin2), tx_code: wrong2 }), 400, 'invalid_grant')
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(pin2), tx_code: pin2.txCode! }), 400, 'invalid_grant')

  await expectOAuth(await tokenRequest(w, { grant_type: 'authorization_code', code: 'x' }), 400, 'unsupported_grant_type')
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT }), 400, 'invalid_request')
  await expectOAuth(await fetch(`${w.app.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: GRANT, 'pre-authorized_code': 'x' }) }), 400, 'invalid_request')
})

test('credential: token, nonce and proof checks; a refused request leaves the token for a corrected retry', async () => {
  const o = await createOffer(w, await submitSubject(w))
  const at = await token(o)
  const holder = await makeHolder()
  const good = async (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    holder.proof({ aud: ISSUER, iat: iat(), nonce: await nonce(w), ...over }, header)
  const ask = async (jwt: string, over: Record<string, unknown> = {}) =>
    credentialRequest(w, at, { credential_configuration_id: 'kyc_sd_jwt', proofs: { jwt: [jwt] }, ...over })

  const noAuth = await fetch(`${w.app.url}/credential`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  assert.match(noAuth.headers.get('www-authenticate') ?? '', /invalid_token/)
  await expectOAuth(noAuth, 401, 'invalid_token')
  await expectOAuth(await credentialRequest(w, 'kat_unknown', {}), 401, 'invalid_token')
  await expectOAuth(await ask(await good(), { credential_configuration_id: 'mdoc' }), 400, 'unknown_credential_configuration')
  await expectOAuth(await ask(await good(), { credential_configuration_id: 'kyc_jwt_vc' }), 400, 'invalid_credential_request')
  await expectOAuth(await credentialRequest(w, at, { credential_configuration_id: 'kyc_sd_jwt' }), 400, 'invalid_proof')
  await expectOAuth(await ask(await good({ aud: 'https://other.example' })), 400, 'invalid_proof')
  await expectOAuth(await ask(await good({}, { typ: 'JWT' })), 400, 'invalid_proof')
  await expectOAuth(await ask(await good({ iat: iat() - 3600 })), 400, 'invalid_proof')
  await expectOAuth(await ask(await good({ nonce: undefined })), 400, 'invalid_nonce')
  await expectOAuth(await ask(await good({ nonce: 'never-issued' })), 400, 'invalid_nonce')
  const signedByOther = (await good()).split('.')
  const other = (await (await makeHolder()).proof({ aud: ISSUER, iat: iat(), nonce: 'x' })).split('.')
  await expectOAuth(await ask(`${signedByOther[0]}.${signedByOther[1]}.${other[2]}`), 400, 'invalid_proof')

  const n = await nonce(w)
  const reused = await holder.proof({ aud: ISSUER, iat: iat(), nonce: n })
  const ok = await ask(reused)
  const body = await ok.json()
  assert.equal(ok.status, 200, JSON.stringify(body))
  assert.equal(body.credentials.length, 1)
  await expectOAuth(await ask(await good()), 401, 'invalid_token') // one credential per token

  const expiredNonce = await nonce(w)
  w.app.clock.advance(301_000)
  const o2 = await createOffer(w, await submitSubject(w))
  const at2 = await token(o2)
  await expectOAuth(await credentialRequest(w, at2, { credential_configuration_id: 'kyc_sd_jwt', proofs: { jwt: [reused] } }), 400, 'invalid_nonce')
  const late = await holder.proof({ aud: ISSUER, iat: iat(), nonce: expiredNonce })
  await expectOAuth(await credentialRequest(w, at2, { credential_configuration_id: 'kyc_sd_jwt', proof: { proof_type: 'jwt', jwt: late } }), 400, 'invalid_nonce')
  w.app.clock.advance(301_000)
  await expectOAuth(await credentialRequest(w, at2, { credential_configuration_id: 'kyc_sd_jwt', proofs: { jwt: [await good()] } }), 401, 'invalid_token')
})

test('status lists: fixed size, signed, cacheable with an ETag; an unknown list is 404', async () => {
  const r = await fetch(`${w.app.url}/status-lists/1`)
  assert.equal(r.status, 200)
  assert.equal(r.headers.get('content-type'), 'application/statuslist+jwt; charset=utf-8')
  assert.match(r.headers.get('cache-control') ?? '', /max-age=60/)
  const etag = r.headers.get('etag')!
  const token = await r.text()
  const payload = decodeJwt(token) as { status_list: { bits: number; lst: string }; sub: string; iss: string }
  assert.equal(payload.sub, `${ISSUER}/status-lists/1`)
  assert.equal(payload.iss, 'did:web:issuer.test')
  assert.equal(statusListSize(await decodeStatusList(payload.status_list)), 1 << 17)
  const cached = await fetch(`${w.app.url}/status-lists/1`, { headers: { 'if-none-match': etag } })
  assert.equal(cached.status, 304)
  // Never served older than half its ttl, and cacheable only for what is left of the ttl: verifiers refuse a token
  // older than its ttl (a stale copy could hide a revocation).
  const get = async () => { const x = await fetch(`${w.app.url}/status-lists/1`); return { etag: x.headers.get('etag'), cc: x.headers.get('cache-control'), iat: decodeJwt(await x.text()).iat! } }
  w.app.clock.advance(31_000)
  const fresh = await get()
  assert.notEqual(fresh.etag, etag)
  assert.equal(fresh.cc, 'public, max-age=60')
  assert.equal(fresh.iat, Math.floor(w.app.clock.now() / 1000))
  w.app.clock.advance(20_000)
  assert.deepEqual(await get(), { ...fresh, cc: 'public, max-age=40' }, 'the same token, 20 s older')
  w.app.clock.advance(11_000)
  const next = await get()
  assert.notEqual(next.etag, fresh.etag, 'signed again past half the ttl')
  assert.equal(next.cc, 'public, max-age=60')
  assert.equal((await fetch(`${w.app.url}/status-lists/7`)).status, 404)
  assert.equal((await fetch(`${w.app.url}/status-lists/abc`)).status, 400)
})

test('token: a tx_code sent for an offer without one is refused and leaves the offer for a corrected retry', async () => {
  const o = await createOffer(w, await submitSubject(w))
  await expectOAuth(await tokenRequest(w, { grant_type: GRANT, 'pre-authorized_code': codeOf(o), tx_code: '123456' }), 400, 'invalid_request')
  await token(o)
})

test('credential: a birthday between submission and issuance; age flags come from the birthdate on the day of issuance', async () => {
  const world = await startKycWorld()
  try {
    const bd = new Date(world.app.clock.now() + 3 * 86400_000)
    bd.setUTCFullYear(bd.getUTCFullYear() - 18)
    const ref = await submitSubject(world, { ...KYC_DATA, birthdate: bd.toISOString().slice(0, 10), age_equal_or_over: { 18: false, 21: false } })
    world.app.clock.advance(5 * 86400_000)
    world.officer = new TestClient(world.app.url) // the first officer's session has lapsed
    const officer = await signUp(world.officer, createSoftAuthenticator({ attestation: 'packed-self' }), 'officer2')
    await world.app.deps.store.users.setRoles(officer.user.id, ['compliance'])
    const o = await createOffer(world, ref)
    const at = (await (await tokenRequest(world, { grant_type: GRANT, 'pre-authorized_code': codeOf(o) })).json()).access_token
    const holder = await makeHolder()
    const r = await credentialRequest(world, at, { credential_configuration_id: 'kyc_sd_jwt',
      proofs: { jwt: [await holder.proof({ aud: ISSUER, iat: Math.floor(world.app.clock.now() / 1000), nonce: await nonce(world) })] } })
    const body = await r.json()
    assert.equal(r.status, 200, JSON.stringify(body))
    assert.deepEqual((await decodeSdJwt(body.credentials[0].credential)).claims.age_equal_or_over, { 18: true, 21: false })
  } finally {
    await world.close()
  }
})

test('credential: held data that no longer passes the checks is credential_request_denied before the token is spent, never a 500', async () => {
  // As an older version might have stored it: a field the schema no longer takes.
  const ref = secret('ksub')
  const now = w.app.clock.now()
  await w.app.deps.store.kyc.putSubject({ refHash: sha256(ref), sealed: seal(ref, JSON.stringify({ ...KYC_DATA, legacy_field: 1 })),
    submittedBy: 'vendor', createdAt: now, expiresAt: now + 86400_000 })
  const at = await token(await createOffer(w, ref))
  const holder = await makeHolder()
  const ask = async () => credentialRequest(w, at, { credential_configuration_id: 'kyc_sd_jwt',
    proofs: { jwt: [await holder.proof({ aud: ISSUER, iat: iat(), nonce: await nonce(w) })] } })
  await expectOAuth(await ask(), 400, 'credential_request_denied')
  await expectOAuth(await ask(), 400, 'credential_request_denied') // the token is still there
})

// Last: it moves the shared clock a day on (sessions and offers made before lapse).
test('status lists: a cache revalidating with If-None-Match always ends up with a token that verifies (13 h, 25 h later)', async () => {
  const uri = `${ISSUER}/status-lists/1`
  const did = await (await w.fetch(`${ISSUER}/.well-known/did.json`)).json()
  const verifies = async (token: string) => {
    const kid = decodeProtectedHeader(token).kid
    const vm = did.verificationMethod.find((m: { id: string }) => m.id === kid)
    await verifyStatusListToken(token, { expectedUri: uri, now: new Date(w.app.clock.now()), resolveKey: async () => await importJWK(vm.publicKeyJwk, 'ES256') as CryptoKey })
  }
  // What a cache holds after revalidating its copy: the stored one on 304, the new body on 200.
  const revalidate = async (copy: { token: string; etag: string }) => {
    const r = await w.fetch(uri, { headers: { 'if-none-match': copy.etag } })
    if (r.status === 304) return copy
    assert.equal(r.status, 200)
    return { token: await r.text(), etag: r.headers.get('etag')! }
  }
  const first = await w.fetch(uri)
  const cached = { token: await first.text(), etag: first.headers.get('etag')! }
  assert.equal((await w.fetch(uri, { headers: { 'if-none-match': cached.etag } })).status, 304)
  w.app.clock.advance(13 * 3600_000)
  const at13h = await revalidate(cached)
  await verifies(at13h.token)
  w.app.clock.advance(12 * 3600_000)
  await verifies((await revalidate(cached)).token)
  await verifies((await revalidate(at13h)).token)
})
