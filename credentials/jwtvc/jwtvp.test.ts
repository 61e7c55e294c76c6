import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createVerifiablePresentationJwt, verifyPresentation } from 'did-jwt-vc'
import { createDidWebDocument, createResolver, didJwkFromJwk, didKeyFromJwk } from '../dids/index.ts'
import { signJwsWithHeader } from '../jws/index.ts'
import { createLocalSigner, generateKeyPair } from '../keys/index.ts'
import { ISSUER, NOW, SUBJECT, VCT } from '../testing/index.ts'
import { issueKycJwtVc, toDidJwtSigner, verifyJwtVp } from './index.ts'

const did = 'did:web:sigil.example'
const key = await generateKeyPair('ES256')
const issuer = await createLocalSigner(key.privateJwk, { kid: `${did}#${key.kid}` })
const doc = createDidWebDocument(did, [key.publicJwk])
const resolver = createResolver({ fetch: async (url: string) => ({ status: url === 'https://sigil.example/.well-known/did.json' ? 200 : 404, json: async () => doc }) })
const trustedIssuers = [{ issuer: did, vcts: [VCT] }]
const VERIFIER = 'https://verifier.example'
const NONCE = 'n-0S6_WzA2Mj'
const epoch = (d: Date) => Math.floor(d.getTime() / 1000)

/** A wallet: a key, its did:jwk (or did:key), and a JWT-VC issued to it. */
async function holder(alg: 'EdDSA' | 'ES256' = 'EdDSA', method: 'jwk' | 'key' = 'jwk') {
  const pair = await generateKeyPair(alg)
  const holderDid = method === 'jwk' ? didJwkFromJwk(pair.publicJwk) : didKeyFromJwk(pair.publicJwk)
  const kid = method === 'jwk' ? `${holderDid}#0` : `${holderDid}#${holderDid.slice('did:key:'.length)}`
  const signer = await createLocalSigner(pair.privateJwk, { kid })
  const credential = await issueKycJwtVc(SUBJECT, { signer: issuer, issuerDid: did, issuerUrl: ISSUER, holderDid, now: NOW })
  /** A VP JWT as did-jwt-vc writes it (an independent implementation of the format). */
  const present = (vcs: string[] = [credential], o: { nonce?: string; aud?: string; iat?: Date; as?: string } = {}) =>
    createVerifiablePresentationJwt({
      vp: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiablePresentation'], verifiableCredential: vcs },
      ...(o.nonce === undefined ? { nonce: NONCE } : o.nonce === '' ? {} : { nonce: o.nonce }),
      aud: o.aud ?? VERIFIER,
      iat: epoch(o.iat ?? NOW),
    }, { did: o.as ?? holderDid, signer: toDidJwtSigner(signer), alg }, { header: { kid }, removeOriginalFields: false })
  return { holderDid, signer, credential, present, kid }
}

const opts = { resolver, trustedIssuers, now: NOW, nonce: NONCE, audience: VERIFIER }

test('a holder-signed VP with its own JWT-VC verifies (did:jwk EdDSA, did:key ES256); did-jwt-vc agrees', async () => {
  for (const [alg, method] of [['EdDSA', 'jwk'], ['ES256', 'key'], ['ES256', 'jwk']] as const) {
    const w = await holder(alg, method)
    const vp = await w.present()
    const r = await verifyJwtVp(vp, opts)
    assert.equal(r.holder, w.holderDid)
    assert.equal(r.issuer, did)
    assert.equal(r.claims.kyc_level, 'standard')
    const independent = await verifyPresentation(vp, resolver, { challenge: NONCE, domain: VERIFIER, policies: { now: epoch(NOW) } })
    assert.equal(independent.issuer, w.holderDid)
  }
})

test('nonce and audience are required and pinned', async () => {
  const w = await holder()
  await assert.rejects(verifyJwtVp(await w.present(undefined, { nonce: 'another' }), opts), { code: 'nonce_mismatch', field: 'vp.nonce' })
  await assert.rejects(verifyJwtVp(await w.present(undefined, { nonce: '' }), opts), { code: 'nonce_mismatch' })
  await assert.rejects(verifyJwtVp(await w.present(undefined, { aud: 'https://other.example' }), opts), { code: 'audience_mismatch' })
  // A verifier that forgets its nonce does not get a replayable check.
  await assert.rejects(verifyJwtVp(await w.present(), { ...opts, nonce: '' }), { code: 'options_invalid' })
  await assert.rejects(verifyJwtVp(await w.present(), { ...opts, audience: '' }), { code: 'options_invalid' })
})

test('an old or future presentation is stale', async () => {
  const w = await holder()
  await assert.rejects(verifyJwtVp(await w.present(undefined, { iat: new Date(NOW.getTime() - 311_000) }), opts), { code: 'vp_stale' })
  await assert.rejects(verifyJwtVp(await w.present(undefined, { iat: new Date(NOW.getTime() + 60_000) }), opts), { code: 'vp_stale' })
  assert.equal((await verifyJwtVp(await w.present(undefined, { iat: new Date(NOW.getTime() - 290_000) }), opts)).holder, w.holderDid)
})

