import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { initKeys, openKeyRing, rotateKeys, KEYS_FILE } from './index.ts'
import { startTestApp } from '../testing/index.ts'

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-keys-'))
const tick = () => new Promise((r) => setTimeout(r, 5)) // a distinct file mtime

test('a key file that stops loading: the last good set stays in use and published, the error told once; ready until a key rotated meanwhile could sign elsewhere', async () => {
  const a = await startTestApp()
  try {
    const file = path.join(a.deps.config.dataDir, KEYS_FILE)
    const good = fs.readFileSync(file, 'utf8')
    const kid = a.deps.keys.signer().kid
    await tick()
    fs.writeFileSync(file, good.slice(0, 200)) // a copy caught half way, or a hand edit with a typo
    for (const p of ['/.well-known/jwks.json', '/.well-known/did.json', '/.well-known/jwt-vc-issuer']) {
      const r = await fetch(a.url + p)
      assert.equal(r.status, 200, p)
      assert.match(await r.text(), new RegExp(kid), p)
    }
    assert.equal(a.deps.keys.signer().kid, kid)
    assert.match(a.deps.keys.failure()!.error, /not valid JSON/)
    assert.equal((await fetch(a.url + '/readyz')).status, 200, 'the keys it has are still the right ones')
    assert.match(await a.deps.metrics.registry.metrics(), /sigil_key_file_failing_seconds 0/)
    // A key rotated in while the file fails signs on the other instances 360 s after the rotation, and this one
    // would refuse their tokens: not ready before then (330 s: the rotation may be up to a refresh old when seen).
    a.clock.advance(329_000)
    assert.equal((await fetch(a.url + '/readyz')).status, 200)
    a.clock.advance(2_000)
    const r = await fetch(a.url + '/readyz')
    assert.equal(r.status, 503)
    assert.equal((await r.json()).code, 'keys_unavailable')
    assert.match(await a.deps.metrics.registry.metrics(), /sigil_key_file_failing_seconds 331/)
    await tick()
    fs.writeFileSync(file, good)
    await a.deps.keys.refresh()
    assert.equal(a.deps.keys.failure(), undefined)
    assert.equal((await fetch(a.url + '/readyz')).status, 200)
  } finally {
    await a.close()
  }
})

test('a failed re-read is told once per distinct error, and its recovery once', async () => {
  const dir = tmp()
  const told: string[] = []
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now,
    onRefreshFailed: ({ error }) => told.push(error), onRefreshRecovered: () => told.push('recovered') })
  const file = path.join(dir, KEYS_FILE)
  const good = fs.readFileSync(file, 'utf8')
  await tick()
  fs.writeFileSync(file, '{')
  await ring.refresh(); await ring.refresh()
  await tick()
  fs.writeFileSync(file, '{"keys": []}')
  await ring.refresh(); await ring.refresh()
  await tick()
  fs.writeFileSync(file, good)
  await ring.refresh(); await ring.refresh()
  assert.equal(told.length, 3, told.join('\n'))
  assert.match(told[0]!, /not valid JSON/)
  assert.match(told[1]!, /no active key/)
  assert.equal(told[2], 'recovered')
})

test("rotation keeps the key file's mode, owner and group (a root rotation must not lock the service user out)", { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
  const dir = tmp()
  const file = path.join(dir, KEYS_FILE)
  await initKeys(dir, Date.now())
  fs.chownSync(file, 0, 65534) // root:<service group>, group-readable: how a deployment lets the service read it
  fs.chmodSync(file, 0o640)
  await tick()
  await rotateKeys(dir, Date.now(), 600)
  const s = fs.statSync(file)
  assert.deepEqual([s.mode & 0o777, s.uid, s.gid], [0o640, 0, 65534])
})

test('rotation writes through no planted symlink, and leaves no temp file', async () => {
  const dir = tmp()
  await initKeys(dir, Date.now())
  const target = path.join(tmp(), 'stolen.json')
  // The temp-file name the earlier code used (pid-based, opened without O_EXCL).
  fs.symlinkSync(target, path.join(dir, `${KEYS_FILE}.${process.pid}.tmp`))
  await rotateKeys(dir, Date.now(), 600)
  assert.equal(fs.existsSync(target), false, 'nothing written where the link points')
  assert.deepEqual(fs.readdirSync(dir).sort(), [KEYS_FILE, `${KEYS_FILE}.${process.pid}.tmp`].sort())
})

test('two rotations at once: both keys are kept (the key file is locked while it is rewritten)', async () => {
  const dir = tmp()
  await initKeys(dir, Date.now())
  const [r1, r2] = await Promise.all([rotateKeys(dir, Date.now(), 600), rotateKeys(dir, Date.now(), 600)])
  const kids = (JSON.parse(fs.readFileSync(path.join(dir, KEYS_FILE), 'utf8')) as { keys: { kid: string }[] }).keys.map((k) => k.kid)
  assert.ok(kids.includes(r1.kid) && kids.includes(r2.kid), kids.join(' '))
  assert.equal(kids.length, 3)
  assert.equal(fs.existsSync(path.join(dir, `${KEYS_FILE}.lock`)), false, 'the lock is removed after')
})

test('a held lock is waited for; one left over a minute ago by a rotation that died is taken over, and said so', async () => {
  const dir = tmp()
  await initKeys(dir, Date.now())
  const lock = path.join(dir, `${KEYS_FILE}.lock`)
  fs.writeFileSync(lock, '12345\n')
  let done = false
  const waiting = rotateKeys(dir, Date.now(), 600).then(() => { done = true })
  await new Promise((r) => setTimeout(r, 150))
  assert.equal(done, false, 'waits while another rotation holds it')
  fs.rmSync(lock)
  await waiting
  fs.writeFileSync(lock, '12345\n')
  const old = new Date(Date.now() - 61_000)
  fs.utimesSync(lock, old, old)
  const stale: string[] = []
  await rotateKeys(dir, Date.now(), 600, { onStaleLock: ({ lock }) => stale.push(lock) })
  assert.deepEqual(stale, [lock])
  assert.equal(fs.existsSync(lock), false)
})

test('a key file readable or writable by others than its owner is told, once per mode', async () => {
  const dir = tmp()
  await initKeys(dir, Date.now())
  const file = path.join(dir, KEYS_FILE)
  const told: string[] = []
  const ring = await openKeyRing({ dir, createIfMissing: false, retainSeconds: 600, now: Date.now, onLooseMode: ({ file, mode }) => told.push(`${file} ${mode}`) })
  assert.deepEqual(told, [], '0600 is fine')
  fs.chmodSync(file, 0o640)
  await ring.refresh(); await ring.refresh()
  fs.chmodSync(file, 0o644)
  await ring.refresh()
  assert.deepEqual(told, [`${file} 0640`, `${file} 0644`])
})
