import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createDidWebDocument, createResolver } from '../dids/index.ts'
import { encodeBase64urlJson } from '../encoding/index.ts'
import { signJws, signJwsWithHeader } from '../jws/index.ts'
import { createLocalSigner, generateKeyPair } from '../keys/index.ts'
import { issueKycSdJwtVc } from '../kyc/index.ts'
import { AUDIENCE, craftSdJwt, ISSUER, makeWorld, NONCE, NOW, setStatus, SUBJECT, VCT, withDisclosures } from '../testing/index.ts'
import { createSdJwtVcVerifier, presentSdJwtVc, sha256Base64url, splitSdJwt, type VerifySdJwtVcOptions } from './index.ts'

const w = await makeWorld()
const opts: VerifySdJwtVcOptions = { now: NOW, expectedNonce: NONCE, expectedAudience: AUDIENCE }
const verifier = createSdJwtVcVerifier({ trustedIssuers: w.trustedIssuers })
const later = (s: number) => new Date(NOW.getTime() + s * 1000)
const expiresAt = later(365 * 24 * 3600)

test('round trip: the holder discloses two claims; the verifier sees those and the always-visible ones', async () => {
  const p = await w.present([['age_equal_or_over', '18'], ['sanctions_screened']])
  const r = await verifier.verify(p, opts)
  assert.equal(r.issuer, ISSUER)
  assert.equal(r.vct, VCT)
  assert.deepEqual(r.claims.age_equal_or_over, { 18: true })
  assert.equal(r.claims.sanctions_screened, true)
  assert.equal(r.claims.kyc_level, 'standard')
  assert.equal(r.claims.given_name, undefined)
  assert.equal(r.claims.birthdate, undefined)
  assert.equal(r.claims._sd, undefined)
  assert.deepEqual(new Set(r.disclosedPaths.map((path) => path.join('.'))), new Set(['sanctions_screened', 'age_equal_or_over.18']))
  assert.deepEqual(r.holderKey, (({ kid: _k, alg: _a, ...k }) => k)(w.holderKey.publicJwk))
  assert.deepEqual(r.status, { reference: { idx: 3, uri: 'https://sigil.example/status-lists/1' }, checked: false })
  assert.equal(r.keyBinding?.nonce, NONCE)
})

test('each address field is disclosed on its own', async () => {
  const r = await verifier.verify(await w.present([['address', 'locality']]), opts)
  assert.deepEqual(r.claims.address, { locality: 'Köln' })
})

test('an EdDSA issuer and an ES256 holder work the same', async () => {
  const w2 = await makeWorld({ issuerAlg: 'EdDSA', holderAlg: 'ES256' })
  const r = await createSdJwtVcVerifier({ trustedIssuers: w2.trustedIssuers }).verify(await w2.present([['given_name']]), opts)
  assert.equal(r.claims.given_name, 'Erika')
})

test('holder asks for a claim the credential does not have → claim_not_found', async () => {
  await assert.rejects(w.present([['email']]), { code: 'claim_not_found' })
})

test('key binding: missing, wrong nonce, wrong audience, stale or future iat, foreign key, wrong typ', async () => {
  const bare = await presentSdJwtVc(w.credential, { disclose: [['pep_screened']] })
  await assert.rejects(verifier.verify(bare, opts), { code: 'kb_jwt_missing' })
  await assert.rejects(verifier.verify(await w.present([['pep_screened']], { nonce: 'other' }), opts), { code: 'nonce_mismatch' })
  await assert.rejects(verifier.verify(await w.present([['pep_screened']], { audience: 'https://evil.example' }), opts), { code: 'audience_mismatch' })
  await assert.rejects(verifier.verify(await w.present([['pep_screened']], { now: later(-311) }), opts), { code: 'kb_jwt_stale' })
  await assert.rejects(verifier.verify(await w.present([['pep_screened']], { now: later(60) }), opts), { code: 'kb_jwt_stale' })
  // Within the 300 s window and 10 s tolerance it passes.
  await verifier.verify(await w.present([['pep_screened']], { now: later(-305) }), opts)
  const other = await createLocalSigner((await generateKeyPair('EdDSA')).privateJwk)
  await assert.rejects(verifier.verify(await w.present([['pep_screened']], { holder: other }), opts), { code: 'kb_jwt_invalid' })
  const sdJwt = bare
  const wrongTyp = await signJwsWithHeader(w.holder, { typ: 'JWT' }, { iat: Math.floor(NOW.getTime() / 1000), aud: AUDIENCE, nonce: NONCE, sd_hash: sha256Base64url(sdJwt) })
  await assert.rejects(verifier.verify(sdJwt + wrongTyp, opts), { code: 'kb_jwt_invalid' })
})

test('a KB-JWT over other disclosures → sd_hash_mismatch', async () => {
  const p = await w.present([['pep_screened'], ['sanctions_screened']])
  await assert.rejects(verifier.verify(withDisclosures(p, (ds) => ds.slice(1)), opts), { code: 'sd_hash_mismatch' })
})

