import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { openSqliteStore } from '../store/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TestClient } from '../testing/index.ts'

// GET /v1/audit without limit streams the whole log: as fast as the client reads, never all of it into memory.
test('the full export is read from the store as the client reads it, and stops when the client goes away (found in review)', async () => {
  const N = 100_000
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-audit-export-'))
  const file = path.join(dir, 'sigil.db')
  await openSqliteStore({ path: file }).close()
  const db = new Database(file)
  const insert = db.prepare('INSERT INTO audit (seq, at, type, actor, subject, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)')
  db.transaction(() => {
    for (let i = 1; i <= N; i++) insert.run(i, 1, 'approval.approved', 'usr_x', `apr_${i}`, JSON.stringify({ digest: `sha256:${'a'.repeat(64)}` }), `sha256:${'b'.repeat(64)}`, `sha256:${'c'.repeat(64)}`)
  })()
  db.close()
  const store = openSqliteStore({ path: file })
  const app = await startTestApp({ store })
  try {
    const client = new TestClient(app.url)
    const auditor = await signUp(client, createSoftAuthenticator(), 'stream-auditor')
    await app.deps.store.users.setRoles(auditor.user.id, ['auditor'])
    let pages = 0
    const list = store.audit.list.bind(store.audit)
    store.audit.list = async (opts) => { pages++; return list(opts) }
    // A client that asks and then reads nothing (a stalled download).
    const sock = net.connect(Number(new URL(app.url).port), '127.0.0.1')
    sock.write(`GET /v1/audit HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${client.cookie}\r\n\r\n`)
    sock.once('data', () => sock.pause())
    await new Promise((r) => setTimeout(r, 1500))
    const stalled = pages
    assert.ok(stalled > 0 && stalled < 60, `pages read while the client read nothing: ${stalled} of ${N / 1000}`)
    sock.destroy()
    await new Promise((r) => setTimeout(r, 300))
    const gone = pages
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(pages, gone, 'no more reads once the client has gone')
    // A client that reads gets every entry.
    const r = await client.get('/v1/audit')
    assert.equal(r.status, 200)
    assert.ok(String(r.body).split('\n').filter(Boolean).length > N, 'every entry')
  } finally {
    await app.close()
    await store.close().catch(() => undefined)
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
