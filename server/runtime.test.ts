import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createLogger, scrubSecrets } from './runtime.ts'

test('logs: secrets and personal data are cut at any depth and in any case, whatever a call site passes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-log-'))
  const file = path.join(dir, 'log.ndjson')
  const fd = fs.openSync(file, 'w')
  try {
    const log = createLogger('info', fd)
    log.info({ token: 'TOKEN-1', code: 'RECOVERY-CODE-1', handle: 'erika', subjectRef: 'ksub_SECRET' }, 'top level')
    log.info({ req: { headers: { Authorization: 'Bearer sigil_sk_SECRET', cookie: '__Host-sigil=SESSION', 'set-cookie': 'x=SESSION2' } } }, 'headers')
    log.info({ data: { wallet: { 'pre-authorized_code': 'PRE-AUTH', tx_code: '123456', nested: { birthdate: '1984-08-12' } } } }, 'deep')
    log.info({ offers: [{ nonce: 'NONCE-1' }, { given_name: 'Erika', family_name: 'Mustermann' }] }, 'arrays')
    log.error({ err: new Error('store unavailable'), requestId: 'req-1' }, 'errors stay whole')
    log.info({ requestId: 'req-2', method: 'POST', route: '/v1/approvals/:id/verify', status: 200, ms: 1.2 }, 'request')
    log.info({ pid: 1, exitCode: 3, signal: null }, 'worker')
    const text = fs.readFileSync(file, 'utf8')
    for (const secret of ['TOKEN-1', 'RECOVERY-CODE-1', 'erika', 'ksub_SECRET', 'sigil_sk_SECRET', 'SESSION', 'PRE-AUTH', '123456', '1984-08-12', 'NONCE-1', 'Erika', 'Mustermann']) {
      assert.ok(!text.includes(secret), `${secret} reached the log`)
    }
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines.length, 7)
    assert.equal((lines[0] as { token: string }).token, '[redacted]')
    assert.equal((lines[4] as { err: { message: string; stack: string } }).err.message, 'store unavailable')
    assert.match((lines[4] as { err: { stack: string } }).err.stack, /Error: store unavailable/)
    assert.deepEqual({ ...lines[5], level: 0, time: 0, pid: 0 }, { level: 0, time: 0, pid: 0, service: 'sigil', requestId: 'req-2', method: 'POST', route: '/v1/approvals/:id/verify', status: 200, ms: 1.2, msg: 'request' })
    assert.equal((lines[6] as { exitCode: number }).exitCode, 3)
  } finally {
    fs.closeSync(fd)
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('scrubSecrets copies only what it cuts', () => {
  const line = { requestId: 'r', status: 200 }
  assert.equal(scrubSecrets(line), line, 'nothing to cut: the same object, no copy')
  const withSecret = { a: { token: 't' }, b: { ok: 1 } }
  const out = scrubSecrets(withSecret) as typeof withSecret
  assert.deepEqual(out, { a: { token: '[redacted]' }, b: { ok: 1 } })
  assert.equal(out.b, withSecret.b)
  assert.equal(withSecret.a.token, 't', 'the caller\'s object is untouched')
})