test('alg none or outside the allowlist is refused, in the issuer JWT and in the KB-JWT', async () => {
  const p = await w.present([['pep_screened']])
  const { jwt, kbJwt } = splitSdJwt(p)
  const [, payload] = jwt.split('.')
  for (const alg of ['none', 'HS256', 'RS256', 'ES384']) {
    const forged = `${encodeBase64urlJson({ alg, typ: 'dc+sd-jwt' })}.${payload}.`
    await assert.rejects(verifier.verify(p.replace(jwt, forged), opts), { code: 'alg_not_allowed' }, alg)
  }
  const [, kbPayload] = kbJwt!.split('.')
  const noneKb = `${encodeBase64urlJson({ alg: 'none', typ: 'kb+jwt' })}.${kbPayload}.`
  await assert.rejects(verifier.verify(p.replace(kbJwt!, noneKb), opts), { code: 'alg_not_allowed' })
  const esOnly = createSdJwtVcVerifier({ trustedIssuers: w.trustedIssuers, allowedAlgs: ['ES256'] })
  await assert.rejects(esOnly.verify(p, opts), { code: 'alg_not_allowed' }) // the holder's KB-JWT is EdDSA
})

test('typ must be dc+sd-jwt; vc+sd-jwt only when legacy is allowed', async () => {
  const legacy = await craftSdJwt(w.issuer, {}, [], { holderJwk: w.holderKey.publicJwk, header: { typ: 'vc+sd-jwt' } })
  await assert.rejects(verifier.verify(legacy, { ...opts, requireKeyBinding: false }), { code: 'typ_invalid' })
  const lenient = createSdJwtVcVerifier({ trustedIssuers: w.trustedIssuers, allowLegacyTyp: true })
  await lenient.verify(legacy, { ...opts, requireKeyBinding: false })
  const jwtTyp = await craftSdJwt(w.issuer, {}, [], { header: { typ: 'JWT' } })
  await assert.rejects(lenient.verify(jwtTyp, { ...opts, requireKeyBinding: false }), { code: 'typ_invalid' })
})

test('expiry and validity start, with the clock tolerance', async () => {
  const atExpiry = async (s: number) => verifier.verify(await w.present([['pep_screened']], { now: new Date(expiresAt.getTime() + s * 1000) }),
    { ...opts, now: new Date(expiresAt.getTime() + s * 1000) })
  await atExpiry(5)
  await assert.rejects(atExpiry(10), { code: 'credential_expired' })
  await assert.rejects(verifier.verify(await w.present([['pep_screened']], { now: later(-11) }), { ...opts, now: later(-11) }), { code: 'credential_not_yet_valid' })
  const nbf = await craftSdJwt(w.issuer, { nbf: Math.floor(NOW.getTime() / 1000) + 60 }, [])
  await assert.rejects(verifier.verify(nbf, { ...opts, requireKeyBinding: false }), { code: 'credential_not_yet_valid' })
})

test('trust: wrong key, unknown kid, untrusted issuer, vct not allowed', async () => {
  const p = await w.present([['pep_screened']])
  const impostor = await generateKeyPair('ES256')
  const wrongKey = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: ISSUER, vcts: [VCT], keys: [{ ...impostor.publicJwk, kid: w.issuer.kid }] }] })
  await assert.rejects(wrongKey.verify(p, opts), { code: 'signature_invalid' })
  const otherKid = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: ISSUER, vcts: [VCT], keys: [impostor.publicJwk] }] })
  await assert.rejects(otherKid.verify(p, opts), { code: 'key_unknown' })
  const stranger = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: 'https://other.example', vcts: [VCT], keys: [w.issuerKey.publicJwk] }] })
  await assert.rejects(stranger.verify(p, opts), { code: 'issuer_untrusted' })
  const narrow = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: ISSUER, vcts: ['https://sigil.example/credentials/other'], keys: [w.issuerKey.publicJwk] }] })
  await assert.rejects(narrow.verify(p, opts), { code: 'vct_untrusted' })
  await assert.rejects(verifier.verify(p, { ...opts, expectedVct: 'urn:other' }), { code: 'vct_untrusted' })
  const flipped = p.replace(/\.([^.~]+)~/, (_m, sig: string) => `.${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}~`)
  await assert.rejects(verifier.verify(flipped, opts), { code: 'signature_invalid' })
})

