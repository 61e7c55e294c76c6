import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { openKeyRing, rotateKeys, signJwt, KEY_ACTIVATION_DELAY_SECONDS, KEYS_FILE, PUBLISHED_KEYS_MAX_AGE_SECONDS } from './index.ts'

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-keys-'))

test('a development key is created once, with a kid, private parts only on disk (0600)', async () => {
  const dir = tmp()
  const created: string[] = []
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 60, now: Date.now, onCreated: ({ kid }) => created.push(kid) })
  await openKeyRing({ dir, createIfMissing: true, retainSeconds: 60, now: Date.now, onCreated: ({ kid }) => created.push(kid) })
  assert.equal(created.length, 1)
  const jwks = ring.jwks()
  assert.equal(jwks.keys.length, 1)
  assert.equal(jwks.keys[0]!.kid, created[0])
  assert.equal(jwks.keys[0]!.d, undefined)
  assert.equal(fs.statSync(path.join(dir, KEYS_FILE)).mode & 0o777, 0o600)
})

test('without a key and without permission to create one, start-up fails', async () => {
  await assert.rejects(openKeyRing({ dir: tmp(), createIfMissing: false, retainSeconds: 60, now: Date.now }), /no signing keys/)
})

test('signatures from the signer interface verify with the JWKS (ES256, typ and kid pinned)', async () => {
  const ring = await openKeyRing({ dir: tmp(), createIfMissing: true, retainSeconds: 60, now: Date.now })
  const jwt = await signJwt(ring.signer(), 'at+jwt', { sub: 'u1', exp: Math.floor(Date.now() / 1000) + 60 })
  const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(ring.jwks()), { algorithms: ['ES256'], typ: 'at+jwt' })
  assert.equal(payload.sub, 'u1')
  assert.equal(protectedHeader.kid, ring.signer().kid)
})

test('rotation: the retired key stays in the JWKS until what it signed expires, then leaves', async () => {
  const dir = tmp()
  let now = Date.parse('2026-01-01T00:00:00Z')
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: () => now })
  const oldKid = ring.signer().kid
  const oldToken = await signJwt(ring.signer(), 'at+jwt', { sub: 'u1' })
  await new Promise((r) => setTimeout(r, 5)) // a distinct file mtime
  const rotated = await rotateKeys(dir, now, 600, { activationDelaySeconds: 0 })
  await ring.refresh()
  assert.deepEqual(rotated.retired, [oldKid])
  assert.equal(ring.signer().kid, rotated.kid)
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort())
  await jwtVerify(oldToken, createLocalJWKSet(ring.jwks()), { algorithms: ['ES256'] })
  now += 601_000
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid), [rotated.kid])
  await new Promise((r) => setTimeout(r, 5))
  const again = await rotateKeys(dir, now, 600, { activationDelaySeconds: 0 })
  assert.deepEqual(again.dropped, [oldKid], 'expired retired keys lose their private part')
  const file = JSON.parse(fs.readFileSync(path.join(dir, KEYS_FILE), 'utf8')) as { keys: { kid: string; privateJwk: { d?: string } }[] }
  assert.equal(file.keys.find((k) => k.kid === oldKid)!.privateJwk.d, undefined)
  await ring.refresh()
  assert.ok(ring.history().keys.some((k) => k.kid === oldKid), 'its public part stays in the history')
  // Longer-lived signatures (KYC credentials, a year) keep the key published for as long as they ask.
  assert.deepEqual(ring.publishedFor(3600).keys.map((k) => k.kid).sort(), [oldKid, rotated.kid, again.kid].sort())
  now += 3600_000
  assert.deepEqual(ring.publishedFor(3600).keys.map((k) => k.kid).sort(), [again.kid], 'and no longer')
})

test('verificationKeys: one key set while the published keys stay the same; it follows a rotation and a retirement', async () => {
  const dir = tmp()
  let now = Date.parse('2026-01-01T00:00:00Z')
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: () => now })
  const first = ring.verificationKeys()
  assert.equal(ring.verificationKeys(), first, 'kept, so jose imports the key once')
  const oldToken = await signJwt(ring.signer(), 'at+jwt', { sub: 'u1' })
  await jwtVerify(oldToken, ring.verificationKeys(), { algorithms: ['ES256'] })
  await new Promise((r) => setTimeout(r, 5)) // a distinct file mtime
  await rotateKeys(dir, now, 600, { activationDelaySeconds: 0 })
  await ring.refresh()
  const newToken = await signJwt(ring.signer(), 'at+jwt', { sub: 'u2' })
  assert.notEqual(ring.verificationKeys(), first)
  await jwtVerify(newToken, ring.verificationKeys(), { algorithms: ['ES256'] })
  await jwtVerify(oldToken, ring.verificationKeys(), { algorithms: ['ES256'] })
  now += 601_000
  await jwtVerify(newToken, ring.verificationKeys(), { algorithms: ['ES256'] })
  await assert.rejects(jwtVerify(oldToken, ring.verificationKeys(), { algorithms: ['ES256'] }), (e: Error) => e.name === 'JWKSNoMatchingKey',
    'the retired key has left the set')
})

