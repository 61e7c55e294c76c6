import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { openKeyRing, type KeyRing } from '../keys/index.ts'
import { AUDIT_GENESIS, auditEntryHash, openSqliteStore, type AuditEntry, type Store } from '../store/index.ts'
import { createCheckpointer, verifyAuditExport, AuditVerificationError } from './index.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const ndjson = (es: AuditEntry[]): string => es.map((e) => JSON.stringify(e) + '\n').join('')
/** An entry with a correct hash: the hash is unkeyed, so anyone can make lines like these. */
const hashed = (e: Omit<AuditEntry, 'hash'>): string => JSON.stringify({ ...e, hash: auditEntryHash(e) })
const code = (c: string, line?: number) => (err: unknown) => {
  assert.ok(err instanceof AuditVerificationError, String(err))
  assert.equal(err.code, c, err.message)
  if (line !== undefined) assert.equal(err.line, line)
  return true
}

describe('audit verify: what an export must be', () => {
  let dir: string
  let store: Store
  let keys: KeyRing
  let log: AuditEntry[]
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-verify-'))
    store = openSqliteStore({ path: ':memory:' })
    keys = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
    const checkpointer = createCheckpointer({ store, keys, config: { publicUrl: 'https://sigil.test' } as never, now: Date.now })
    for (let i = 1; i <= 6; i++) {
      await store.audit.append({ type: 'login', actor: `usr_${i}`, subject: `usr_${i}` }, Date.now())
      if (i % 3 === 0) await checkpointer.run()
    }
    log = await store.audit.list({ limit: 100 })
  })
  after(async () => {
    await store.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('a line of another shape is named (line_invalid), not a TypeError: data null or a string, an array, null, seq 0', async () => {
    const base = { seq: 1, at: 1, type: 'audit.checkpoint', actor: 'system', subject: '', prevHash: AUDIT_GENESIS }
    for (const line of [hashed({ ...base, data: null as never }), hashed({ ...base, data: 'x' as never }), hashed({ ...base, data: [] as never }),
      hashed({ ...base, seq: 0, data: {} }), hashed({ ...base, at: '1' as never, data: {} }), hashed({ ...base, actor: 7 as never, data: {} }), '[1,2]', 'null', '"entry"']) {
      await assert.rejects(verifyAuditExport(line + '\n', keys.history()), code('line_invalid', 1), line)
    }
    // Further down too: the line is named.
    const lines = ndjson(log).trim().split('\n')
    lines[2] = lines[2]!.replace(/"data":\{[^}]*\}/, '"data":null')
    await assert.rejects(verifyAuditExport(lines.join('\n'), keys.history()), code('line_invalid', 3))
  })

  test('an empty export fails (export_empty), with or without --after', async () => {
    for (const text of ['', '\n']) {
      await assert.rejects(verifyAuditExport(text, keys.history()), code('export_empty', 0))
      await assert.rejects(verifyAuditExport(text, keys.history(), { after: 4 }), code('export_empty', 0))
    }
  })

  test('an export missing its first entries fails (chain_start) unless --after says where it starts', async () => {
    assert.equal((await verifyAuditExport(ndjson(log), keys.history())).firstSeq, 1)
    for (const cut of [1, 2, 4]) {
      await assert.rejects(verifyAuditExport(ndjson(log.slice(cut)), keys.history()), code('chain_start', 1))
      const r = await verifyAuditExport(ndjson(log.slice(cut)), keys.history(), { after: cut, expectedPrevHash: log[cut - 1]!.hash })
      assert.equal(r.firstSeq, cut + 1)
      assert.equal(r.lastSeq, log.at(-1)!.seq)
      // --after naming another start, or another hash for the entry before it
      await assert.rejects(verifyAuditExport(ndjson(log.slice(cut)), keys.history(), { after: cut - 1 }), code('chain_start', 1))
      await assert.rejects(verifyAuditExport(ndjson(log.slice(cut)), keys.history(), { after: cut, expectedPrevHash: log[cut]!.hash }), code('chain_start', 1))
    }
    // A whole export checked as partial: seq 1 is not the entry after 2.
    await assert.rejects(verifyAuditExport(ndjson(log), keys.history(), { after: 2 }), code('chain_start', 1))
  })

  test('a log cut back (to an earlier checkpoint, or cut and continued) fails against the checkpoint the auditor kept', async () => {
    const clean = await verifyAuditExport(ndjson(log), keys.history())
    const kept = clean.lastCheckpoint!
    assert.deepEqual({ seq: kept.seq, hash: kept.hash }, { seq: log.at(-2)!.seq, hash: log.at(-2)!.hash })
    assert.ok(Date.parse(kept.signedAt) <= Date.now())
    await verifyAuditExport(ndjson(log), keys.history(), { expectedCheckpoint: kept })
    // Cut back to the earlier checkpoint: a valid log by itself, not against what was kept.
    const cpAt = log.findIndex((e) => e.type === 'audit.checkpoint')
    const cut = log.slice(0, cpAt + 1)
    assert.equal((await verifyAuditExport(ndjson(cut), keys.history())).unsignedEntries, 0)
    await assert.rejects(verifyAuditExport(ndjson(cut), keys.history(), { expectedCheckpoint: kept }), code('checkpoint_expected', 0))
    // Only the last checkpoint cut off: its entry is there, no longer signed.
    await assert.rejects(verifyAuditExport(ndjson(log.slice(0, -1)), keys.history(), { expectedCheckpoint: kept }), code('checkpoint_expected', 0))
    // Cut back and continued: the store refilled with the kept part, new entries, and a checkpoint signed by the key.
    const other = openSqliteStore({ path: ':memory:' })
    try {
      for (const e of cut) await other.audit.append({ type: e.type, actor: e.actor, subject: e.subject, data: e.data }, e.at)
      for (let i = 0; i < 4; i++) await other.audit.append({ type: 'login', actor: 'usr_new', subject: 'usr_new' }, Date.now())
      await createCheckpointer({ store: other, keys, config: { publicUrl: 'https://sigil.test' } as never, now: Date.now }).run()
      const continued = await other.audit.list({ limit: 100 })
      assert.equal((await verifyAuditExport(ndjson(continued), keys.history())).unsignedEntries, 0)
      await assert.rejects(verifyAuditExport(ndjson(continued), keys.history(), { expectedCheckpoint: kept }), code('checkpoint_expected', kept.seq))
    } finally {
      await other.close()
    }
    // The next export, from the kept entry on.
    const rest = log.slice(kept.seq)
    await verifyAuditExport(ndjson(rest), keys.history(), { after: kept.seq, expectedCheckpoint: kept })
    await assert.rejects(verifyAuditExport(ndjson(rest), keys.history(), { after: kept.seq, expectedCheckpoint: { seq: kept.seq, hash: log[0]!.hash } }), code('checkpoint_expected', 1))
  })

  test('npm run sigil -- audit verify: exit 1 naming the code for an empty file, a data-null checkpoint, a missing start, a cut log; --after and --prev-hash', () => {
    const keysFile = path.join(dir, 'keys.json')
    fs.writeFileSync(keysFile, JSON.stringify(keys.history()))
    const file = path.join(dir, 'export.ndjson')
    const verify = (...args: string[]) => {
      try {
        return { status: 0, out: JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'audit', 'verify', file, '--jwks', keysFile, ...args],
          { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, encoding: 'utf8', stdio: 'pipe' })) }
      } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string }
        return { status: e.status, out: e.stdout ? JSON.parse(e.stdout) : { stderr: e.stderr } }
      }
    }
    const cases: [string, string[], number, string | undefined][] = [
      ['', [], 1, 'export_empty'],
      [hashed({ seq: 1, at: 1, type: 'audit.checkpoint', actor: 'system', subject: '', data: null as never, prevHash: AUDIT_GENESIS }) + '\n', [], 1, 'line_invalid'],
      [ndjson(log.slice(2)), [], 1, 'chain_start'],
      [ndjson(log.slice(2)), ['--after', '2', '--prev-hash', log[1]!.hash], 0, undefined],
      [ndjson(log.slice(2)), ['--after', '2', '--prev-hash', log[0]!.hash], 1, 'chain_start'],
      [ndjson(log.slice(0, 4)), ['--expect-checkpoint', `${log.at(-2)!.seq}:${log.at(-2)!.hash}`], 1, 'checkpoint_expected'],
    ]
    for (const [text, args, status, c] of cases) {
      fs.writeFileSync(file, text)
      const r = verify(...args)
      assert.equal(r.status, status, JSON.stringify(r.out))
      assert.equal(r.out.ok, status === 0)
      assert.equal(r.out.code, c)
    }
    fs.writeFileSync(file, ndjson(log))
    assert.equal(verify('--prev-hash', log[0]!.hash).status, 2, '--prev-hash without --after is a usage error')
    const ok = verify()
    assert.equal(ok.status, 0)
    assert.equal(verify('--expect-checkpoint', `${ok.out.lastCheckpoint.seq}:${ok.out.lastCheckpoint.hash}`).status, 0)
    assert.equal(verify('--expect-checkpoint', `${ok.out.lastCheckpoint.seq}`).status, 2)
  })
})
