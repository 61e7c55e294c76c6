import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { verifyCredential } from 'did-jwt-vc'
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose'
import { decodeSdJwt, kycVct, presentSdJwtVc, verifyJwtVc, verifyPresentation } from '../../credentials/index.ts'
import { createOffer, ISSUER, makeHolder, receiveCredential, startKycWorld, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

let w: KycWorld
before(async () => { w = await startKycWorld() })
after(() => w.close())

const DID = 'did:web:issuer.test'
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')
const VCT = kycVct(ISSUER)
const now = () => new Date(w.app.clock.now())
const get = async (path: string) => w.fetch(`${ISSUER}${path}`)

/** Our offline verifier, with did:web resolved from the running server and the status list fetched from it. */
function verifyOurs(presentation: string) {
  return verifyPresentation(presentation, {
    trustedIssuers: [{ issuer: DID, vcts: [VCT] }], // a new list each call: no cached status list
    resolver: w.resolver,
    fetchStatusList: async (uri) => (await w.fetch(uri)).text(),
    now: now(), expectedNonce: 'n-1', expectedAudience: 'https://rp.example',
  })
}

const present = (credential: string, holder: Awaited<ReturnType<typeof makeHolder>>) => presentSdJwtVc(credential, {
  disclose: [['age_equal_or_over', '18'], ['sanctions_screened']],
  keyBinding: { holder: holder.signer, nonce: 'n-1', audience: 'https://rp.example', now: now() },
})

test('issuer metadata: did:web document, OpenID4VCI and OAuth metadata, JWT VC issuer, type metadata', async () => {
  const did = await (await get('/.well-known/did.json')).json()
  assert.equal(did.id, DID)
  assert.equal(did.assertionMethod[0], `${DID}#${w.app.deps.keys.signer().kid}`)
  const md = await (await get('/.well-known/openid-credential-issuer')).json()
  assert.equal(md.credential_issuer, ISSUER)
  assert.equal(md.credential_endpoint, `${ISSUER}/credential`)
  assert.equal(md.nonce_endpoint, `${ISSUER}/nonce`)
  assert.equal(md.credential_configurations_supported.kyc_sd_jwt.format, 'dc+sd-jwt')
  assert.equal(md.credential_configurations_supported.kyc_sd_jwt.vct, VCT)
  assert.deepEqual(md.credential_configurations_supported.kyc_sd_jwt.proof_types_supported.jwt.proof_signing_alg_values_supported, ['ES256', 'EdDSA'])
  assert.equal(md.credential_configurations_supported.kyc_jwt_vc.format, 'jwt_vc_json')
  const as = await (await get('/.well-known/oauth-authorization-server')).json()
  assert.equal(as.token_endpoint, `${ISSUER}/token`)
  assert.equal(as['pre-authorized_grant_anonymous_access_supported'], true)
  const jwtVc = await (await get('/.well-known/jwt-vc-issuer')).json()
  assert.equal(jwtVc.issuer, ISSUER)
  assert.equal(jwtVc.jwks.keys[0].kid, w.app.deps.keys.signer().kid)
  const type = await (await w.fetch(VCT)).json()
  assert.equal(type.vct, VCT)
})

test('OpenID4VCI pre-authorized flow with a PIN, driven by @openid4vc/openid4vci: an SD-JWT VC bound to the wallet key, verified by us and by @sd-jwt/sd-jwt-vc; the KYC data is then erased', async () => {
  const subjectRef = await submitSubject(w)
  const o = await createOffer(w, subjectRef, { txCode: true })
  assert.match(o.txCode!, /^\d{6}$/)
  assert.match(o.offerUri, /^openid-credential-offer:\/\/\?credential_offer=/)
  assert.match(o.qrSvg, /^<svg/)
  assert.deepEqual(o.offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'].tx_code, { length: 6, input_mode: 'numeric', description: 'The PIN the compliance officer gave you' })
  const { credential, holder } = await receiveCredential(w, o.offerUri, o.txCode)

  const decoded = await decodeSdJwt(credential)
  assert.equal(decodeProtectedHeader(credential.split('~')[0]!).typ, 'dc+sd-jwt')
  const payload = decodeJwt(credential.split('~')[0]!)
  assert.equal(payload.iss, DID)
  assert.equal(payload.vct, VCT)
  assert.deepEqual((payload.cnf as { jwk: JWK }).jwk, { kty: 'EC', crv: 'P-256', x: holder.publicJwk.x, y: holder.publicJwk.y })
  assert.equal(decoded.claims.given_name, 'Erika')
  assert.equal(payload.given_name, undefined, 'selectively disclosable, not in the clear')

  const p = await present(credential, holder)
  const ours = await verifyOurs(p)
  assert.equal(ours.issuer, DID)
  assert.deepEqual(ours.claims.age_equal_or_over, { 18: true })
  assert.equal(ours.claims.given_name, undefined)

  // @sd-jwt/sd-jwt-vc with the issuer key taken from the served did.json by hand (none of our code).
  const didDoc = await (await get('/.well-known/did.json')).json()
  const kid = decodeProtectedHeader(credential.split('~')[0]!).kid
  const vm = didDoc.verificationMethod.find((m: { id: string }) => m.id === kid)
  const issuerKey = await importJWK(vm.publicKeyJwk, 'ES256')
  const holderKey = await importJWK(holder.publicJwk, 'ES256')
  const check = (key: CryptoKey | Uint8Array) => async (data: string, sig: string) => {
    try {
      const [h, pl] = data.split('.')
      await jwtVerify(`${h}.${pl}.${sig}`, key, { currentDate: now() })
      return true
    } catch { return false }
  }
  const reference = new SDJwtVcInstance({
    hasher: async (data: string | ArrayBuffer) => new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data)),
    verifier: check(issuerKey), kbVerifier: check(holderKey),
    statusListFetcher: async (uri: string) => (await w.fetch(uri)).text(),
  })
  const r = await reference.verify(p, { currentDate: Math.floor(w.app.clock.now() / 1000), keyBindingNonce: 'n-1' })
  assert.equal(r.payload.sanctions_screened, true)

  const subject = await w.app.deps.store.kyc.getSubject(sha256(subjectRef))
  assert.equal(subject?.sealed, null, 'PII erased after issuance')
  const again = await w.officer.post('/v1/kyc/offers', { subjectRef })
  assert.equal(again.status, 409)
  assert.equal(again.body.code, 'kyc_subject_erased')

  const list = await w.officer.post('/v1/kyc/credentials/search', { subjectRef })
  assert.equal(list.status, 200)
  assert.equal(list.body.credentials.length, 1)
  assert.equal(list.body.credentials[0].status, 'valid')
  assert.equal(list.body.credentials[0].statusList.idx, (payload.status as { status_list: { idx: number } }).status_list.idx)
})

