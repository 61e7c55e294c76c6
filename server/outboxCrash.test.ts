import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { newWebhookSecret } from './audit/index.ts'
import { connectRedisStore, openSqliteStore, type Store } from './store/index.ts'
import { createSoftAuthenticator, signUp, startRedisServer, startWebhookReceiver, TestClient, startSigilProcess } from './testing/index.ts'

// The outbox's promise: every event whose change committed is delivered, even when the Sigil process dies
// (SIGKILL: no shutdown code runs) with deliveries in flight and sign-ups half done.

const children: ChildProcess[] = []
after(() => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL') })

const sigil = (env: Record<string, string>) => startSigilProcess(env, children)

/** A receiver that takes requests and never answers: deliveries are in flight when the process dies. */
async function hangingReceiver(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(() => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, close: async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)) } }
}

async function crashAndRecover(name: string, env: Record<string, string>, open: () => Promise<Store>, userIds: (s: Store) => Promise<string[]>) {
  const hanging = await hangingReceiver()
  const store = await open()
  await store.webhooks.createSubscription({ id: 'wh_crash', url: `http://127.0.0.1:${hanging.port}/hooks`, description: name,
    eventTypes: ['account.created'], secret: newWebhookSecret(), createdAt: Date.now(), disabledAt: null })
  await store.close()
  const fast = { ...env, SIGIL_WEBHOOK_TIMEOUT_MS: '1000', SIGIL_WEBHOOK_BACKOFF_MS: '100', SIGIL_OUTBOX_POLL_MS: '50', SIGIL_RATE_LIMIT_PER_MINUTE: '100000' }

  const first = await sigil(fast)
  // Sign-ups keep going while the process is killed: some commit, some do not; the kill lands mid-flight.
  const signUps = Array.from({ length: 30 }, (_, i) => signUp(new TestClient(first.url), createSoftAuthenticator(), `crash-${name}-${i}`).catch(() => undefined))
  await Promise.race([Promise.all(signUps.slice(0, 10)), new Promise((r) => setTimeout(r, 3000))])
  const exited = new Promise((r) => first.child.once('exit', r))
  first.child.kill('SIGKILL')
  await Promise.all(signUps)
  await exited

  // The receiver comes back on the same port, answering now; a new process picks up what the dead one left.
  await hanging.close()
  const receiver = await startWebhookReceiver(hanging.port)
  try {
    const check = await open()
    const committed = await userIds(check)
    await check.close()
    assert.ok(committed.length >= 1, 'some sign-ups committed before the kill')
    const second = await sigil(fast)
    const subjects = () => new Set(receiver.received.map((w) => (JSON.parse(w.body) as { data: { subject: string } }).data.subject))
    await receiver.waitFor(() => committed.every((id) => subjects().has(id)), 30_000)
    assert.deepEqual([...subjects()].sort(), [...committed].sort(), 'every committed account announced, nothing else')
    second.child.kill('SIGTERM')
  } finally {
    await receiver.close()
  }
}

test('sqlite: every event committed before a SIGKILL is delivered after restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-crash-'))
  const file = path.join(dir, 'sigil.db')
  try {
    await crashAndRecover('sqlite', { SIGIL_DATA_DIR: dir }, async () => openSqliteStore({ path: file }), async () => {
      const Database = (await import('better-sqlite3')).default
      const db = new Database(file, { readonly: true })
      const ids = (db.prepare('SELECT id FROM users').all() as { id: string }[]).map((r) => r.id)
      db.close()
      return ids
    })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('redis: every event committed before a SIGKILL is delivered after restart', async () => {
  const redis = await startRedisServer()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-crash-'))
  try {
    // One host restarted on its own data directory: a development key is what it should use.
    const env = { SIGIL_STORE: 'redis', SIGIL_REDIS_URL: redis.url, SIGIL_DATA_DIR: dir, SIGIL_DEV_KEYS: 'true' }
    await crashAndRecover('redis', env, () => connectRedisStore({ url: redis.url }), async () => {
      const { createClient } = await import('redis')
      const c = createClient({ url: redis.url })
      await c.connect()
      const ids: string[] = []
      for await (const batch of c.scanIterator({ MATCH: 'sigil:{u:*}:user', COUNT: 1000 })) {
        for (const k of batch) ids.push(/\{u:(.+)\}/.exec(k)![1]!)
      }
      await c.close()
      return ids
    })
  } finally {
    await redis.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
