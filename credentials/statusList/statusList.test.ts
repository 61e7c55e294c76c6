import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JWK } from 'jose'
import { encodeBase64url } from '../encoding/index.ts'
import { createLocalSigner, generateKeyPair, importPublicJwk, publicJwk } from '../keys/index.ts'
import { decodeSdJwt } from '../sdjwt/index.ts'
import { readVector, vectorMissing } from '../testing/index.ts'
import {
  checkStatus, createStatusList, createStatusListToken, decodeStatusList, deflate, encodeStatusList, getStatus, setStatus,
  StatusListCache, statusReferenceOf, verifyStatusListToken, type StatusBits,
} from './index.ts'

interface StatusVectors {
  signing_jwk_for_tests: JWK
  status_list_jwt: string
  encodings: Record<string, { byte_array: number[]; bits: StatusBits; lst: string }>
  referenced_token_sd_jwt: string
}
const missing = vectorMissing('status-list.json')
const NOW = new Date('2026-03-01T00:00:00Z')

test('draft examples: 1-bit and 2-bit lists decode to the published bytes and statuses', { skip: missing }, async () => {
  const v = readVector<StatusVectors>('status-list.json')
  for (const [name, enc] of Object.entries(v.encodings)) {
    const list = await decodeStatusList({ bits: enc.bits, lst: enc.lst })
    assert.deepEqual([...list.bytes], enc.byte_array, name)
    const again = await decodeStatusList(await encodeStatusList(list)) // our deflate output need not be byte-equal; its content is
    assert.deepEqual([...again.bytes], enc.byte_array)
  }
  const one = await decodeStatusList(v.encodings.bits1!)
  // §4.1 example: 0xB9 0xA3 = statuses 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1 (least significant bit first)
  assert.deepEqual(Array.from({ length: 16 }, (_, i) => getStatus(one, i)), [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1])
  const two = await decodeStatusList(v.encodings.bits2!)
  // §4.2 example: 0xC9 0x44 0xF9 = 1,2,0,3, 0,1,0,1, 1,2,3,3
  assert.deepEqual(Array.from({ length: 12 }, (_, i) => getStatus(two, i)), [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3])
})

test('draft example token verifies with its key; the referenced token (idx 0) is revoked', { skip: missing }, async () => {
  const v = readVector<StatusVectors>('status-list.json')
  const key = await importPublicJwk(publicJwk(v.signing_jwk_for_tests), 'ES256')
  const resolveKey = async (_alg: string, kid: string | undefined) => {
    assert.equal(kid, '12')
    return key
  }
  // The example was signed in 2023 with a ttl of 12 h: it is checked an hour after its iat (1686920170).
  const now = new Date(1_686_923_770_000)
  const r = await verifyStatusListToken(v.status_list_jwt, { expectedUri: 'https://example.com/statuslists/1', resolveKey, now })
  assert.equal(r.ttl, 43200)
  assert.equal(r.issuer, 'https://example.com')
  const reference = statusReferenceOf((await decodeSdJwt(v.referenced_token_sd_jwt)).claims)!
  assert.deepEqual(reference, { idx: 0, uri: 'https://example.com/statuslists/1' })
  const fetchStatusList = async () => v.status_list_jwt
  await assert.rejects(checkStatus(reference, { fetchStatusList, resolveKey, now }), { code: 'credential_revoked' })
  assert.equal(await checkStatus({ ...reference, idx: 1 }, { fetchStatusList, resolveKey, now }), 0)
  await assert.rejects(checkStatus({ ...reference, idx: 16 }, { fetchStatusList, resolveKey, now }), { code: 'status_invalid' })
  await assert.rejects(verifyStatusListToken(v.status_list_jwt, { expectedUri: 'https://example.com/statuslists/2', resolveKey, now }), { code: 'status_list_invalid' })
  // Years later it is still before its exp, but far older than its ttl.
  await assert.rejects(verifyStatusListToken(v.status_list_jwt, { expectedUri: 'https://example.com/statuslists/1', resolveKey, now: NOW }), { code: 'status_unavailable' })
  await assert.rejects(verifyStatusListToken(v.status_list_jwt, { expectedUri: 'https://example.com/statuslists/1', resolveKey, now: new Date(2_291_720_180_000) }), { code: 'status_list_invalid' })
})

