import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { JweEncryptor, JwtSigner } from '@openid4vc/oauth2'
import { Openid4vpClient, type ResolvedOpenid4vpAuthorizationRequest } from '@openid4vc/openid4vp'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { DcqlQuery } from 'dcql'
import { CompactEncrypt, compactVerify, importJWK, type JWK } from 'jose'
import { Webhook } from 'standardwebhooks'
import { createApiClient } from '../clients/index.ts'
import { startWebhookReceiver, TestClient, type WebhookReceiver } from '../testing/index.ts'
import { issuedToHolder, ISSUER, type KycWorld, receiveCredential, relyingApp, startKycWorld } from '../testing/kycHarness.ts'

// An independent wallet (@openid4vc/openid4vp, dcql, @sd-jwt/sd-jwt-vc; none of Sigil's code) answers Sigil's
// OpenID4VP requests, by value and by reference, with direct_post and direct_post.jwt; Sigil verifies the answer.
let w: KycWorld
let app: Record<string, string>
let receiver: WebhookReceiver
let secret: string
before(async () => {
  w = await startKycWorld({ SIGIL_OUTBOX_POLL_MS: '20' })
  ;({ headers: app } = await relyingApp(w))
  receiver = await startWebhookReceiver()
  const admin = await createApiClient(w.app.deps.store, 'ops', ['webhook-admin'], Date.now())
  const sub = await new TestClient(w.app.url).post('/v1/webhooks', { url: receiver.url, eventTypes: ['presentation.verified', 'presentation.failed'] },
    { authorization: `Bearer ${admin.key}` })
  assert.equal(sub.status, 201, JSON.stringify(sub.body))
  secret = sub.body.secret
})
after(async () => {
  await w.close()
  await receiver.close()
})

const api = () => new TestClient(w.app.url)
const now = () => new Date(w.app.clock.now())
const enc = new TextEncoder()
const sha256 = (data: string | ArrayBuffer) => new Uint8Array(createHash('sha256').update(typeof data === 'string' ? data : new Uint8Array(data)).digest())

const wallet = new Openid4vpClient({
  callbacks: {
    fetch: (input, init) => w.fetch(input, init),
    hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
    // The request object is signed by the verifier's did:web: its key comes from the DID document.
    verifyJwt: async (signer: JwtSigner, jwt) => {
      assert.equal(signer.method, 'did')
      const didUrl = (signer as { didUrl: string }).didUrl
      const doc = await (await w.fetch(`${ISSUER}/.well-known/did.json`)).json() as { verificationMethod: { id: string; publicKeyJwk: JWK }[] }
      const vm = doc.verificationMethod.find((m) => m.id === didUrl)
      if (!vm) return { verified: false }
      try {
        await compactVerify(jwt.compact, await importJWK(vm.publicKeyJwk, jwt.header.alg), { algorithms: ['ES256', 'EdDSA'] })
        return { verified: true, signerJwk: vm.publicKeyJwk as never }
      } catch {
        return { verified: false }
      }
    },
    encryptJwe: async (encryptor: JweEncryptor, data: string) => {
      const jwk = encryptor.publicJwk as JWK
      const jwe = await new CompactEncrypt(enc.encode(data))
        .setProtectedHeader({ alg: encryptor.alg, enc: encryptor.enc, ...(jwk.kid ? { kid: jwk.kid } : {}) })
        .encrypt(await importJWK(jwk, encryptor.alg))
      return { jwe, encryptionJwk: encryptor.publicJwk }
    },
    decryptJwe: () => { throw new Error('the wallet decrypts nothing here') },
    signJwt: () => { throw new Error('the wallet signs only the KB-JWT, through @sd-jwt') },
  },
})

type Holder = Awaited<ReturnType<typeof receiveCredential>>
const issued = (): Promise<Holder> => issuedToHolder(w)

/** The holder's side of SD-JWT VC: @sd-jwt/sd-jwt-vc with Web Crypto (decode, pick disclosures, KB-JWT). */
function sdJwt(holder: Holder['holder']) {
  return new SDJwtVcInstance({
    hasher: async (data: string | ArrayBuffer) => sha256(data),
    hashAlg: 'sha-256',
    kbSignAlg: 'ES256',
    kbSigner: async (data: string) => Buffer.from(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, holder.privateKey as CryptoKey, enc.encode(data))).toString('base64url'),
  })
}

/** Parses and resolves a request link the way a wallet does: JAR signature, client id prefix, DCQL. */
async function resolve(link: string): Promise<ResolvedOpenid4vpAuthorizationRequest> {
  const parsed = wallet.parseOpenid4vpAuthorizationRequest({ authorizationRequest: link })
  assert.equal(parsed.type, 'jar')
  return wallet.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params as never })
}

/**
 * The wallet's whole answer: evaluates the DCQL query against the credential, discloses what it asks for with a
 * KB-JWT, builds the authorization response (encrypted for direct_post.jwt) and posts it to the response_uri.
 */
