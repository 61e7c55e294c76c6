import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose'
import { encryptResponse, responseEncryptionOf } from './presentation.ts'

/**
 * The web wallet's side of `direct_post.jwt` (OpenID4VP 1.0 §8.3): which verifier keys and content encryptions it
 * accepts, and that what it sends opens with the verifier's private key. The whole round trip through the browser
 * and Sigil's verifier is in e2e/verifierDemo.spec.ts and e2e/travelRule.spec.ts.
 */

async function verifierKey(extra: Partial<JWK> = {}) {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
  return { publicJwk: { ...await exportJWK(publicKey), kid: 'k1', use: 'enc', alg: 'ECDH-ES', ...extra }, privateKey }
}

test('the answer is a compact JWE, ECDH-ES with the verifier\'s kid, that opens with the verifier\'s key', async () => {
  const { publicJwk, privateKey } = await verifierKey()
  for (const [offered, enc] of [[['A256GCM', 'A128GCM'], 'A128GCM'], [['A256GCM'], 'A256GCM'], [undefined, 'A128GCM']] as const) {
    const e = responseEncryptionOf({ jwks: { keys: [publicJwk] }, ...(offered ? { encrypted_response_enc_values_supported: offered } : {}) })
    assert.equal(e.enc, enc, `offered ${String(offered)}`)
    const params = { vp_token: { kyc: ['eyJ...~'] }, state: 's-1' }
    const jwe = await encryptResponse(e, params)
    assert.equal(jwe.split('.').length, 5)
    const header = decodeProtectedHeader(jwe)
    assert.deepEqual([header.alg, header.enc, header.kid], ['ECDH-ES', enc, 'k1'])
    const { plaintext } = await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: ['ECDH-ES'], contentEncryptionAlgorithms: [enc] })
    assert.deepEqual(JSON.parse(new TextDecoder().decode(plaintext)), params)
  }
})

test('a key for another use or algorithm, private material, another curve, or no shared enc is refused', async () => {
  const { publicJwk } = await verifierKey()
  const refused = (metadata: unknown) => assert.throws(() => responseEncryptionOf(metadata), { code: 'request_invalid' }, JSON.stringify(metadata))
  refused(undefined)
  refused({ jwks: { keys: [] } })
  refused({ jwks: { keys: [{ ...publicJwk, use: 'sig' }] } })
  refused({ jwks: { keys: [{ ...publicJwk, alg: 'ECDH-ES+A128KW' }] } })
  refused({ jwks: { keys: [{ ...publicJwk, d: 'AAAA' }] } })
  refused({ jwks: { keys: [{ ...publicJwk, crv: 'P-384' }] } })
  refused({ jwks: { keys: [publicJwk] }, encrypted_response_enc_values_supported: ['A192GCM', 'A128CBC-HS256'] })
  refused({ jwks: { keys: [publicJwk] }, encrypted_response_enc_values_supported: 'A128GCM' })
  // The first usable key is taken; only its public coordinates (and kid) are kept.
  const e = responseEncryptionOf({ jwks: { keys: [{ ...publicJwk, use: 'sig' }, { ...publicJwk, kid: 'k2', x5c: ['x'] }] } })
  assert.deepEqual(Object.keys(e.jwk).sort(), ['crv', 'kid', 'kty', 'x', 'y'])
  assert.equal(e.jwk.kid, 'k2')
})
