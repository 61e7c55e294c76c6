import assert from 'node:assert/strict'
import { test } from 'node:test'
import { verifyCredential } from 'did-jwt-vc'
import { createDidWebDocument, createResolver, didJwkFromJwk } from '../dids/index.ts'
import { decodeJws } from '../jws/index.ts'
import { createLocalSigner, generateKeyPair } from '../keys/index.ts'
import { createStatusList, createStatusListToken, setStatus } from '../statusList/index.ts'
import { ISSUER, NOW, SUBJECT, VCT } from '../testing/index.ts'
import { issueKycJwtVc, verifyJwtVc } from './index.ts'

const did = 'did:web:sigil.example'
const key = await generateKeyPair('ES256')
const signer = await createLocalSigner(key.privateJwk, { kid: `${did}#${key.kid}` })
const doc = createDidWebDocument(did, [key.publicJwk])
const fetch = async (url: string) => ({ status: url === 'https://sigil.example/.well-known/did.json' ? 200 : 404, json: async () => doc })
const resolver = createResolver({ fetch })
const holderDid = didJwkFromJwk((await generateKeyPair('EdDSA')).publicJwk)
const statusUri = 'https://sigil.example/status-lists/2'
const jwt = await issueKycJwtVc(SUBJECT, { signer, issuerDid: did, issuerUrl: ISSUER, holderDid, now: NOW, status: { idx: 5, uri: statusUri } })
const trustedIssuers = [{ issuer: did, vcts: [VCT] }]

test('independent check: did-jwt-vc verifyCredential accepts our JWT-VC, resolving our did:web document', async () => {
  const r = await verifyCredential(jwt, resolver, { policies: { now: Math.floor(NOW.getTime() / 1000) } })
  assert.equal(r.issuer, did)
  assert.equal(r.verifiableCredential.credentialSubject.id, holderDid)
  assert.equal(r.signer.id, `${did}#${key.kid}`)
})

test('the JWT-VC carries no name, birth date, nationality or address: only the visible and yes/no claims', async () => {
  const vc = decodeJws(jwt).payload.vc as { credentialSubject: Record<string, unknown>; type: string[] }
  assert.deepEqual(Object.keys(vc.credentialSubject).sort(), ['age_equal_or_over', 'kyc_level', 'pep_screened', 'sanctions_screened', 'trust_framework', 'verification_time'])
  assert.deepEqual(vc.type, ['VerifiableCredential', VCT])
  assert.equal(decodeJws(jwt).header.kid, `${did}#${key.kid}`)
})

test('verifyJwtVc: trusted issuer, vct, time, signature, status', async () => {
  const r = await verifyJwtVc(jwt, { resolver, trustedIssuers, now: NOW })
  assert.equal(r.claims.kyc_level, 'standard')
  assert.deepEqual(r.status, { reference: { idx: 5, uri: statusUri }, checked: false })
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers: [{ issuer: 'did:web:other.example', vcts: [VCT] }], now: NOW }), { code: 'issuer_untrusted' })
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers: [{ issuer: did, vcts: ['urn:other'] }], now: NOW }), { code: 'vct_untrusted' })
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers, now: new Date(NOW.getTime() + 366 * 86_400_000) }), { code: 'credential_expired' })
  const [h, p, s] = jwt.split('.')
  const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.at(-2) === 'A' ? 'B' : 'A'}${s!.at(-1)}`
  await assert.rejects(verifyJwtVc(flipped, { resolver, trustedIssuers, now: NOW }), { code: 'signature_invalid' })
  const list = createStatusList(16, 1)
  setStatus(list, 5, 1)
  const fetchStatusList = async (uri: string) => createStatusListToken({ signer, uri, list, now: NOW })
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers, now: NOW, fetchStatusList }), { code: 'credential_revoked' })
})

test('a key that is not in the issuer DID document does not verify', async () => {
  const rogue = await createLocalSigner((await generateKeyPair('ES256')).privateJwk, { kid: `${did}#${key.kid}` })
  const forged = await issueKycJwtVc(SUBJECT, { signer: rogue, issuerDid: did, issuerUrl: ISSUER, now: NOW })
  await assert.rejects(verifyJwtVc(forged, { resolver, trustedIssuers, now: NOW }), { code: 'signature_invalid' })
})

