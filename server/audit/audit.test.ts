import { exportJWK, generateKeyPair } from 'jose'
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, signIn, type TestApp } from '../testing/index.ts'
import { createCheckpointer, verifyAuditExport, AuditVerificationError } from './index.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

describe('tamper-evident audit log', () => {
  let app: TestApp
  let auditor: TestClient
  let exported: string
  before(async () => {
    app = await startTestApp()
    const auth = createSoftAuthenticator()
    const user = await signUp(new TestClient(app.url), auth, 'audited-user', 'Alice Example')
    await signIn(new TestClient(app.url), auth)
    await createCheckpointer(app.deps).run()
    await signIn(new TestClient(app.url), auth)
    auditor = new TestClient(app.url)
    const a = await signUp(auditor, createSoftAuthenticator(), 'the-auditor')
    await app.deps.store.users.setRoles(a.user.id, ['auditor'])
    await createCheckpointer(app.deps).run()
    void user
    const r = await auditor.get('/v1/audit')
    assert.equal(r.status, 200)
    assert.match(r.headers.get('content-type')!, /^application\/x-ndjson/)
    exported = r.body as string
  })
  after(() => app.close())

  test('paging: after and limit are honoured; a bad cursor or limit is a 400 naming it, never the whole log again', async () => {
    const lines = (t: string) => t.trim().split('\n').map((l) => JSON.parse(l) as { seq: number })
    const all = lines(exported)
    const page = lines((await auditor.get(`/v1/audit?after=${all[1]!.seq}&limit=2`)).body as string)
    assert.deepEqual(page.map((e) => e.seq), [all[2]!.seq, all[3]!.seq])
    for (const [query, field] of [['after=abc', 'after'], ['after=-1', 'after'], ['after=99999999999999999999', 'after'], ['limit=0', 'limit'], ['limit=1&limit=2', 'limit']]) {
      const r = await auditor.get(`/v1/audit?${query}`)
      assert.equal(r.status, 400, query)
      assert.equal(r.body.code, 'request_invalid', query)
      assert.equal(r.body.field, field, query)
    }
  })

  test('only auditors export; entries carry opaque ids, no handles or names', async () => {
    const other = new TestClient(app.url)
    await signUp(other, createSoftAuthenticator(), 'not-an-auditor')
    const r = await other.get('/v1/audit')
    assert.equal(r.status, 403)
    assert.equal(r.body.code, 'role_forbidden')
    assert.doesNotMatch(exported, /audited-user|Alice Example|the-auditor/)
    const types = exported.trim().split('\n').map((l) => JSON.parse(l).type)
    assert.deepEqual(types.slice(0, 3), ['account.created', 'login', 'audit.checkpoint'])
  })

  test('a clean export verifies against the key history, with its checkpoints', async () => {
    const keys = (await auditor.get('/v1/audit/keys')).body
    const r = await verifyAuditExport(exported, keys)
    assert.equal(r.firstSeq, 1)
    assert.equal(r.checkpoints, 2)
    assert.equal(r.signedThrough, r.lastSeq! - 1)
  })

  test('a JWKS without the checkpoint\'s (retired) key: the message names the key and where the full history is', async () => {
    const keys = (await auditor.get('/v1/audit/keys')).body as { keys: { kid: string }[] }
    const other = (await generateKeyPair('ES256', { extractable: true })).publicKey
    const partial = { keys: [{ ...(await exportJWK(other)), kid: 'some-newer-key', alg: 'ES256' }] }
    await assert.rejects(verifyAuditExport(exported, partial), (err: Error) =>
      err.message.includes(keys.keys[0]!.kid) && /keys history|\/v1\/audit\/keys/.test(err.message))
  })

  test('one changed byte anywhere is caught and the entry named', async () => {
    const keys = (await auditor.get('/v1/audit/keys')).body
    const lines = exported.trim().split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      const at = line.indexOf('"type":"') + 9 // a byte inside the type's value
      const changed = [...lines]
      changed[i] = line.slice(0, at) + (line[at] === 'x' ? 'y' : 'x') + line.slice(at + 1)
      await assert.rejects(verifyAuditExport(changed.join('\n'), keys), (err: unknown) => {
        assert.ok(err instanceof AuditVerificationError)
        assert.equal(err.line, i + 1)
        return true
      })
    }
  })

  test('a removed entry is named as missing; a rewritten chain fails its signed checkpoint', async () => {
    const keys = (await auditor.get('/v1/audit/keys')).body
    const lines = exported.trim().split('\n')
    const gap = [...lines.slice(0, 1), ...lines.slice(2)]
    await assert.rejects(verifyAuditExport(gap.join('\n'), keys), /entry 2 missing/)
    // Someone with write access rewrites entry 1 and recomputes every hash: the checkpoint's signature does not follow.
    const { auditEntryHash } = await import('../store/index.ts')
    const entries = lines.map((l) => JSON.parse(l))
    entries[0].data = { passkey: 'forged' }
    for (let i = 0; i < entries.length; i++) {
      if (i > 0) entries[i].prevHash = entries[i - 1].hash
      entries[i].hash = auditEntryHash(entries[i])
    }
    await assert.rejects(verifyAuditExport(entries.map((e) => JSON.stringify(e)).join('\n'), keys), /signed checkpoint names hash/)
  })

  test('a rewritten chain cannot borrow signed checkpoints by moving them; stripped of them it says how much is unsigned', async () => {
    const keys = (await auditor.get('/v1/audit/keys')).body
    const { auditEntryHash, AUDIT_GENESIS } = await import('../store/index.ts')
    const original = exported.trim().split('\n').map((l) => JSON.parse(l))
    const rechain = (es: Record<string, any>[]) => es.map((e, i, all) => {
      e.seq = i + 1
      e.prevHash = i === 0 ? AUDIT_GENESIS : all[i - 1]!.hash
      e.hash = auditEntryHash(e as never)
      return JSON.stringify(e)
    }).join('\n')
    const forged = () => { const es = structuredClone(original); es[0].data = { passkey: 'forged' }; return es }
    // The genuine checkpoints moved to the front, the rest re-numbered and re-hashed.
    const es = forged()
    const moved = [...es.filter((e) => e.type === 'audit.checkpoint'), ...es.filter((e) => e.type !== 'audit.checkpoint')]
    await assert.rejects(verifyAuditExport(rechain(moved), keys), /checkpoint names seq \d+, not an entry before it: it was moved/)
    // Checkpoints stripped: the chain verifies by itself, and the result says none of it is signed.
    const stripped = await verifyAuditExport(rechain(forged().filter((e) => e.type !== 'audit.checkpoint')), keys)
    assert.equal(stripped.checkpoints, 0)
    assert.equal(stripped.unsignedEntries, stripped.entries)
    const clean = await verifyAuditExport(exported, keys)
    assert.equal(clean.unsignedEntries, 0, 'the clean export ends with its checkpoint')
    // A field the hash does not cover.
    const extra = exported.trim().split('\n')
    extra[1] = extra[1]!.replace('{', '{"approved":true,')
    await assert.rejects(verifyAuditExport(extra.join('\n'), keys), /unknown field "approved"/)
  })

  test('npm run sigil -- audit verify: exit 0 on a clean export, 1 naming the line on a changed byte', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-audit-'))
    try {
      const keys = path.join(dir, 'keys.json')
      fs.writeFileSync(keys, JSON.stringify(app.deps.keys.history()))
      const file = path.join(dir, 'export.ndjson')
      fs.writeFileSync(file, exported)
      const run = () => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'audit', 'verify', file, '--jwks', keys], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, encoding: 'utf8', stdio: 'pipe' })
      assert.equal(JSON.parse(run()).ok, true)
      fs.writeFileSync(file, exported.replace('"login"', '"logon"'))
      assert.throws(run, (err: { status: number; stdout: string }) => {
        assert.equal(err.status, 1)
        const out = JSON.parse(err.stdout)
        assert.equal(out.ok, false)
        assert.equal(out.line, 2)
        return true
      })
      // The last checkpoint cut off: still a valid chain, but its tail is unsigned; --max-unsigned 0 refuses it.
      fs.writeFileSync(file, exported.trim().split('\n').slice(0, -1).join('\n'))
      const cut = JSON.parse(run())
      assert.equal(cut.ok, true)
      assert.ok(cut.unsignedEntries >= 1)
      assert.match(cut.note, /not covered by a signed checkpoint/)
      const strict = () => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'audit', 'verify', file, '--jwks', keys, '--max-unsigned', '0'],
        { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, encoding: 'utf8', stdio: 'pipe' })
      assert.throws(strict, (err: { status: number; stdout: string }) => err.status === 1 && JSON.parse(err.stdout).ok === false)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('GET /v1/audit without limit gives the whole log (it stopped at 10 000); with limit, Link rel="next" pages to the end', async () => {
    for (let i = 0; i < 10_050; i++) await app.deps.store.audit.append({ type: 'login', actor: `usr_${i}`, subject: `usr_${i}` }, Date.now())
    await createCheckpointer(app.deps).run()
    const total = (await app.deps.store.audit.list({ limit: 100_000 })).length
    assert.ok(total > 10_050)
    const whole = await auditor.get('/v1/audit')
    assert.equal(whole.headers.get('link'), null)
    const text = whole.body as string
    assert.equal(text.trim().split('\n').length, total)
    const keys = (await auditor.get('/v1/audit/keys')).body
    assert.equal((await verifyAuditExport(text, keys)).unsignedEntries, 0)
    // Pages of 4000, following the links: every entry once, in order; the last page has no link.
    let url: string | undefined = '/v1/audit?limit=4000'
    const seqs: number[] = []
    while (url) {
      const r: { status: number; body: unknown; headers: Headers } = await auditor.get(url)
      assert.equal(r.status, 200)
      seqs.push(...(r.body as string).trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq))
      url = /^<([^>]+)>; rel="next"$/.exec(r.headers.get('link') ?? '')?.[1]
    }
    assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1))
    // A limit that ends exactly at the log's end: no link to an empty page.
    assert.equal((await auditor.get(`/v1/audit?after=${total - 3}&limit=3`)).headers.get('link'), null)
    assert.match((await auditor.get(`/v1/audit?after=${total - 4}&limit=3`)).headers.get('link')!, new RegExp(`after=${total - 1}&limit=3>; rel="next"`))
  })
})