test('revoke, suspend and reinstate: the status list changes and our verifier follows', async () => {
  const a = await receiveCredential(w, (await createOffer(w, await submitSubject(w))).offerUri)
  const b = await receiveCredential(w, (await createOffer(w, await submitSubject(w))).offerUri)
  // The credential ids, from the audit log (kyc.credential_issued entries name them); records hold the credential's hash.
  const audit = await w.app.deps.store.audit.list({ limit: 1000 })
  const issued = audit.filter((e) => e.type === 'kyc.credential_issued').map((e) => e.subject)
  const recs = await Promise.all(issued.map((id) => w.app.deps.store.kyc.getCredential(id)))
  const idFor = (credential: string) => recs.find((r) => r?.credentialHash === sha256(credential))!.id

  const revoke = await w.officer.post(`/v1/kyc/credentials/${idFor(a.credential)}/revoke`, { reason: 'document fraud suspected' })
  assert.equal(revoke.status, 200, JSON.stringify(revoke.body))
  assert.equal(revoke.body.status, 'revoked')
  await assert.rejects(verifyOurs(await present(a.credential, a.holder)), { code: 'credential_revoked' })
  await verifyOurs(await present(b.credential, b.holder))

  const bid = idFor(b.credential)
  assert.equal((await w.officer.post(`/v1/kyc/credentials/${bid}/suspend`, { reason: 'review' })).body.status, 'suspended')
  await assert.rejects(verifyOurs(await present(b.credential, b.holder)), { code: 'credential_suspended' })
  assert.equal((await w.officer.post(`/v1/kyc/credentials/${bid}/reinstate`, { reason: 'review done' })).body.status, 'valid')
  await verifyOurs(await present(b.credential, b.holder))

  const final = await w.officer.post(`/v1/kyc/credentials/${idFor(a.credential)}/reinstate`, { reason: 'oops' })
  assert.equal(final.status, 409)
  assert.equal(final.body.code, 'kyc_credential_status_conflict')
  assert.equal(final.body.status, 409, 'the problem\'s status is the HTTP status')
  assert.equal(final.body.credentialStatus, 'revoked')
  const missing = await w.officer.post('/v1/kyc/credentials/kcr_nope/revoke', { reason: 'x' })
  assert.equal(missing.status, 404)
  assert.equal(missing.body.code, 'kyc_credential_not_found')
  const noReason = await w.officer.post(`/v1/kyc/credentials/${bid}/revoke`, {})
  assert.equal(noReason.status, 400)
  assert.equal(noReason.body.field, 'reason')
})

test('the JWT-VC form through the same flow: did-jwt-vc and our verifyJwtVc accept it, resolving our did:web', async () => {
  const o = await createOffer(w, await submitSubject(w), { credentialConfigurationId: 'kyc_jwt_vc' })
  const { credential } = await receiveCredential(w, o.offerUri)
  const r = await verifyCredential(credential, w.resolver, { policies: { now: Math.floor(w.app.clock.now() / 1000) } })
  assert.equal(r.issuer, DID)
  assert.deepEqual(r.verifiableCredential.type, ['VerifiableCredential', VCT])
  assert.equal((r.verifiableCredential.credentialSubject as Record<string, unknown>).given_name, undefined, 'no PII in the JWT-VC form')
  const ours = await verifyJwtVc(credential, { resolver: w.resolver, trustedIssuers: [{ issuer: DID, vcts: [VCT] }], now: now(),
    fetchStatusList: async (uri) => (await w.fetch(uri)).text() })
  assert.equal(ours.issuer, DID)
})

test('audit entries and outbox events of the whole flow carry no PII and no bearer secrets', async () => {
  const subjectRef = await submitSubject(w)
  const o = await createOffer(w, subjectRef, { txCode: true })
  await receiveCredential(w, o.offerUri, o.txCode)
  const audit = JSON.stringify(await w.app.deps.store.audit.list({ limit: 10_000 }))
  for (const type of ['kyc.subject_received', 'kyc.offer_created', 'kyc.offer_redeemed', 'kyc.credential_issued', 'kyc.credential_revoked']) {
    assert.ok(audit.includes(type), type)
  }
  const code = o.offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code']['pre-authorized_code']
  for (const secret of ['Erika', 'Mustermann', '1984-08-12', 'Heidestra', 'Köln', '51147', subjectRef, code, o.txCode!]) {
    assert.ok(!audit.includes(secret), `audit log holds ${secret}`)
  }
})