test('pinned keys decide, as for SD-JWT VCs: a key the DID document lists but the trust list does not is refused', async () => {
  const other = await generateKeyPair('ES256')
  const bothDoc = createDidWebDocument(did, [key.publicJwk, other.publicJwk])
  const bothResolver = createResolver({ fetch: async () => ({ status: 200, json: async () => bothDoc }) })
  const byOther = await issueKycJwtVc(SUBJECT, { signer: await createLocalSigner(other.privateJwk, { kid: `${did}#${other.kid}` }), issuerDid: did, issuerUrl: ISSUER, now: NOW })
  assert.equal((await verifyJwtVc(byOther, { resolver: bothResolver, trustedIssuers, now: NOW })).issuer, did, 'unpinned: the DID document decides')
  const pinned = [{ issuer: did, vcts: [VCT], keys: [{ ...key.publicJwk, kid: key.kid }] }]
  await assert.rejects(verifyJwtVc(byOther, { resolver: bothResolver, trustedIssuers: pinned, now: NOW }), { code: 'key_unknown' })
  assert.equal((await verifyJwtVc(jwt, { resolver: bothResolver, trustedIssuers: pinned, now: NOW })).claims.kyc_level, 'standard')
  const [h, p, s] = jwt.split('.')
  await assert.rejects(verifyJwtVc(`${h}.${p}.${s!.slice(0, -2)}${s!.at(-2) === 'A' ? 'B' : 'A'}${s!.at(-1)}`, { resolver, trustedIssuers: pinned, now: NOW }), { code: 'signature_invalid' })
})

test('typ is pinned: a JWT of another kind signed by the issuer (an access token, an SD-JWT) is not a JWT-VC', async () => {
  const { signJwsWithHeader } = await import('../jws/index.ts')
  const payload = decodeJws(jwt).payload
  for (const typ of ['at+jwt', 'dc+sd-jwt', undefined]) {
    const other = await signJwsWithHeader(signer, { alg: 'ES256', kid: `${did}#${key.kid}`, ...(typ ? { typ } : {}) }, payload)
    await assert.rejects(verifyJwtVc(other, { resolver, trustedIssuers, now: NOW }), { code: 'typ_invalid' }, String(typ))
  }
  assert.equal(decodeJws(jwt).header.typ, 'JWT', 'what did-jwt-vc writes, and we accept')
})

test('an expired JWT-VC is refused also when the issuer\'s keys are pinned (did-jwt-vc, which checks exp, is not consulted then)', async () => {
  const pinned = [{ issuer: did, vcts: [VCT], keys: [{ ...key.publicJwk, kid: key.kid }] }]
  assert.equal((await verifyJwtVc(jwt, { resolver, trustedIssuers: pinned, now: NOW })).issuer, did)
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers: pinned, now: new Date(NOW.getTime() + 366 * 86_400_000) }), { code: 'credential_expired' })
})

test('a status list token older than its ttl is status_unavailable: a revocation cannot be hidden behind the token from before it', async () => {
  const list = createStatusList(16, 1)
  const old = await createStatusListToken({ signer, uri: statusUri, list, now: NOW, ttlSeconds: 60, validitySeconds: 86_400 })
  setStatus(list, 5, 1)
  const later = new Date(NOW.getTime() + 3600_000)
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers, now: later, fetchStatusList: async () => old }), { code: 'status_unavailable' })
  const current = async (uri: string) => createStatusListToken({ signer, uri, list, now: later, ttlSeconds: 60, validitySeconds: 86_400 })
  await assert.rejects(verifyJwtVc(jwt, { resolver, trustedIssuers, now: later, fetchStatusList: current }), { code: 'credential_revoked' })
})
