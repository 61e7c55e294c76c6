import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLocalSigner, generateKeyPair, importPublicJwk } from '../keys/index.ts'
import { checkStatus, createStatusList, createStatusListToken, setStatus, StatusListCache, verifyStatusListToken } from './index.ts'

// A status list token is signed and names the right list whatever its age; only `iat` tells a current one from one
// that predates a revocation. Sigil's tokens carry exp = iat + 24 h and ttl = 60 s (server/kyc/statusLists.ts).
const T0 = new Date('2026-03-01T12:00:00Z')
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)
const uri = 'https://sigil.example/status-lists/1'
const key = await generateKeyPair('ES256')
const signer = await createLocalSigner(key.privateJwk)
const resolveKey = async () => importPublicJwk(key.publicJwk, 'ES256')
const sign = (list: ReturnType<typeof createStatusList>, now: Date, ttlSeconds?: number) =>
  createStatusListToken({ signer, uri, list, now, validitySeconds: 24 * 3600, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) })

test('a token older than its ttl is status_unavailable, long before its exp; up to ttl + clock tolerance it holds', async () => {
  const list = createStatusList(64, 2)
  const token = await sign(list, T0, 60)
  const verify = (now: Date, extra: { clockToleranceSeconds?: number } = {}) => verifyStatusListToken(token, { expectedUri: uri, resolveKey, now, ...extra })
  assert.equal((await verify(at(70))).freshUntil, Math.floor(T0.getTime() / 1000) + 70)
  await assert.rejects(verify(at(71)), { code: 'status_unavailable' })
  await assert.rejects(verify(at(23 * 3600)), { code: 'status_unavailable' })
  await verify(at(60), { clockToleranceSeconds: 0 })
  await assert.rejects(verify(at(61), { clockToleranceSeconds: 0 }), { code: 'status_unavailable' })
  // An expired token is still status_list_invalid (exp is checked first).
  await assert.rejects(verify(at(24 * 3600 + 10)), { code: 'status_list_invalid' })
})

test('a revocation cannot be hidden by handing back the token from before it (stale cache, proxy, replay)', async () => {
  const list = createStatusList(64, 2)
  const before = await sign(list, T0, 60)
  setStatus(list, 42, 1) // revoked an hour later; the issuer now serves a list saying so
  const current = await sign(list, at(23 * 3600), 60)
  const check = (token: string) => checkStatus({ idx: 42, uri }, { fetchStatusList: async () => token, resolveKey, now: at(23 * 3600) })
  await assert.rejects(check(before), { code: 'status_unavailable' })
  await assert.rejects(check(current), { code: 'credential_revoked' })
})

test('maxStatusAgeSeconds: 300 s without a ttl by default, else the ttl; the option sets the limit outright', async () => {
  const list = createStatusList(64, 2)
  const verify = (token: string, now: Date, maxStatusAgeSeconds?: number) => verifyStatusListToken(token, { expectedUri: uri, resolveKey, now,
    ...(maxStatusAgeSeconds === undefined ? {} : { maxStatusAgeSeconds }) })
  const noTtl = await sign(list, T0)
  await verify(noTtl, at(310))
  await assert.rejects(verify(noTtl, at(311)), { code: 'status_unavailable' })
  await verify(noTtl, at(3610), 3600)
  await assert.rejects(verify(noTtl, at(3611), 3600), { code: 'status_unavailable' })
  const ttl60 = await sign(list, T0, 60)
  await assert.rejects(verify(ttl60, at(31), 20), { code: 'status_unavailable' })
  await assert.rejects(verify(ttl60, at(71)), { code: 'status_unavailable' })
  await verify(ttl60, at(71), 3600) // an issuer known to sign hourly whatever its ttl says
  await assert.rejects(verify(ttl60, at(3611), 3600), { code: 'status_unavailable' })
})

test('the cache does not keep a token fetched when already old past the age it may reach; then it fetches again', async () => {
  const list = createStatusList(64, 2)
  const old = await sign(list, T0, 60)
  let served = old
  let calls = 0
  const cache = new StatusListCache()
  const check = (seconds: number) => checkStatus({ idx: 42, uri }, { resolveKey, now: at(seconds), cache,
    fetchStatusList: async () => { calls++; return served } })
  assert.equal(await check(50), 0) // 50 s old when fetched: good for 20 s more (ttl 60 + tolerance 10), not for 60
  setStatus(list, 42, 1)
  served = await sign(list, at(65), 60)
  assert.equal(await check(69), 0)
  assert.equal(calls, 1)
  await assert.rejects(check(71), { code: 'credential_revoked' })
  assert.equal(calls, 2)
})
