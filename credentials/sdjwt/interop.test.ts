import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import type { JWK } from 'jose'
import { decodeBase64url, encodeBase64urlJson, utf8 } from '../encoding/index.ts'
import { AUDIENCE, disclosure, makeWorld, NONCE, NOW, withDisclosures, type World } from '../testing/index.ts'
import { createKbJwt, createSdJwtVcVerifier, decodeSdJwt, splitSdJwt, type VerifySdJwtVcOptions } from './index.ts'

/** @sd-jwt/sd-jwt-vc 0.19 set up as its README shows, with plain Web Crypto callbacks (none of our code). */
async function referenceVerifier(w: World): Promise<SDJwtVcInstance> {
  const params = (jwk: JWK) => jwk.kty === 'OKP' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const verifyWith = async (jwk: JWK, data: string, sig: string) => {
    const { kid: _k, alg: _a, ...pub } = jwk
    const key = await crypto.subtle.importKey('jwk', pub as JsonWebKey, params(jwk), false, ['verify'])
    return crypto.subtle.verify(params(jwk), key, decodeBase64url(sig) as Uint8Array<ArrayBuffer>, utf8(data))
  }
  return new SDJwtVcInstance({
    hasher: async (data: string | ArrayBuffer) => new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? utf8(data) : data)),
    verifier: (data: string, sig: string) => verifyWith(w.issuerKey.publicJwk, data, sig),
    kbVerifier: (data: string, sig: string, payload: { cnf?: { jwk?: JWK } }) => verifyWith(payload.cnf!.jwk!, data, sig),
    statusListFetcher: () => w.statusToken(),
  })
}

const w = await makeWorld()
const reference = await referenceVerifier(w)
const ours = createSdJwtVcVerifier({ trustedIssuers: w.trustedIssuers, fetchStatusList: w.fetchStatusList })
const opts: VerifySdJwtVcOptions = { now: NOW, expectedNonce: NONCE, expectedAudience: AUDIENCE }
const currentDate = Math.floor(NOW.getTime() / 1000)

test('independent check: @sd-jwt/sd-jwt-vc verifies a presentation we issued and presented, KB-JWT included', async () => {
  const p = await w.present([['given_name'], ['address', 'country'], ['age_equal_or_over', '18']])
  const r = await reference.verify(p, { currentDate, keyBindingNonce: NONCE })
  assert.equal(r.header?.typ, 'dc+sd-jwt')
  assert.equal(r.kb?.payload.aud, AUDIENCE)
  const claims = r.payload as Record<string, unknown>
  assert.equal(claims.given_name, 'Erika')
  assert.deepEqual(claims.address, { country: 'DE' })
  assert.deepEqual(claims.age_equal_or_over, { 18: true })
  assert.equal(claims.family_name, undefined)
  assert.deepEqual((await ours.verify(p, opts)).claims, claims)
})

test('library trap 1: without keyBindingNonce, 0.19 skips the KB-JWT entirely (wrong nonce, wrong audience, no KB at all pass); ours throws', async () => {
  const wrongNonce = await w.present([['pep_screened']], { nonce: 'replayed', audience: 'https://someone-else.example' })
  await reference.verify(wrongNonce, { currentDate }) // accepted
  await assert.rejects(ours.verify(wrongNonce, opts), { code: 'nonce_mismatch' })
  const { sdJwt } = splitSdJwt(wrongNonce)
  await reference.verify(sdJwt, { currentDate }) // no KB-JWT at all: accepted
  await assert.rejects(ours.verify(sdJwt, opts), { code: 'kb_jwt_missing' })
  // With a nonce given it does check: the trap is the silent default.
  await assert.rejects(reference.verify(wrongNonce, { currentDate, keyBindingNonce: NONCE }))
})

test('library trap 2: a tampered or foreign disclosure is silently dropped, even under a valid KB-JWT; ours throws', async () => {
  const p = await w.present([['pep_screened']])
  const { jwt, disclosures } = splitSdJwt(p)
  const forged = (await disclosure(['c2FsdHNhbHRzYWx0', 'sanctions_screened', false])).encoded
  // The holder signs the KB-JWT over the presentation with the forged disclosure in it.
  const sdJwt = `${jwt}~${[...disclosures, forged].map((d) => `${d}~`).join('')}`
  const withKb = sdJwt + await createKbJwt({ holder: w.holder, sdJwt, nonce: NONCE, audience: AUDIENCE, now: NOW })
  const r = await reference.verify(withKb, { currentDate, keyBindingNonce: NONCE }) // accepted
  assert.equal((r.payload as Record<string, unknown>).sanctions_screened, undefined) // …and the forged claim vanished without a word
  await assert.rejects(ours.verify(withKb, opts), { code: 'disclosure_unreferenced' })
})

test('library trap 3: a duplicated disclosure is accepted by 0.19 (no KB nonce); ours throws', async () => {
  const p = await w.present([['given_name']])
  const dup = withDisclosures(splitSdJwt(p).sdJwt, (ds) => [...ds, ds[0]!])
  await reference.verify(dup, { currentDate })
  await assert.rejects(ours.verify(dup, { ...opts, requireKeyBinding: false }), { code: 'disclosure_duplicated' })
})

test('not a trap, but only thanks to the callback: 0.19 does not check the issuer JWT alg; alg none fails because the callback rejects the empty signature', async () => {
  const p = await w.present([['given_name']])
  const { jwt } = splitSdJwt(p)
  const none = p.replace(jwt, `${encodeBase64urlJson({ alg: 'none', typ: 'dc+sd-jwt' })}.${jwt.split('.')[1]}.`)
  await assert.rejects(reference.verify(none, { currentDate }))
  await assert.rejects(ours.verify(none, opts), { code: 'alg_not_allowed' })
})

test('our decoder agrees with the library on the claims of a full credential', async () => {
  const mine = await decodeSdJwt(w.credential)
  const theirs = await reference.getClaims(w.credential) as Record<string, unknown>
  const { _sd_alg: _drop, ...expected } = theirs
  assert.deepEqual(mine.claims, expected)
})
