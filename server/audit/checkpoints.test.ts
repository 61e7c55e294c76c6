import { test, describe, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { decodeJwt } from 'jose'
import type Database from 'better-sqlite3'
import { openKeyRing, rotateKeys, signJwt, type KeyRing } from '../keys/index.ts'
import { AUDIT_GENESIS, auditEntryHash, type AuditEntry, type Store } from '../store/index.ts'
import { openSqliteStoreWithDb } from '../store/sqlite/openSqliteStore.ts'
import { createCheckpointer, verifyAuditExport, AuditVerificationError, CheckpointRefusedError, CHECKPOINT_TYP, CHECKPOINT_TYPE } from './index.ts'

const config = { publicUrl: 'https://sigil.test' } as never
const ndjson = (es: AuditEntry[]): string => es.map((e) => JSON.stringify(e) + '\n').join('')

describe('audit checkpointer: signs only a chain that links to what it signed before', () => {
  let dir: string
  let store: Store
  let db: Database.Database
  let keys: KeyRing
  const add = (subject: string) => store.audit.append({ type: 'approval.approved', actor: 'usr_x', subject }, Date.now())
  const all = () => store.audit.list({ limit: 100_000 })
  const checkpointer = () => createCheckpointer({ store, keys, config, now: Date.now })
  /** What an intruder with write access to the store (not the key) does: rewrite the table and re-hash every entry. */
  const rewrite = (keep: (row: { seq: number; type: string; subject: string }) => boolean, change: (row: Record<string, unknown>) => void = () => {}) => {
    const rows = (db.prepare('SELECT * FROM audit ORDER BY seq').all() as Record<string, unknown>[]).filter((r) => keep(r as never))
    db.transaction(() => {
      db.prepare('DELETE FROM audit').run()
      let prev = AUDIT_GENESIS
      rows.forEach((r, i) => {
        change(r)
        const entry = { seq: i + 1, at: r.at as number, type: r.type as string, actor: r.actor as string, subject: r.subject as string, data: JSON.parse(r.data as string), prevHash: prev }
        const hash = auditEntryHash(entry)
        db.prepare('INSERT INTO audit (seq, at, type, actor, subject, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)').run(i + 1, r.at, r.type, r.actor, r.subject, r.data, prev, hash)
        prev = hash
      })
    })()
  }
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-checkpoints-'))
    ;({ store, db } = openSqliteStoreWithDb({ path: path.join(dir, 'sigil.db') }))
    keys = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
  })
  afterEach(async () => {
    await store.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('a running checkpointer refuses a chain rewritten without an entry and its checkpoints, and keeps refusing (review r11b)', async () => {
    const cp = checkpointer()
    await add('appr_1'); await add('appr_EVIL'); await add('appr_2'); await cp.run()
    await add('appr_3'); await cp.run()
    rewrite((r) => r.subject !== 'appr_EVIL' && r.type !== CHECKPOINT_TYPE)
    for (let i = 0; i < 3; i++) await add(`appr_${10 + i}`)
    const before = (await all()).length
    for (let i = 0; i < 2; i++) await assert.rejects(cp.run(), (err: unknown) => err instanceof CheckpointRefusedError && err.code === 'audit_chain_broken')
    assert.equal((await all()).length, before, 'nothing was signed')
    assert.equal((await all()).filter((e) => e.type === CHECKPOINT_TYPE).length, 0)
  })

  test('a checkpointer starting on a rewritten store (restart, CLI) refuses when the newest checkpoint no longer matches its entry', async () => {
    await add('appr_1'); await add('appr_EVIL'); await add('appr_2'); await checkpointer().run()
    await add('appr_3')
    // The entry changed and everything re-hashed, the checkpoint entries kept (their signatures cannot be redone).
    rewrite(() => true, (r) => { if (r.subject === 'appr_EVIL') r.subject = 'appr_fine' })
    const before = (await all()).length
    await assert.rejects(checkpointer().run(), CheckpointRefusedError)
    assert.equal((await all()).length, before)
  })

  test('a checkpointer starting on a store stripped of its checkpoints and re-hashed refuses when the anchor file names the lost entry (review r11)', async () => {
    const anchorFile = path.join(dir, 'audit-anchor.json')
    const fresh = () => createCheckpointer({ store, keys, config, now: Date.now }, { anchorFile })
    await add('appr_1'); await add('appr_EVIL'); await add('appr_2'); await fresh().run()
    await add('appr_3'); await fresh().run()
    assert.equal(JSON.parse(fs.readFileSync(anchorFile, 'utf8')).seq, 5, 'the last entry signed (appr_3), outside the store')
    assert.equal(fs.statSync(anchorFile).mode & 0o777, 0o600)
    rewrite((r) => r.subject !== 'appr_EVIL' && r.type !== CHECKPOINT_TYPE)
    const before = (await all()).length
    // Without the file (what the reviewer showed) the forged head would be signed; with it, a restart refuses.
    await assert.rejects(fresh().run(), (err: unknown) => err instanceof CheckpointRefusedError && /remove the file if the log was restored/.test(err.message))
    assert.equal((await all()).length, before, 'nothing was signed')
    // A log that grew normally since: the file only has to name an entry that is still there, unchanged.
    fs.writeFileSync(anchorFile, JSON.stringify({ seq: 2, hash: (await all())[1]!.hash }))
    assert.ok(await fresh().run(), 'signs when the named entry is intact')
    fs.writeFileSync(anchorFile, 'not json')
    await assert.rejects(fresh().run(), CheckpointRefusedError)
  })

  test('after a key rotation, a worker that has not re-read the key file yet reads it and signs, with no false alarm (found in review)', async () => {
    const keysB = await openKeyRing({ dir, createIfMissing: false, retainSeconds: 600, now: Date.now })
    const a = checkpointer()
    const b = createCheckpointer({ store, keys: keysB, config, now: Date.now })
    await add('appr_1'); await a.run(); await b.run()
    await new Promise((r) => setTimeout(r, 20))
    await rotateKeys(dir, Date.now(), 600, { activationDelaySeconds: 0 })
    await keys.refresh() // worker A's periodic refresh came first; B's has not
    await add('appr_2'); await a.run()
    assert.ok(await b.run(), 'B signs after reading the rotated key file')
    await verifyAuditExport(ndjson(await all()), keys.history()) // throws on a bad chain or checkpoint
  })

  test('a worker whose key file does not load fails the run (no tamper alarm) on a checkpoint signed with a key rotated in since, and signs once the file loads (found in review)', async () => {
    const file = path.join(dir, 'signing-keys.json')
    const keysB = await openKeyRing({ dir, createIfMissing: false, retainSeconds: 600, now: Date.now })
    const a = checkpointer()
    const b = createCheckpointer({ store, keys: keysB, config, now: Date.now })
    await add('appr_1'); await a.run(); await b.run()
    await new Promise((r) => setTimeout(r, 20))
    await rotateKeys(dir, Date.now(), 600, { activationDelaySeconds: 0 })
    await keys.refresh()
    const good = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, good.slice(0, 100)) // B's mount fails: it never sees the rotation
    await add('appr_2'); await a.run()
    await assert.rejects(b.run(), (err: unknown) => err instanceof Error && !(err instanceof CheckpointRefusedError) && /key file does not load/.test(err.message))
    fs.writeFileSync(file, good)
    assert.ok(await b.run(), 'the same checkpointer signs once the key file loads again')
  })

  test('a checkpointer refuses a chain whose checkpoint was forged (a signature other than this deployment\'s)', async () => {
    const cp = checkpointer()
    await add('appr_1'); await cp.run()
    const other = await openKeyRing({ dir: fs.mkdtempSync(path.join(dir, 'other-')), createIfMissing: true, retainSeconds: 600, now: Date.now })
    const head = (await all()).at(-1)!
    const jws = await signJwt(other.signer(), CHECKPOINT_TYP, { iss: 'https://sigil.test', iat: 1, seq: head.seq, hash: head.hash, prev: null })
    await store.audit.append({ type: CHECKPOINT_TYPE, actor: 'system', subject: String(head.seq), data: { seq: head.seq, hash: head.hash, jws } }, Date.now())
    await assert.rejects(cp.run(), CheckpointRefusedError)
    await assert.rejects(checkpointer().run(), CheckpointRefusedError)
  })

  test('every run signs, also when nothing moved; each checkpoint names the one before it, and verify checks that chain', async () => {
    const cp = checkpointer()
    await add('appr_1'); await cp.run(); await cp.run()
    await add('appr_2'); await checkpointer().run() // another process (a restart, another worker) goes on from the store
    const log = await all()
    const cps = log.filter((e) => e.type === CHECKPOINT_TYPE)
    assert.equal(cps.length, 3)
    const claims = cps.map((e) => decodeJwt(e.data.jws as string))
    assert.equal(claims[0]!.prev, null)
    assert.deepEqual(claims[1]!.prev, { seq: claims[0]!.seq, hash: claims[0]!.hash })
    assert.equal(claims[1]!.seq, cps[0]!.seq, 'nothing moved: it signs the checkpoint before it')
    assert.deepEqual(claims[2]!.prev, { seq: claims[1]!.seq, hash: claims[1]!.hash })
    const r = await verifyAuditExport(ndjson(log), keys.history())
    assert.equal(r.checkpoints, 3)
    assert.equal(r.unsignedEntries, 0)
    // A checkpoint whose prev is not the checkpoint before it in the log (signed with the real key): checkpoint_chain.
    const head = log.at(-1)!
    for (const prev of [null, { seq: 1, hash: log[0]!.hash }, { seq: claims[1]!.seq, hash: 'sha256:' + '1'.repeat(64) }, 'x']) {
      const jws = await signJwt(keys.signer(), CHECKPOINT_TYP, { iss: 'https://sigil.test', iat: 1, seq: head.seq, hash: head.hash, prev })
      const body = { seq: head.seq + 1, at: 1, type: CHECKPOINT_TYPE, actor: 'system', subject: String(head.seq), data: { seq: head.seq, hash: head.hash, jws }, prevHash: head.hash }
      await assert.rejects(verifyAuditExport(ndjson([...log, { ...body, hash: auditEntryHash(body) }]), keys.history()),
        (err: unknown) => err instanceof AuditVerificationError && err.code === 'checkpoint_chain', JSON.stringify(prev))
    }
    // Checkpoints written before the claim existed still verify, and the next one names them.
    const jws = await signJwt(keys.signer(), CHECKPOINT_TYP, { iss: 'https://sigil.test', iat: 1, seq: head.seq, hash: head.hash })
    await store.audit.append({ type: CHECKPOINT_TYPE, actor: 'system', subject: String(head.seq), data: { seq: head.seq, hash: head.hash, jws } }, Date.now())
    await add('appr_3'); await checkpointer().run()
    const later = await all()
    assert.deepEqual(decodeJwt(later.at(-1)!.data.jws as string).prev, { seq: head.seq, hash: head.hash })
    assert.equal((await verifyAuditExport(ndjson(later), keys.history())).checkpoints, 5)
  })
})
