import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JWK } from 'jose'
import { decodeJws, verifyJwsSignature } from '../jws/index.ts'
import { importPublicJwk } from '../keys/index.ts'
import { readVector, vectorMissing } from '../testing/index.ts'
import { createSdJwtVcVerifier, decodeSdJwt, verifyKbJwt } from './index.ts'

// Spec examples from ../shared/vectors (sources in SOURCES.md), checked with their published keys.
interface Example { sd_jwt: string; sd_jwt_kb_presentation: string; processed_payload: Record<string, unknown> }
interface SdJwtFile { issuer_public_jwk: JWK; key_binding: { nonce: string; aud: string }; examples: Record<string, Example> }
interface SdJwtVcFile {
  issuer: string
  key_binding: { nonce: string; aud: string }
  jwt_vc_issuer_metadata_example: { jwks: { keys: JWK[] } }
  unsecured_payload: Record<string, unknown>
  issued_sd_jwt: string
  presentation_with_kb: string
  presentation_with_kb_processed_payload: Record<string, unknown>
  presentation_without_kb: string
  presentation_without_kb_processed_payload: Record<string, unknown>
}

const kbTime = (presentation: string): Date => new Date((decodeJws(presentation.slice(presentation.lastIndexOf('~') + 1)).payload.iat as number) * 1000)

test('RFC 9901 §5 example: claims, issuer signature and KB-JWT check out; as an SD-JWT VC it is typ_invalid', { skip: vectorMissing('sd-jwt.json') }, async () => {
  const v = readVector<SdJwtFile>('sd-jwt.json')
  const ex = v.examples['simple (section 5)']!
  const decoded = await decodeSdJwt(ex.sd_jwt_kb_presentation)
  assert.deepEqual(decoded.claims, ex.processed_payload)
  assert.equal(await verifyJwsSignature(decoded.jws, 'ES256', await importPublicJwk(v.issuer_public_jwk, 'ES256')), true)
  const kb = await verifyKbJwt(decoded.kbJwt!, {
    holderKey: (alg) => importPublicJwk((decoded.claims.cnf as { jwk: JWK }).jwk, alg),
    sdJwt: decoded.sdJwt,
    expectedNonce: v.key_binding.nonce,
    expectedAudience: v.key_binding.aud,
    now: kbTime(ex.sd_jwt_kb_presentation),
    maxAgeSeconds: 300,
    clockToleranceSeconds: 0,
    allowedAlgs: ['ES256'],
  })
  assert.equal(kb.nonce, v.key_binding.nonce)
  // Full issuance decodes with every disclosure referenced exactly once.
  assert.equal((await decodeSdJwt(ex.sd_jwt)).disclosed.length, ex.sd_jwt.split('~').length - 2)
  // It is a plain SD-JWT (typ example+sd-jwt, no vct), so the SD-JWT VC verifier refuses it.
  const verifier = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: 'https://issuer.example.com', vcts: [], keys: [v.issuer_public_jwk] }] })
  await assert.rejects(verifier.verify(ex.sd_jwt_kb_presentation, { now: kbTime(ex.sd_jwt_kb_presentation), expectedNonce: v.key_binding.nonce, expectedAudience: v.key_binding.aud }), { code: 'typ_invalid' })
})

test('RFC 9901 appendix A.3 PID SD-JWT VC presentation verifies end to end', { skip: vectorMissing('sd-jwt.json') }, async () => {
  const v = readVector<SdJwtFile>('sd-jwt.json')
  const ex = v.examples['sd-jwt-vc pid (appendix A.3)']!
  const verifier = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: 'https://pid-issuer.bund.de.example', vcts: ['urn:eudi:pid:de:1'], keys: [v.issuer_public_jwk] }] })
  const now = kbTime(ex.sd_jwt_kb_presentation)
  const r = await verifier.verify(ex.sd_jwt_kb_presentation, { now, expectedNonce: v.key_binding.nonce, expectedAudience: v.key_binding.aud })
  assert.deepEqual(r.claims, ex.processed_payload)
  await assert.rejects(verifier.verify(ex.sd_jwt_kb_presentation, { now, expectedNonce: 'other', expectedAudience: v.key_binding.aud }), { code: 'nonce_mismatch' })
  // The issued form (all disclosures, no KB-JWT) passes only when key binding is not required.
  await assert.rejects(verifier.verify(ex.sd_jwt, { now, expectedNonce: v.key_binding.nonce, expectedAudience: v.key_binding.aud }), { code: 'kb_jwt_missing' })
  await verifier.verify(ex.sd_jwt, { now, requireKeyBinding: false })
})

test('SD-JWT VC draft examples: issuer key chosen by kid from the jwt-vc-issuer JWKS; with and without KB-JWT', { skip: vectorMissing('sd-jwt-vc.json') }, async () => {
  const v = readVector<SdJwtVcFile>('sd-jwt-vc.json')
  const vct = v.unsecured_payload.vct as string
  const keys = v.jwt_vc_issuer_metadata_example.jwks.keys
  const verifier = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: v.issuer, vcts: [vct], keys }] })
  const now = kbTime(v.presentation_with_kb)
  const r = await verifier.verify(v.presentation_with_kb, { now, expectedNonce: v.key_binding.nonce, expectedAudience: v.key_binding.aud })
  assert.deepEqual(r.claims, v.presentation_with_kb_processed_payload)
  assert.equal(r.header.kid, 'doc-signer-05-25-2022')

  const issued = await verifier.verify(v.issued_sd_jwt, { now, requireKeyBinding: false })
  for (const [k, value] of Object.entries(v.unsecured_payload)) assert.deepEqual(issued.claims[k], value, k)

  // This one has no kid: it needs an issuer with exactly one key, and it has no cnf to bind to.
  await assert.rejects(verifier.verify(v.presentation_without_kb, { now, requireKeyBinding: false }), { code: 'key_unknown' })
  const oneKey = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: v.issuer, vcts: [vct], keys: [keys[0]!] }] })
  const bare = await oneKey.verify(v.presentation_without_kb, { now, requireKeyBinding: false })
  assert.deepEqual(bare.claims, v.presentation_without_kb_processed_payload)
  await assert.rejects(oneKey.verify(v.presentation_without_kb, { now, expectedNonce: v.key_binding.nonce, expectedAudience: v.key_binding.aud }), { code: 'holder_key_missing' })
  // The second published key signs nothing: pinning only it makes the signature fail.
  const wrong = createSdJwtVcVerifier({ trustedIssuers: [{ issuer: v.issuer, vcts: [vct], keys: [{ ...keys[1]!, kid: keys[0]!.kid }] }] })
  await assert.rejects(wrong.verify(v.issued_sd_jwt, { now, requireKeyBinding: false }), { code: 'signature_invalid' })
  // From exp (1883000000) plus the 10 s tolerance, the examples are expired.
  await assert.rejects(verifier.verify(v.issued_sd_jwt, { now: new Date(1_883_000_010_000), requireKeyBinding: false }), { code: 'credential_expired' })
})
