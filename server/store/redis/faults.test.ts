import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { connectRedisStore } from './index.ts'
import { createSoftAuthenticator, startTestApp, TestClient, signUp, TEST_ORIGIN } from '../../testing/index.ts'

const children: ChildProcess[] = []
after(() => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL') })

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1')
  await new Promise((r) => srv.once('listening', r))
  const { port } = srv.address() as net.AddressInfo
  await new Promise((r) => srv.close(r))
  return port
}

/** redis-server with AOF (appendfsync always), restartable on the same port and data dir. */
function redis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => { out += d; if (out.includes('Ready to accept connections')) resolve(child) })
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)))
  })
}

const timed = async <T>(p: Promise<T>): Promise<{ value: T; ms: number }> => {
  const t = Date.now()
  const value = await p
  return { value, ms: Date.now() - t }
}

test('Redis killed mid-ceremony: 503 problem (fail closed, bounded), not ready; back within 5 s; AOF keeps consumed challenges consumed', async () => {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-fault-'))
  let server = await redis(port, dir)
  const store = await connectRedisStore({ url: `redis://127.0.0.1:${port}`, prefix: 'fault' })
  const app = await startTestApp({ store })
  try {
    const auth = createSoftAuthenticator()
    const client = new TestClient(app.url)
    await signUp(client, auth, 'faulty')
    // A sign-in whose assertion is verified once before the crash…
    const used = await new TestClient(app.url).post('/v1/passkeys/login/options', {})
    const usedResponse = await auth.authenticate(used.body, { origin: TEST_ORIGIN })
    assert.equal((await new TestClient(app.url).post('/v1/passkeys/login/verify', { response: usedResponse })).status, 200)
    // …and one begun before the crash, finished while Redis is down.
    const opts = await new TestClient(app.url).post('/v1/passkeys/login/options', {})
    const response = await auth.authenticate(opts.body, { origin: TEST_ORIGIN })

    server.kill('SIGKILL')
    await new Promise((r) => server.once('exit', r))
    const during = await timed(new TestClient(app.url).post('/v1/passkeys/login/verify', { response }))
    assert.equal(during.value.status, 503)
    assert.equal(during.value.body.code, 'store_unavailable')
    assert.ok(during.ms < 3000, `answered in ${during.ms} ms`)
    const me = await client.get('/v1/me')
    assert.equal(me.status, 503)
    assert.equal((await client.get('/readyz')).status, 503)

    server = await redis(port, dir)
    const back = Date.now()
    let ready = 0
    while (Date.now() - back < 5000) {
      if ((await client.get('/readyz')).status === 200) { ready = Date.now() - back; break }
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(ready > 0, 'ready again within 5 s of Redis coming back, without a restart')
    assert.equal((await client.get('/v1/me')).status, 200, 'the session survived in the AOF')
    const replay = await new TestClient(app.url).post('/v1/passkeys/login/verify', { response: usedResponse })
    assert.equal(replay.body.code, 'challenge_unknown', 'a challenge consumed before the crash stays consumed')
    const pending = await new TestClient(app.url).post('/v1/passkeys/login/verify', { response })
    assert.equal(pending.status, 200, 'the ceremony that met a dead store can still finish')
  } finally {
    await app.close()
    server.kill('SIGTERM')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
