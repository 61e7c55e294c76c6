import { test } from 'node:test'
import assert from 'node:assert/strict'
import { webcrypto } from 'node:crypto'
import { compactVerify, importJWK, type JWK } from 'jose'
import { localSigner } from './signer.ts'
import { signJwt } from './jwt.ts'

async function newJwk(): Promise<JWK> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  return await webcrypto.subtle.exportKey('jwk', pair.privateKey) as JWK
}

test('the local signer gives r || s signatures that WebCrypto and jose verify, and that fail on other data', async () => {
  const jwk = await newJwk()
  const signer = await localSigner('k1', jwk)
  const data = new TextEncoder().encode('header.payload')
  const sig = await signer.sign(data)
  assert.equal(sig.length, 64, 'JWS ES256 signatures are r || s, 64 bytes (not DER)')
  const pub = await webcrypto.subtle.importKey('jwk', signer.publicJwk as webcrypto.JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  const ecdsa = { name: 'ECDSA', hash: 'SHA-256' }
  assert.equal(await webcrypto.subtle.verify(ecdsa, pub, sig, data), true)
  assert.equal(await webcrypto.subtle.verify(ecdsa, pub, sig, new TextEncoder().encode('header.payloaD')), false)
  // ECDSA signatures are randomized: two signatures of the same data differ and both verify.
  const again = await signer.sign(data)
  assert.notDeepEqual(again, sig)
  assert.equal(await webcrypto.subtle.verify(ecdsa, pub, again, data), true)

  const jws = await signJwt(signer, 'test+jwt', { sub: 'u1' })
  const { protectedHeader, payload } = await compactVerify(jws, await importJWK(signer.publicJwk, 'ES256'), { algorithms: ['ES256'] })
  assert.deepEqual(protectedHeader, { alg: 'ES256', typ: 'test+jwt', kid: 'k1' })
  assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { sub: 'u1' })
})

test('the public JWK carries no private part; a key that is not a private P-256 key is refused', async () => {
  const jwk = await newJwk()
  const signer = await localSigner('k2', jwk)
  assert.deepEqual(Object.keys(signer.publicJwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
  const { d: _d, ...publicOnly } = jwk
  await assert.rejects(localSigner('k3', publicOnly), /private P-256/)
  await assert.rejects(localSigner('k4', { ...jwk, crv: 'P-384' }), /private P-256/)
  // A private scalar that does not belong to the public point is refused when the key is read.
  const other = await newJwk()
  await assert.rejects(localSigner('k5', { ...jwk, d: other.d }), /does not match the public point/)
})
