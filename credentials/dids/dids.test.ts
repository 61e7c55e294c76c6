import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeBase64urlJson } from '../encoding/index.ts'
import { generateKeyPair, publicJwk } from '../keys/index.ts'
import {
  createDidWebDocument, createResolver, didJwkFromJwk, didKeyFromJwk, didWebDocumentUrl, didWebFromUrl, jwkFromDidJwk, jwkFromDidKey, resolveDidKey,
} from './index.ts'

test('did:web from an https URL and back (did:web spec §3.1-3.2)', () => {
  const cases: [string, string, string][] = [
    ['https://example.com', 'did:web:example.com', 'https://example.com/.well-known/did.json'],
    ['https://example.com/', 'did:web:example.com', 'https://example.com/.well-known/did.json'],
    ['https://localhost:8443', 'did:web:localhost%3A8443', 'https://localhost:8443/.well-known/did.json'],
    ['https://w3c-ccg.github.io/user/alice', 'did:web:w3c-ccg.github.io:user:alice', 'https://w3c-ccg.github.io/user/alice/did.json'],
  ]
  for (const [url, did, docUrl] of cases) {
    assert.equal(didWebFromUrl(url), did)
    assert.equal(didWebDocumentUrl(did), docUrl)
  }
  for (const bad of ['http://example.com', 'https://example.com/?q=1', 'not a url']) assert.throws(() => didWebFromUrl(bad), { code: 'did_invalid' }, bad)
  for (const bad of ['did:web:', 'did:key:abc', 'did:web:exa/mple.com', 'did:web:example.com:..', 'did:web:example.com::x']) {
    assert.throws(() => didWebDocumentUrl(bad), { code: 'did_invalid' }, bad)
  }
})

test('did:key round trip for P-256 and Ed25519; the did:key spec test vectors decode', async () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const k = await generateKeyPair(alg)
    const did = didKeyFromJwk(k.publicJwk)
    assert.ok(did.startsWith(alg === 'ES256' ? 'did:key:zDn' : 'did:key:z6Mk'), did)
    const { kid: _kid, ...pub } = publicJwk(k.publicJwk)
    assert.deepEqual(jwkFromDidKey(did), pub)
  }
  // w3c-ccg/did-method-key test vectors (Ed25519 and P-256 examples of the spec).
  assert.equal(jwkFromDidKey('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK').crv, 'Ed25519')
  const p256 = 'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169'
  assert.equal(didKeyFromJwk(jwkFromDidKey(p256)), p256)
  assert.throws(() => jwkFromDidKey('did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc'), { code: 'did_invalid' }) // X25519
  assert.throws(() => jwkFromDidKey('did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2160'), { code: 'did_invalid' }) // off the curve
})

test('did:jwk round trip; a private key inside is refused', async () => {
  const k = await generateKeyPair('ES256')
  const did = didJwkFromJwk(k.publicJwk)
  assert.equal(jwkFromDidJwk(did).x, k.publicJwk.x)
  assert.throws(() => jwkFromDidJwk(didJwkFromJwk(k.publicJwk).replace('did:jwk:', 'did:jwk:x')), { code: 'did_invalid' })
  const withD = `did:jwk:${encodeBase64urlJson(k.privateJwk)}`
  assert.throws(() => jwkFromDidJwk(withD), { code: 'did_invalid' })
})

test('the resolver resolves did:key, did:jwk and (with an injected fetch) did:web to assertion keys', async () => {
  const k = await generateKeyPair('EdDSA')
  const offline = createResolver()
  const dk = didKeyFromJwk(k.publicJwk)
  assert.equal((await resolveDidKey(offline, undefined, { expectedController: dk })).x, k.publicJwk.x)
  const dj = didJwkFromJwk(k.publicJwk)
  assert.equal((await resolveDidKey(offline, `${dj}#0`, { expectedController: dj })).x, k.publicJwk.x)

  const did = 'did:web:issuer.example%3A8443'
  const doc = createDidWebDocument(did, [k.publicJwk])
  const seen: string[] = []
  const resolver = createResolver({ fetch: async (url) => (seen.push(url), { status: 200, json: async () => doc }) })
  const jwk = await resolveDidKey(resolver, `${did}#${k.kid}`, { expectedController: did })
  assert.equal(jwk.x, k.publicJwk.x)
  assert.deepEqual(seen, ['https://issuer.example:8443/.well-known/did.json'])
  assert.equal((await resolveDidKey(resolver, `#${k.kid}`, { expectedController: did })).x, k.publicJwk.x)
  await assert.rejects(resolveDidKey(resolver, `${did}#nope`, { expectedController: did }), { code: 'key_unknown' })
  await assert.rejects(resolveDidKey(resolver, `did:web:evil.example#${k.kid}`, { expectedController: did }), { code: 'key_unknown' })
  await assert.rejects(resolveDidKey(offline, `${did}#${k.kid}`, { expectedController: did }), { code: 'did_resolution_failed' })
  // A key present only under authentication does not sign credentials.
  const authOnly = { ...doc, assertionMethod: [], authentication: [`${did}#${k.kid}`] }
  const r2 = createResolver({ fetch: async () => ({ status: 200, json: async () => authOnly }) })
  await assert.rejects(resolveDidKey(r2, `${did}#${k.kid}`, { expectedController: did }), { code: 'key_unknown' })
  // A document for another DID, or a 404, does not resolve.
  const r3 = createResolver({ fetch: async () => ({ status: 200, json: async () => ({ ...doc, id: 'did:web:evil.example' }) }) })
  await assert.rejects(resolveDidKey(r3, `${did}#${k.kid}`, { expectedController: did }), { code: 'did_resolution_failed' })
  const r4 = createResolver({ fetch: async () => ({ status: 404, json: async () => ({}) }) })
  await assert.rejects(resolveDidKey(r4, `${did}#${k.kid}`, { expectedController: did }), { code: 'did_resolution_failed' })
})

test('the did:web document lists each issuer key as a JsonWebKey2020 assertionMethod', async () => {
  const a = await generateKeyPair('ES256')
  const b = await generateKeyPair('EdDSA')
  const doc = createDidWebDocument('did:web:sigil.example', [a.privateJwk, b.publicJwk])
  assert.deepEqual(doc.assertionMethod, [`did:web:sigil.example#${a.kid}`, `did:web:sigil.example#${b.kid}`])
  assert.equal(doc.verificationMethod?.[0]?.type, 'JsonWebKey2020')
  assert.equal((doc.verificationMethod?.[0]?.publicKeyJwk as { d?: string }).d, undefined)
  assert.throws(() => createDidWebDocument('did:web:sigil.example', [{ ...a.publicJwk, kid: undefined }]), { code: 'key_invalid' })
})