async function answer(resolved: ResolvedOpenid4vpAuthorizationRequest, c: Holder, serverEncs = ['A128GCM', 'A256GCM']) {
  const request = resolved.authorizationRequestPayload as Record<string, any>
  const query = DcqlQuery.parse(resolved.dcql!.query as never)
  DcqlQuery.validate(query)
  const sd = sdJwt(c.holder)
  const claims = await sd.getClaims(c.credential) as Record<string, unknown>
  const match = DcqlQuery.query(query, [{ credential_format: 'dc+sd-jwt', vct: claims.vct as string, claims: claims as never, cryptographic_holder_binding: true }])
  assert.equal(match.can_be_satisfied, true, 'the DCQL query matches the credential we issued')
  const queried = query.credentials[0]!
  const frame: Record<string, any> = {}
  for (const claim of queried.claims ?? []) {
    const path = (claim as { path: (string | number | null)[] }).path.map(String)
    let node = frame
    path.slice(0, -1).forEach((p) => { node = (node[p] ??= {}) })
    node[path.at(-1)!] = true
  }
  const vp = await sd.present(c.credential, frame, { kb: { payload: { iat: Math.floor(now().getTime() / 1000), aud: request.client_id, nonce: request.nonce } } })
  const response = await wallet.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request as never,
    authorizationResponsePayload: { vp_token: { [queried.id]: [vp] } },
    ...(request.response_mode === 'direct_post.jwt' ? {
      jarm: { encryption: { nonce: request.nonce }, serverMetadata: { authorization_signing_alg_values_supported: ['ES256'],
        authorization_encryption_alg_values_supported: ['ECDH-ES'], authorization_encryption_enc_values_supported: serverEncs } },
    } : {}),
  })
  const submitted = await wallet.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request as never, authorizationResponsePayload: response.authorizationResponsePayload,
    ...(response.jarm ? { jarm: { responseJwt: response.jarm.responseJwt } } : {}),
  })
  return { status: submitted.response.status, jwe: response.jarm?.responseJwt, vp, state: request.state as string }
}

const create = (body: Record<string, unknown>) => api().post('/v1/presentations/requests', body, app)
const ASK = { claims: ['age_equal_or_over.18', 'sanctions_screened'] }
const RESULT = { age_equal_or_over: { 18: true }, sanctions_screened: true }

test('by value, direct_post: the wallet library verifies our signed request, matches the DCQL query, and we verify its answer', async () => {
  const created = (await create(ASK)).body
  assert.equal(created.responseMode, 'direct_post')
  const resolved = await resolve(created.deepLink)
  assert.equal(resolved.client.prefix, 'decentralized_identifier')
  assert.equal(resolved.jar?.sendBy, 'value')
  const p = resolved.authorizationRequestPayload as Record<string, any>
  assert.equal(p.response_mode, 'direct_post')
  assert.equal(p.aud, 'https://self-issued.me/v2')
  assert.equal(p.response_uri, `${ISSUER}/v1/presentations/responses/${created.id}`)
  assert.equal(p.client_id, resolved.client.effective)
  const r = await answer(resolved, await issued())
  assert.equal(r.status, 200)
  assert.deepEqual((await api().get(`/v1/presentations/requests/${created.id}`, app)).body, { id: created.id, status: 'verified', claims: RESULT })
})

test('by reference, direct_post.jwt: request_uri serves the request object once; the answer is a JWE to the request\'s own key', async () => {
  const created = (await create({ ...ASK, responseMode: 'direct_post.jwt' })).body
  assert.equal(created.requestUri, `${ISSUER}/v1/presentations/request-objects/${created.id}`)
  const clientId = new URLSearchParams(created.deepLink.split('?')[1]).get('client_id')!
  assert.equal(created.deepLinkByReference, `openid4vp://?client_id=${encodeURIComponent(clientId)}&request_uri=${encodeURIComponent(created.requestUri)}`)
  const resolved = await resolve(created.deepLinkByReference)
  assert.equal(resolved.jar?.sendBy, 'reference')
  const p = resolved.authorizationRequestPayload as Record<string, any>
  assert.equal(p.response_mode, 'direct_post.jwt')
  const [key] = p.client_metadata.jwks.keys
  assert.deepEqual({ kty: key.kty, crv: key.crv, use: key.use, alg: key.alg, d: key.d }, { kty: 'EC', crv: 'P-256', use: 'enc', alg: 'ECDH-ES', d: undefined })
  assert.deepEqual(p.client_metadata.encrypted_response_enc_values_supported, ['A128GCM', 'A256GCM'])
  // Fetched once: the wallet library took it; a second fetch is 404.
  const again = await fetch(`${w.app.url}/v1/presentations/request-objects/${created.id}`)
  assert.equal(again.status, 404)
  assert.equal((await again.json()).code, 'presentation_request_unknown')

  const c = await issued()
  const r = await answer(resolved, c, ['A256GCM'])
  assert.equal(r.status, 200)
  const header = JSON.parse(Buffer.from(r.jwe!.split('.')[0]!, 'base64url').toString())
  assert.deepEqual([header.alg, header.enc, header.kid], ['ECDH-ES', 'A256GCM', key.kid])
  assert.deepEqual((await api().get(`/v1/presentations/requests/${created.id}`, app)).body, { id: created.id, status: 'verified', claims: RESULT })
  // The same JWE again: the request (and its key) is gone.
  const replay = await fetch(`${w.app.url}/v1/presentations/responses/${created.id}`, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ response: r.jwe! }) })
  assert.equal(replay.status, 400)
  assert.equal((await replay.json()).code, 'presentation_request_unknown')
})