test('set and get at every width; 1 is revoked, 2 suspended, 3 application-specific → status_invalid', async () => {
  for (const bits of [1, 2, 4, 8] as const) {
    const list = createStatusList(100, bits)
    const max = (1 << bits) - 1
    for (let i = 0; i < 100; i++) setStatus(list, i, i % (max + 1))
    const round = await decodeStatusList(await encodeStatusList(list))
    for (let i = 0; i < 100; i++) assert.equal(getStatus(round, i), i % (max + 1))
    assert.throws(() => setStatus(list, 0, max + 1), { code: 'options_invalid' })
  }
  const key = await generateKeyPair('ES256')
  const signer = await createLocalSigner(key.privateJwk)
  const list = createStatusList(8, 2)
  setStatus(list, 1, 1)
  setStatus(list, 2, 2)
  setStatus(list, 3, 3)
  const uri = 'https://sigil.example/status-lists/7'
  const token = await createStatusListToken({ signer, uri, list, now: NOW, ttlSeconds: 60 })
  const pub = await importPublicJwk(key.publicJwk, 'ES256')
  const opts = { fetchStatusList: async () => token, resolveKey: async () => pub, now: NOW }
  assert.equal(await checkStatus({ idx: 0, uri }, opts), 0)
  await assert.rejects(checkStatus({ idx: 1, uri }, opts), { code: 'credential_revoked' })
  await assert.rejects(checkStatus({ idx: 2, uri }, opts), { code: 'credential_suspended' })
  await assert.rejects(checkStatus({ idx: 3, uri }, opts), { code: 'status_invalid' })
  await assert.rejects(checkStatus({ idx: 0, uri }, { ...opts, fetchStatusList: async () => { throw new Error('down') } }), { code: 'status_unavailable' })
  const stranger = await importPublicJwk((await generateKeyPair('ES256')).publicJwk, 'ES256')
  await assert.rejects(checkStatus({ idx: 0, uri }, { ...opts, resolveKey: async () => stranger }), { code: 'status_list_invalid' })
})

test('the cache keeps a list for its ttl, then fetches again', async () => {
  const key = await generateKeyPair('EdDSA')
  const signer = await createLocalSigner(key.privateJwk)
  const list = createStatusList(8, 1)
  const uri = 'https://sigil.example/status-lists/8'
  let calls = 0
  const fetchStatusList = async () => {
    calls++
    return createStatusListToken({ signer, uri, list, now: NOW, ttlSeconds: 60 })
  }
  const pub = await importPublicJwk(key.publicJwk, 'EdDSA')
  const cache = new StatusListCache()
  const opts = { fetchStatusList, resolveKey: async () => pub, now: NOW, cache }
  await Promise.all([checkStatus({ idx: 0, uri }, opts), checkStatus({ idx: 1, uri }, opts)])
  assert.equal(calls, 1)
  setStatus(list, 0, 1)
  await checkStatus({ idx: 0, uri }, { ...opts, now: new Date(NOW.getTime() + 59_000) })
  await assert.rejects(checkStatus({ idx: 0, uri }, { ...opts, now: new Date(NOW.getTime() + 61_000) }), { code: 'credential_revoked' })
  assert.equal(calls, 2)
})

test('the cache holds at most maxEntries lists: the expired go first, then the oldest', async () => {
  const key = await generateKeyPair('EdDSA')
  const signer = await createLocalSigner(key.privateJwk)
  const pub = await importPublicJwk(key.publicJwk, 'EdDSA')
  const fetched: string[] = []
  const fetchStatusList = async (uri: string) => {
    fetched.push(uri)
    return createStatusListToken({ signer, uri, list: createStatusList(8, 1), now: NOW, ttlSeconds: uri.endsWith('/1') ? 1 : 60 })
  }
  const cache = new StatusListCache({ maxEntries: 2 })
  const check = (n: number, ms = 0) => checkStatus({ idx: 0, uri: `https://sigil.example/status-lists/${n}` }, { fetchStatusList, resolveKey: async () => pub,
    now: new Date(NOW.getTime() + ms), cache })
  await check(1)
  await check(2)
  await check(3, 2000) // list 1 has expired: it goes, list 2 stays
  assert.equal(cache.size, 2)
  await check(2, 2000)
  assert.equal(fetched.length, 3)
  await check(4, 2000) // full of live lists: the oldest (2) goes
  await check(3, 2000)
  await check(2, 2000)
  assert.deepEqual(fetched.map((u) => u.slice(-1)), ['1', '2', '3', '4', '2'])
  assert.equal(cache.size, 2)
})

test('corrupt or oversized lists → status_list_invalid; a malformed reference → status_invalid', async () => {
  await assert.rejects(decodeStatusList({ bits: 1, lst: 'AAAA' }), { code: 'status_list_invalid' })
  await assert.rejects(decodeStatusList({ bits: 3, lst: 'eNrbuRgAAhcBXQ' }), { code: 'status_list_invalid' })
  const bomb = encodeBase64url(await deflate(new Uint8Array(2_000_000)))
  await assert.rejects(decodeStatusList({ bits: 1, lst: bomb }, 1_000_000), { code: 'status_list_invalid' })
  assert.throws(() => statusReferenceOf({ status: { status_list: { idx: -1, uri: 'x' } } }), { code: 'status_invalid' })
  assert.throws(() => statusReferenceOf({ status: {} }), { code: 'status_invalid' })
  assert.equal(statusReferenceOf({}), undefined)
})