test('status: revoked and suspended are refused; a valid status is checked once per ttl', async () => {
  const w2 = await makeWorld()
  const v = createSdJwtVcVerifier({ trustedIssuers: w2.trustedIssuers, fetchStatusList: w2.fetchStatusList })
  const p = await w2.present([['pep_screened']])
  const r = await v.verify(p, opts)
  assert.equal(r.status?.checked, true)
  await v.verify(p, opts)
  assert.equal(w2.fetchStatusList.calls, 1)
  setStatus(w2.statusList, 3, 1)
  await assert.rejects(createSdJwtVcVerifier({ trustedIssuers: w2.trustedIssuers, fetchStatusList: w2.fetchStatusList }).verify(p, opts), { code: 'credential_revoked' })
  setStatus(w2.statusList, 3, 2)
  await v.verify(p, opts) // still within the cached list's ttl (300 s)
  await assert.rejects(v.verify(await w2.present([['pep_screened']], { now: later(301) }), { ...opts, now: later(301) }), { code: 'credential_suspended' })
  assert.equal(w2.fetchStatusList.calls, 3)
})

test('status list signed by someone else than the issuer → status_list_invalid', async () => {
  const w2 = await makeWorld()
  const stranger = await createLocalSigner((await generateKeyPair('ES256')).privateJwk)
  const fetchStatusList = async (uri: string) => signJws(stranger, 'statuslist+jwt', { sub: uri, iat: Math.floor(NOW.getTime() / 1000), status_list: { bits: 1, lst: 'eNrbuRgAAhcBXQ' } })
  const v = createSdJwtVcVerifier({ trustedIssuers: w2.trustedIssuers, fetchStatusList })
  await assert.rejects(v.verify(await w2.present([['pep_screened']]), opts), { code: 'status_list_invalid' })
})

test('a credential without cnf cannot satisfy required key binding → holder_key_missing', async () => {
  const noCnf = await craftSdJwt(w.issuer, {}, [])
  await assert.rejects(verifier.verify(noCnf, opts), { code: 'holder_key_missing' })
  await verifier.verify(noCnf, { now: NOW, requireKeyBinding: false })
})

test('key binding required without expectedNonce/expectedAudience is a caller error', async () => {
  await assert.rejects(verifier.verify(await w.present([]), { now: NOW }), { code: 'options_invalid' })
})

test('disclosing more than expectedClaims → claims_not_requested', async () => {
  const p = await w.present([['age_equal_or_over', '18'], ['given_name']])
  await assert.rejects(verifier.verify(p, { ...opts, expectedClaims: [['age_equal_or_over', '18']] }), { code: 'claims_not_requested' })
  await verifier.verify(p, { ...opts, expectedClaims: [['age_equal_or_over'], ['given_name']] })
})

test('withholding a claim that was asked for → claims_missing (an empty answer is not "verified")', async () => {
  const p = await w.present([['sanctions_screened']])
  await assert.rejects(verifier.verify(p, { ...opts, expectedClaims: [['age_equal_or_over', '18'], ['sanctions_screened']] }),
    { code: 'claims_missing', field: 'age_equal_or_over.18' })
  await assert.rejects(verifier.verify(await w.present([]), { ...opts, expectedClaims: [['sanctions_screened']] }), { code: 'claims_missing' })
  // Always-visible claims answer without a disclosure.
  assert.equal((await verifier.verify(p, { ...opts, expectedClaims: [['sanctions_screened'], ['kyc_level']] })).claims.kyc_level, SUBJECT.kyc_level)
})

test('a did:web issuer: key resolved from its DID document by kid', async () => {
  const did = 'did:web:sigil.example'
  const key = await generateKeyPair('ES256')
  const signer = await createLocalSigner(key.privateJwk, { kid: `${did}#${key.kid}` })
  const doc = createDidWebDocument(did, [key.publicJwk])
  const fetch = async (url: string) => ({ status: url === 'https://sigil.example/.well-known/did.json' ? 200 : 404, json: async () => doc })
  const credential = await issueKycSdJwtVc(SUBJECT, { signer, issuer: did, issuerUrl: ISSUER, holderJwk: w.holderKey.publicJwk, now: NOW })
  const v = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: did, vcts: [VCT] }], resolver: createResolver({ fetch }) })
  const p = await presentSdJwtVc(credential, { disclose: [['nationalities']], keyBinding: { holder: w.holder, nonce: NONCE, audience: AUDIENCE, now: NOW } })
  assert.deepEqual((await v.verify(p, opts)).claims.nationalities, ['DE'])
  const foreign = await createLocalSigner(key.privateJwk, { kid: `did:web:evil.example#${key.kid}` })
  const c2 = await issueKycSdJwtVc(SUBJECT, { signer: foreign, issuer: did, issuerUrl: ISSUER, holderJwk: w.holderKey.publicJwk, now: NOW })
  await assert.rejects(v.verify(c2, { ...opts, requireKeyBinding: false }), { code: 'key_unknown' })
  await assert.rejects(createSdJwtVcVerifier({ trustedIssuers: [{ issuer: did, vcts: [VCT] }] }).verify(p, opts), { code: 'key_unknown' })
})

test('garbage input → credential_malformed', async () => {
  for (const bad of ['', 'abc', 'a.b.c', 'a.b.c~', `${w.credential.split('~')[0]}~~`]) {
    await assert.rejects(verifier.verify(bad, opts), { code: 'credential_malformed' }, bad)
  }
})
