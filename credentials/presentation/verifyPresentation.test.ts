import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createDidWebDocument, createResolver } from '../dids/index.ts'
import { createLocalSigner, generateKeyPair } from '../keys/index.ts'
import { issueKycSdJwtVc } from '../kyc/index.ts'
import { presentSdJwtVc, splitSdJwt, type ClaimPath } from '../sdjwt/index.ts'
import { createStatusList, createStatusListToken, setStatus } from '../statusList/index.ts'
import { ISSUER, NOW, SUBJECT, VCT } from '../testing/index.ts'
import { verifyPresentation, type VerifyPresentationOptions } from './index.ts'

// A relying app verifying on its own: no server, no network. It brings its trust list, a fetch that serves
// what it has cached of the issuer's did.json and status list, and its clock.
const did = 'did:web:sigil.example'
const issuerKey = await generateKeyPair('ES256')
const issuer = await createLocalSigner(issuerKey.privateJwk, { kid: `${did}#${issuerKey.kid}` })
const holderKey = await generateKeyPair('EdDSA')
const holder = await createLocalSigner(holderKey.privateJwk)
const statusUri = 'https://sigil.example/status-lists/1'
const list = createStatusList(64, 2)
const credential = await issueKycSdJwtVc(SUBJECT, { signer: issuer, issuer: did, issuerUrl: ISSUER, holderJwk: holderKey.publicJwk, now: NOW, status: { idx: 9, uri: statusUri } })

let didFetches = 0
const fetch = async (url: string) => {
  didFetches++
  return { status: url === 'https://sigil.example/.well-known/did.json' ? 200 : 404, json: async () => createDidWebDocument(did, [issuerKey.publicJwk]) }
}
const base = {
  trustedIssuers: [{ issuer: did, vcts: [VCT] }],
  resolver: createResolver({ fetch }),
  fetchStatusList: (uri: string) => createStatusListToken({ signer: issuer, uri, issuer: did, list, now: NOW, ttlSeconds: 1 }),
  expectedAudience: 'https://shop.example',
}
const options = (nonce: string, extra: Partial<VerifyPresentationOptions> = {}): VerifyPresentationOptions => ({ ...base, now: NOW, expectedNonce: nonce, ...extra })
const present = (nonce: string, disclose: readonly ClaimPath[] = [['age_equal_or_over', '18'], ['sanctions_screened']]) =>
  presentSdJwtVc(credential, { disclose, keyBinding: { holder, nonce, audience: base.expectedAudience, now: NOW } })

test('offline: a relying app verifies age and sanctions screening, and learns nothing else', async () => {
  const r = await verifyPresentation(await present('n1'), options('n1', { expectedClaims: [['age_equal_or_over', '18'], ['sanctions_screened']] }))
  assert.equal(r.issuer, did)
  assert.deepEqual(r.claims.age_equal_or_over, { 18: true })
  assert.equal(r.claims.sanctions_screened, true)
  for (const pii of ['given_name', 'family_name', 'birthdate', 'nationalities']) assert.equal(r.claims[pii], undefined, pii)
  assert.deepEqual(r.claims.address, {}) // the container is visible (each field is disclosed on its own); no field is
  assert.equal(r.status?.checked, true)
  // Same configuration → same verifier: the DID document was fetched once for both calls.
  await verifyPresentation(await present('n2'), options('n2'))
  assert.equal(didFetches, 1)
})

test('offline: over-disclosure, replay with another nonce, and revocation are refused', async () => {
  const p = await present('n3', [['age_equal_or_over', '18'], ['birthdate']])
  await assert.rejects(verifyPresentation(p, options('n3', { expectedClaims: [['age_equal_or_over', '18']] })), { code: 'claims_not_requested' })
  await assert.rejects(verifyPresentation(p, options('n4')), { code: 'nonce_mismatch' })
  setStatus(list, 9, 1)
  await assert.rejects(verifyPresentation(await present('n5'), options('n5', { now: new Date(NOW.getTime() + 2000) })), { code: 'credential_revoked' })
  setStatus(list, 9, 0)
})

test('offline: key binding is always demanded: the issuer JWT alone, or a copy of what another verifier was shown, is refused', async () => {
  // Any relying app that was shown a presentation holds its issuer JWT and disclosures; without the holder's key it
  // cannot add a KB-JWT, and without one nothing verifies.
  const seen = splitSdJwt(await present('n6')).sdJwt
  await assert.rejects(verifyPresentation(seen, options('n6', { expectedClaims: [['age_equal_or_over', '18'], ['sanctions_screened']] })), { code: 'kb_jwt_missing' })
  await assert.rejects(verifyPresentation(credential, options('n6')), { code: 'kb_jwt_missing' })
})

test('offline: a status list token from before a revocation is refused (status_unavailable), though its exp is hours away', async () => {
  // What Sigil serves (ttl 60 s, exp 24 h), handed back 23 h later by a stale cache or someone on the path.
  const old = await createStatusListToken({ signer: issuer, uri: statusUri, issuer: did, list, now: NOW, ttlSeconds: 60, validitySeconds: 86_400 })
  setStatus(list, 9, 1)
  try {
    const later = new Date(NOW.getTime() + 23 * 3600_000)
    const p = await presentSdJwtVc(credential, { disclose: [['sanctions_screened']], keyBinding: { holder, nonce: 'n7', audience: base.expectedAudience, now: later } })
    await assert.rejects(verifyPresentation(p, options('n7', { now: later, fetchStatusList: async () => old })), { code: 'status_unavailable' })
    // A relying app that accepts day-old lists (an issuer signing daily, whatever its ttl) says so, and is answered
    // from that list: the revocation after it is not seen.
    const lenient = await verifyPresentation(p, options('n7', { now: later, fetchStatusList: async () => old, maxStatusAgeSeconds: 86_400 }))
    assert.equal(lenient.status?.checked, true)
    const current = async (uri: string) => createStatusListToken({ signer: issuer, uri, issuer: did, list, now: later, ttlSeconds: 60, validitySeconds: 86_400 })
    await assert.rejects(verifyPresentation(p, options('n7', { now: later, fetchStatusList: current })), { code: 'credential_revoked' })
  } finally {
    setStatus(list, 9, 0)
  }
})

test('offline: keyCacheSeconds is honoured: with 0, a key the issuer took out of its DID document is refused at once', async () => {
  const other = await generateKeyPair('ES256')
  let keys = [issuerKey.publicJwk, other.publicJwk]
  const resolver = createResolver({ fetch: async () => ({ status: 200, json: async () => createDidWebDocument(did, keys) }) })
  await verifyPresentation(await present('n8'), options('n8', { resolver, keyCacheSeconds: 0 }))
  keys = [other.publicJwk]
  await assert.rejects(verifyPresentation(await present('n9'), options('n9', { resolver, keyCacheSeconds: 0 })), { code: 'key_unknown' })
})
