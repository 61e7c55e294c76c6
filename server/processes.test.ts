import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { openKeyRing } from './keys/index.ts'
import Database from 'better-sqlite3'
import { createSoftAuthenticator, signUp, startRedisServer, TestClient, startSigilProcess, TEST_ORIGIN } from './testing/index.ts'

const children: ChildProcess[] = []
after(() => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL') })

const sigil = (env: Record<string, string>) => startSigilProcess(env, children)

test('two Sigil processes over one Redis: ceremonies cross instances, single use and rate limits hold across them', async () => {
  const redis = await startRedisServer()
  const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-keys-'))
  try {
    await openKeyRing({ dir: keys, createIfMissing: true, retainSeconds: 600, now: Date.now }) // the shared key set
    const env = { SIGIL_STORE: 'redis', SIGIL_REDIS_URL: redis.url, SIGIL_KEYS_DIR: keys, SIGIL_RATE_LIMIT_PER_MINUTE: '200' }
    const [a, b] = await Promise.all([sigil(env), sigil(env)])

    const auth = createSoftAuthenticator()
    const onA = new TestClient(a.url)
    const opts = await onA.post('/v1/passkeys/register/options', { handle: 'two-procs', displayName: 'T' })
    const onB = new TestClient(b.url)
    assert.equal((await onB.post('/v1/passkeys/register/verify', { response: await auth.register(opts.body, { origin: TEST_ORIGIN }) })).status, 201)
    const backOnA = new TestClient(a.url)
    backOnA.cookie = onB.cookie
    assert.equal((await backOnA.get('/v1/me')).status, 200, 'a session made on B works on A')

    // Rate limits count in fixed one-minute windows: start early in one, so that the calls below share it.
    const intoMinute = Date.now() % 60_000
    if (intoMinute > 25_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 200))
    const login = await new TestClient(a.url).post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(login.body, { origin: TEST_ORIGIN })
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => new TestClient(i % 2 ? a.url : b.url).post('/v1/passkeys/login/verify', { response })))
    assert.equal(results.filter((r) => r.status === 200).length, 1, 'exactly one of 50 concurrent verifies over both processes')

    // 200 options per IP per minute across both: the rest are refused whichever process answers.
    // In waves of 22 (11 per process): 110 at once on a process that has just started keeps its loop saturated for
    // longer than admission control's window, and it rightly sheds some of them (503), which is not what this checks.
    const statuses: number[] = []
    for (let wave = 0; wave < 10; wave++) {
      statuses.push(...await Promise.all(Array.from({ length: 22 }, (_, i) => new TestClient(i % 2 ? a.url : b.url).post('/v1/passkeys/login/options', {}).then((r) => r.status))))
    }
    const counts = JSON.stringify(statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {}))
    assert.equal(statuses.filter((s) => s === 200).length, 200 - 1, `one options call was made above; statuses ${counts}`)
    assert.ok(statuses.every((s) => s === 200 || s === 429), `statuses ${counts}`)
  } finally {
    for (const c of children) c.kill('SIGTERM')
    await redis.stop()
    fs.rmSync(keys, { recursive: true, force: true })
  }
})

test('the running server signs the audit log on its interval, keeps the anchor outside the store, and counts a refusal in /metrics', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-checkpoints-'))
  try {
    const { url } = await sigil({ SIGIL_DATA_DIR: dir, SIGIL_AUDIT_CHECKPOINT_SECONDS: '1' })
    await signUp(new TestClient(url), createSoftAuthenticator(), 'audited')
    const count = async (outcome: string) => {
      const text = await (await fetch(`${url}/metrics`)).text()
      return Number(new RegExp(`^sigil_audit_checkpoints_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
    }
    const waitFor = async (outcome: string) => {
      for (let i = 0; i < 100 && await count(outcome) === 0; i++) await new Promise((r) => setTimeout(r, 100))
      return count(outcome)
    }
    assert.ok(await waitFor('signed') >= 1)
    const anchor = JSON.parse(fs.readFileSync(path.join(dir, 'audit-anchor.json'), 'utf8')) as { seq: number }
    assert.ok(anchor.seq >= 1)
    // Someone with write access to the database changes an entry the server signed.
    const db = new Database(path.join(dir, 'sigil.db'))
    db.pragma('busy_timeout = 5000')
    db.prepare("UPDATE audit SET subject = 'someone-else' WHERE seq = 1").run()
    db.close()
    assert.ok(await waitFor('refused') >= 1, 'the next run refuses and says so in /metrics')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
