import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createDidWebDocument, createResolver } from '../dids/index.ts'
import { generateKeyPair } from '../keys/index.ts'
import { IssuerKeys } from './issuerKeys.ts'

const DID = 'did:web:issuer.example'

test('a key found by resolving the DID is used for keyCacheSeconds, then resolved again: a key taken out is refused', async () => {
  const [k1, k2] = [await generateKeyPair('ES256'), await generateKeyPair('ES256')]
  let doc = createDidWebDocument(DID, [k1.publicJwk, k2.publicJwk])
  let fetches = 0
  const resolver = createResolver({ fetch: async () => { fetches++; return { status: 200, json: async () => doc } } })
  let t = 1_000_000
  const keys = new IssuerKeys(resolver, { keyCacheSeconds: 60, clock: () => t })
  const entry = { issuer: DID, vcts: [] }
  const kid = `${DID}#${k1.kid}`
  await keys.get(entry, kid, 'ES256')
  await keys.get(entry, kid, 'ES256')
  assert.equal(fetches, 1, 'cached within its time')
  doc = createDidWebDocument(DID, [k2.publicJwk]) // the issuer takes k1 out (compromised)
  t += 59_000
  await keys.get(entry, kid, 'ES256')
  assert.equal(fetches, 1)
  t += 2_000
  await assert.rejects(keys.get(entry, kid, 'ES256'), { code: 'key_unknown' })
  assert.equal(fetches, 2)
})

test('pinned keys are read from the entry at every call: a key taken out of the list is refused at once', async () => {
  const k1 = await generateKeyPair('ES256')
  const keys = new IssuerKeys()
  const entry = { issuer: 'https://issuer.example', vcts: [], keys: [{ ...k1.publicJwk, kid: 'k1' }] }
  await keys.get(entry, 'k1', 'ES256')
  entry.keys = []
  await assert.rejects(keys.get(entry, 'k1', 'ES256'), { code: 'key_unknown' })
})
