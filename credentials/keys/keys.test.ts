import assert from 'node:assert/strict'
import { test } from 'node:test'
import { calculateJwkThumbprint } from 'jose'
import { decodeBase64url, encodeBase64url, utf8 } from '../encoding/index.ts'
import { decodeJws, signJws, verifyJwsSignature } from '../jws/index.ts'
import { assertAlgAllowed, createLocalSigner, generateKeyPair, importPublicJwk, jwkThumbprint, PublicKeyCache } from './index.ts'

test('generated keys carry their RFC 7638 thumbprint as kid, for both algorithms', async () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const k = await generateKeyPair(alg)
    assert.equal(k.kid, await calculateJwkThumbprint(k.publicJwk, 'sha256'))
    assert.equal(k.publicJwk.d, undefined)
    assert.equal(k.publicJwk.kid, k.kid)
    assert.equal(k.privateJwk.alg, alg)
  }
})

test('RFC 8037 §A.3 Ed25519 thumbprint', async () => {
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }
  assert.equal(await jwkThumbprint(jwk), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
})

test('a local signer signs JWS that verify with the public key, and not with another', async () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const k = await generateKeyPair(alg)
    const signer = await createLocalSigner(k.privateJwk)
    assert.equal(signer.kid, k.kid)
    const jws = decodeJws(await signJws(signer, 'JWT', { hello: 'world' }))
    assert.deepEqual(jws.header, { alg, typ: 'JWT', kid: k.kid })
    assert.equal(await verifyJwsSignature(jws, alg, await importPublicJwk(k.publicJwk, alg)), true)
    const other = await generateKeyPair(alg)
    assert.equal(await verifyJwsSignature(jws, alg, await importPublicJwk(other.publicJwk, alg)), false)
    assert.equal(await verifyJwsSignature({ ...jws, signature: jws.signature.subarray(1) }, alg, await importPublicJwk(k.publicJwk, alg)), false)
  }
})

test('only ES256 and EdDSA pass the allowlist', () => {
  assert.equal(assertAlgAllowed('ES256'), 'ES256')
  for (const alg of ['none', 'HS256', 'RS256', 'ES256K', 'Ed25519', '', undefined, 42]) {
    assert.throws(() => assertAlgAllowed(alg), { code: 'alg_not_allowed' }, String(alg))
  }
  assert.throws(() => assertAlgAllowed('EdDSA', ['ES256']), { code: 'alg_not_allowed' })
})

test('keys of other types or for the wrong alg are key_invalid', async () => {
  const ec = await generateKeyPair('ES256')
  await assert.rejects(importPublicJwk(ec.publicJwk, 'EdDSA'), { code: 'key_invalid' })
  await assert.rejects(importPublicJwk({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }, 'ES256'), { code: 'key_invalid' })
  await assert.rejects(importPublicJwk({ kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' }, 'ES256'), { code: 'key_invalid' })
  await assert.rejects(importPublicJwk({ ...ec.publicJwk, x: 'AAAA' }, 'ES256'), { code: 'key_invalid' })
  await assert.rejects(importPublicJwk(ec.privateJwk, 'ES256'), { code: 'key_invalid' })
})

test('the public key cache imports a key once', async () => {
  const k = await generateKeyPair('ES256')
  const cache = new PublicKeyCache()
  const [a, b] = await Promise.all([cache.get(k.publicJwk, 'ES256'), cache.get({ ...k.publicJwk, kid: 'other' }, 'ES256')])
  assert.equal(a, b)
})

test('base64url: round trip, and strict decoding', () => {
  for (let n = 0; n < 40; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n))
    assert.deepEqual(decodeBase64url(encodeBase64url(bytes)), bytes)
  }
  assert.equal(encodeBase64url(utf8('\u00ff\u00fe')), 'w7_Dvg')
  for (const bad of ['a', 'ab=', 'a+b/', 'ab c', 'AB']) assert.throws(() => decodeBase64url(bad), { code: 'credential_malformed' }, bad)
})