test('a presentation past its own exp is stale, though its iat is recent', async () => {
  const w = await holder()
  const payload = { iss: w.holderDid, aud: VERIFIER, nonce: NONCE, iat: epoch(NOW) - 60, vp: { type: ['VerifiablePresentation'], verifiableCredential: [w.credential] } }
  const sign = (exp: number) => signJwsWithHeader(w.signer, { alg: 'EdDSA', kid: w.kid, typ: 'JWT' }, { ...payload, exp })
  assert.equal((await verifyJwtVp(await sign(epoch(NOW) + 60), opts)).holder, w.holderDid)
  await assert.rejects(verifyJwtVp(await sign(epoch(NOW) - 30), opts), { code: 'vp_stale', field: 'vp.exp' })
})

test('holder binding: someone else\'s credential, shown by another wallet, is refused', async () => {
  const victim = await holder()
  const thief = await holder()
  // The thief signs a presentation of the victim's credential as themself: the credential names another holder.
  await assert.rejects(verifyJwtVp(await thief.present([victim.credential]), opts), { code: 'holder_mismatch' })
  // Or claims to be the victim, signing with their own key: the signature does not verify with the victim's DID key.
  await assert.rejects(verifyJwtVp(await thief.present([victim.credential], { as: victim.holderDid }), opts), (err: { code: string }) =>
    ['vp_invalid', 'key_unknown'].includes(err.code))
  // A credential issued with no holder at all cannot be bound to anyone.
  const unbound = await issueKycJwtVc(SUBJECT, { signer: issuer, issuerDid: did, issuerUrl: ISSUER, now: NOW })
  await assert.rejects(verifyJwtVp(await thief.present([unbound]), opts), { code: 'holder_mismatch' })
})

test('the credential inside is verified in full: a changed byte, an untrusted issuer', async () => {
  const w = await holder()
  const [h, p, s] = w.credential.split('.')
  const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.at(-2) === 'A' ? 'B' : 'A'}${s!.at(-1)}`
  await assert.rejects(verifyJwtVp(await w.present([flipped]), opts), { code: 'signature_invalid', field: 'vp.verifiableCredential[0]' })
  await assert.rejects(verifyJwtVp(await w.present(), { ...opts, trustedIssuers: [{ issuer: 'did:web:other.example', vcts: [VCT] }] }), { code: 'issuer_untrusted' })
})

test('shape: one credential, a VP type, a JWT typ, a did:jwk or did:key issuer, a signature that verifies', async () => {
  const w = await holder()
  await assert.rejects(verifyJwtVp(await w.present([w.credential, w.credential]), opts), { code: 'vp_invalid', field: 'vp.vp.verifiableCredential' })
  const payload = { iss: w.holderDid, aud: VERIFIER, nonce: NONCE, iat: epoch(NOW), vp: { type: ['VerifiablePresentation'], verifiableCredential: [w.credential] } }
  const sign = (header: Record<string, unknown>, body: Record<string, unknown> = payload) => signJwsWithHeader(w.signer, { alg: 'EdDSA', kid: w.kid, ...header }, body)
  assert.equal((await verifyJwtVp(await sign({ typ: 'vp+jwt' }), opts)).holder, w.holderDid)
  // A key-binding JWT, an access token or the credential itself are not presentations.
  for (const typ of ['kb+jwt', 'at+jwt', 'dc+sd-jwt']) await assert.rejects(verifyJwtVp(await sign({ typ }), opts), { code: 'vp_invalid' }, typ)
  await assert.rejects(verifyJwtVp(await sign({ typ: 'JWT' }, { ...payload, vp: { type: ['VerifiableCredential'], verifiableCredential: [w.credential] } }), opts), { code: 'vp_invalid' })
  await assert.rejects(verifyJwtVp(await sign({ typ: 'JWT' }, { ...payload, iss: 'did:web:wallet.example' }), opts), { code: 'vp_invalid', field: 'vp.iss' })
  const vp = await w.present()
  const [h, p, s] = vp.split('.')
  await assert.rejects(verifyJwtVp(`${h}.${p}.${s!.slice(0, -2)}${s!.at(-2) === 'A' ? 'B' : 'A'}${s!.at(-1)}`, opts), { code: 'vp_invalid' })
  await assert.rejects(verifyJwtVp('not a jwt', opts), { code: 'credential_malformed' })
  const [, body, sig] = (await sign({ typ: 'JWT' })).split('.')
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: w.kid })).toString('base64url')
  await assert.rejects(verifyJwtVp(`${none}.${body}.${sig}`, opts), { code: 'alg_not_allowed' })
  await assert.rejects(verifyJwtVp(`${none}.${body}.`, opts), (err: { code: string }) => ['alg_not_allowed', 'credential_malformed'].includes(err.code))
})