test('a rotated key is published first and signs only once every cache of the JWKS can hold it', async () => {
  const dir = tmp()
  let now = Date.parse('2026-01-01T00:00:00Z')
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: () => now })
  const oldKid = ring.signer().kid
  // Longer than a cached JWKS (max-age) plus the 30 s re-read of the other instances.
  assert.ok(KEY_ACTIVATION_DELAY_SECONDS > PUBLISHED_KEYS_MAX_AGE_SECONDS + 30)
  await new Promise((r) => setTimeout(r, 5)) // a distinct file mtime
  const rotated = await rotateKeys(dir, now, 600)
  assert.equal(rotated.activatesAt, new Date(now + KEY_ACTIVATION_DELAY_SECONDS * 1000).toISOString())
  assert.equal(rotated.file, path.join(dir, KEYS_FILE))
  await ring.refresh()
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort(), 'published at once')
  assert.ok(ring.publishedFor(3600).keys.some((k) => k.kid === rotated.kid), 'in did.json and jwt-vc-issuer too')
  assert.equal(ring.signer().kid, oldKid, 'the old key still signs')
  assert.deepEqual(ring.status().map((k) => [k.kid, k.state]), [[oldKid, 'active'], [rotated.kid, 'pending']])
  now += KEY_ACTIVATION_DELAY_SECONDS * 1000 - 1
  assert.equal(ring.signer().kid, oldKid)
  now += 1
  assert.equal(ring.signer().kid, rotated.kid, 'from its activation time on, with no re-read')
  assert.deepEqual(ring.status().map((k) => [k.kid, k.state]), [[oldKid, 'retired'], [rotated.kid, 'active']])
  // The old key stays published for what it signed until its retirement.
  now += 599_000
  assert.ok(ring.jwks().keys.some((k) => k.kid === oldKid))
  now += 1000
  assert.ok(!ring.jwks().keys.some((k) => k.kid === oldKid))
})

test('rotate --now (a compromised key): the new key signs at once, also over a pending rotation', async () => {
  const dir = tmp()
  const now = Date.parse('2026-01-01T00:00:00Z')
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: () => now })
  const oldKid = ring.signer().kid
  await new Promise((r) => setTimeout(r, 5))
  const pending = await rotateKeys(dir, now, 600)
  await new Promise((r) => setTimeout(r, 5))
  const urgent = await rotateKeys(dir, now, 600, { activationDelaySeconds: 0 })
  assert.deepEqual(urgent.retired.sort(), [oldKid, pending.kid].sort())
  await ring.refresh()
  assert.equal(ring.signer().kid, urgent.kid)
  assert.deepEqual(ring.status().map((k) => k.state), ['retired', 'retired', 'active'], 'the pending key never signs')
  // It signed nothing, and its private part was in the file that leaked: trusted nowhere, private part gone.
  assert.deepEqual(urgent.dropped, [pending.kid])
  const file = JSON.parse(fs.readFileSync(path.join(dir, KEYS_FILE), 'utf8')) as { keys: { kid: string; privateJwk: { d?: string } }[] }
  assert.equal(file.keys.find((k) => k.kid === pending.kid)!.privateJwk.d, undefined)
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid).sort(), [oldKid, urgent.kid].sort())
  assert.ok(!ring.publishedFor(365 * 86_400).keys.some((k) => k.kid === pending.kid), 'not in did.json either')
  assert.ok(!ring.history().keys.some((k) => k.kid === pending.kid), 'nor in the history old checkpoints are checked with')
  assert.deepEqual(ring.status().map((k) => k.published), [true, false, true])
})

test('a key file written before activation times (no activatesAt) loads: its newest unretired key signs', async () => {
  const dir = tmp()
  const now = Date.parse('2026-01-01T00:00:00Z')
  await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: () => now })
  const file = path.join(dir, KEYS_FILE)
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: Record<string, unknown>[] }
  assert.equal(data.keys[0]!.activatesAt, undefined)
  const old = { ...data.keys[0]!, kid: 'old', createdAt: now - 1000, retiredAt: now - 10 }
  fs.writeFileSync(file, JSON.stringify({ keys: [old, data.keys[0]] }))
  const ring = await openKeyRing({ dir, createIfMissing: false, retainSeconds: 600, now: () => now })
  assert.equal(ring.signer().kid, data.keys[0]!.kid)
  assert.deepEqual(ring.status().map((k) => k.state), ['retired', 'active'])
})

test('a rotation is seen even when the file keeps its modification time (file systems with one-second timestamps)', async () => {
  const dir = tmp()
  const now = Date.parse('2026-01-01T00:00:00Z')
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: () => now })
  const file = path.join(dir, KEYS_FILE)
  const tick = 1_700_000_000 // a whole second, as such a file system records it
  fs.utimesSync(file, tick, tick)
  await ring.refresh()
  const urgent = await rotateKeys(dir, now, 600, { activationDelaySeconds: 0 })
  fs.utimesSync(file, tick, tick) // rewritten within the same second
  await ring.refresh()
  assert.equal(ring.signer().kid, urgent.kid)
})