test('the request object by reference: its media type, and the by-value request is the same JWT', async () => {
  const created = (await create(ASK)).body
  const res = await fetch(`${w.app.url}/v1/presentations/request-objects/${created.id}`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type')!, /^application\/oauth-authz-req\+jwt/)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal(await res.text(), created.request)
  assert.match(created.qrSvg, /^<svg/)
  const unknown = await fetch(`${w.app.url}/v1/presentations/request-objects/pr_${'x'.repeat(24)}`)
  assert.equal(unknown.status, 404)
  const bad = await fetch(`${w.app.url}/v1/presentations/request-objects/nope`)
  assert.equal(bad.status, 400)
  assert.equal((await bad.json()).code, 'request_invalid')
})

test('the answer must take the form the request asked for; a JWE to another key or garbage fails, and the app learns why', async () => {
  const c = await issued()
  const post = (id: string, body: Record<string, string>) => fetch(`${w.app.url}/v1/presentations/responses/${id}`, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) })
  const reason = async (id: string) => (await api().get(`/v1/presentations/requests/${id}`, app)).body.reason

  // A plain vp_token to a request that asked for direct_post.jwt.
  const jwtReq = (await create({ ...ASK, responseMode: 'direct_post.jwt' })).body
  const jwtResolved = await resolve(jwtReq.deepLink)
  const plain = await post(jwtReq.id, { vp_token: JSON.stringify({ kyc: ['a~b~'] }), state: String((jwtResolved.authorizationRequestPayload as any).state) })
  assert.equal(plain.status, 422)
  assert.equal((await plain.json()).reason, 'response_mode_mismatch')
  assert.equal(await reason(jwtReq.id), 'response_mode_mismatch')

  // A JWE made for another request's key.
  const a = (await create({ ...ASK, responseMode: 'direct_post.jwt' })).body
  const b = (await create({ ...ASK, responseMode: 'direct_post.jwt' })).body
  const forA = await resolve(a.deepLink)
  const forB = (await resolve(b.deepLink)).authorizationRequestPayload as Record<string, any>
  const intercepted = await answer({ ...forA, authorizationRequestPayload: { ...forA.authorizationRequestPayload, response_uri: forB.response_uri } as never }, c)
  assert.equal(intercepted.status, 422)
  assert.equal(await reason(b.id), 'response_encryption_invalid')

  // A JWE-shaped string that is not one; and a direct_post request answered with a JWE.
  const c2 = (await create({ ...ASK, responseMode: 'direct_post.jwt' })).body
  assert.equal((await post(c2.id, { response: 'aa.bb.cc.dd.ee' })).status, 422)
  assert.equal(await reason(c2.id), 'response_encryption_invalid')
  const d = (await create(ASK)).body
  assert.equal((await post(d.id, { response: 'aa.bb.cc.dd.ee' })).status, 422)
  assert.equal(await reason(d.id), 'response_mode_mismatch')
  // Neither field, or both: bad input, and the request stays open.
  const e = (await create(ASK)).body
  const neither = await post(e.id, {})
  assert.equal(neither.status, 400)
  assert.equal((await neither.json()).field, 'vp_token')
  assert.equal((await post(e.id, { vp_token: '{}', response: 'aa.bb.cc.dd.ee' })).status, 400)
})

test('each result goes out as a presentation.verified or presentation.failed webhook event, with ids and a reason code only', async () => {
  await receiver.waitFor((r) => r.some((x) => x.body.includes('presentation.verified')) && r.some((x) => x.body.includes('presentation.failed')), 10_000)
  const verifier = new Webhook(secret)
  const events = receiver.received.map((x) => verifier.verify(x.body, x.headers) as { type: string; data: Record<string, unknown> })
  const failed = events.find((e) => e.type === 'presentation.failed')!
  assert.match(String(failed.data.subject), /^pr_/)
  assert.ok(['response_mode_mismatch', 'response_encryption_invalid'].includes(String((failed.data as any).reason ?? (failed.data as any).data?.reason)), JSON.stringify(failed))
  for (const x of receiver.received) {
    for (const pii of ['Erika', 'Mustermann', '1984-08-12', 'age_equal_or_over', 'sanctions']) assert.ok(!x.body.includes(pii), `no claim or PII in events: ${pii}`)
  }
})
