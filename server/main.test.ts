import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import { Pool } from 'undici'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const children: ChildProcess[] = []
// A failed assertion must not leave a server running: the test file would never end.
after(() => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL') })

interface Started { child: ChildProcess; url: string; logs: string[]; exited: Promise<number | null> }

/** `npm start` as a user runs it (tsx server/main.ts), on a free port, with its own data dir. */
async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: root, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const logs: string[] = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no start within 60 s:\n${logs.join('')}`)) }, 60_000)
    const onData = (d: Buffer): void => {
      logs.push(d.toString())
      const m = /"port":(\d+)/.exec(d.toString())
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`) }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()))
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${logs.join('')}`)) })
  })
  return { child, url, logs, exited }
}

test('first start creates development keys and says so once; SIGTERM stops it cleanly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-main-'))
  try {
    const first = await start({ SIGIL_DATA_DIR: dir })
    assert.equal((await fetch(`${first.url}/readyz`)).status, 200)
    const kid = (await (await fetch(`${first.url}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] }).keys[0]!.kid
    first.child.kill('SIGTERM')
    assert.equal(await first.exited, 0)
    assert.equal(first.logs.join('').match(/created a development signing key/g)?.length, 1)
    assert.ok(fs.existsSync(path.join(dir, 'sigil.db')))

    const second = await start({ SIGIL_DATA_DIR: dir })
    const again = (await (await fetch(`${second.url}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] }).keys[0]!.kid
    assert.equal(again, kid, 'the same key on the next start')
    second.child.kill('SIGTERM')
    assert.equal(await second.exited, 0)
    assert.doesNotMatch(second.logs.join(''), /created a development signing key/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a bad configuration stops start-up with one message naming every bad variable', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root, env: { ...process.env, PORT: 'x', SIGIL_ORIGINS: 'nope', SIGIL_STORE: 'mongo' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  assert.equal(code, 78)
  for (const v of ['PORT', 'SIGIL_ORIGINS', 'SIGIL_STORE']) assert.match(err, new RegExp(`- ${v}:`))
})

/** Runs the server to its exit: the code and what it wrote to stderr. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: root, env: { ...process.env, HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  return { code, err }
}

test('the port taken, a missing or malformed attestation policy file: one message naming the setting, exit 78; with workers too, no restart loop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-main-'))
  const blocker = http.createServer().listen(0, '127.0.0.1')
  try {
    await new Promise((r) => blocker.once('listening', r))
    const port = String((blocker.address() as { port: number }).port)
    const taken = await runToExit({ PORT: port, SIGIL_DATA_DIR: dir })
    assert.equal(taken.code, 78)
    assert.match(taken.err, new RegExp(`sigil: port ${port} on 127\\.0\\.0\\.1 is already in use \\(PORT, HOST\\)`))
    assert.doesNotMatch(taken.err, /Unhandled 'error' event|at Server/)
    const workers = await runToExit({ PORT: port, SIGIL_DATA_DIR: dir, SIGIL_WORKERS: '2' })
    assert.equal(workers.code, 78, 'the primary stops instead of starting workers again and again')
    const missing = await runToExit({ PORT: '0', SIGIL_DATA_DIR: dir, SIGIL_ATTESTATION_POLICY: path.join(dir, 'nope.json') })
    assert.equal(missing.code, 78)
    assert.match(missing.err, /SIGIL_ATTESTATION_POLICY .*nope\.json: no such file/)
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ "compliance": ')
    const malformed = await runToExit({ PORT: '0', SIGIL_DATA_DIR: dir, SIGIL_ATTESTATION_POLICY: path.join(dir, 'bad.json') })
    assert.equal(malformed.code, 78)
    assert.match(malformed.err, /SIGIL_ATTESTATION_POLICY .*bad\.json: not valid JSON/)
  } finally {
    blocker.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('Redis unreachable at start-up: a message naming where and which variables within seconds, exit 1 (no silent retrying)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-main-'))
  try {
    const t0 = Date.now()
    await assert.rejects(start({ SIGIL_DATA_DIR: dir, SIGIL_STORE: 'redis', SIGIL_DEV_KEYS: 'true', SIGIL_REDIS_URL: 'redis://user:hunter2@127.0.0.1:1' }), (err: Error) => {
      assert.match(err.message, /^exited 1:/)
      assert.match(err.message, /Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1 did not answer within 10 s \(SIGIL_REDIS_URL/)
      assert.doesNotMatch(err.message, /hunter2/, 'no password in the message')
      return true
    })
    assert.ok(Date.now() - t0 < 30_000)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('SIGIL_WORKERS=2: two processes share the port and the store; ceremonies finish on either', async () => {
  const { createSoftAuthenticator, TestClient, signUp, signIn } = await import('./testing/index.ts')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-main-'))
  try {
    const s = await start({ SIGIL_DATA_DIR: dir, SIGIL_WORKERS: '2', SIGIL_ORIGINS: 'http://localhost:8080' })
    const pids = new Set<string>()
    await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const auth = createSoftAuthenticator()
      await signUp(new TestClient(s.url), auth, `worker${i}`)
      const r = await signIn(new TestClient(s.url), auth)
      assert.equal(r.status, 200)
    }))
    // The first worker may answer before the second has started: wait for both (60 s at most).
    for (let i = 0; i < 600 && pids.size < 2; i++) {
      for (const line of s.logs.join('').split('\n')) {
        const m = /"pid":(\d+).*Sigil listening/.exec(line)
        if (m) pids.add(m[1]!)
      }
      if (pids.size < 2) await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(pids.size, 2, 'two workers listening')
    s.child.kill('SIGTERM')
    assert.equal(await s.exited, 0)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('SIGTERM drains requests in flight before exiting', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-main-'))
  try {
    const s = await start({ SIGIL_DATA_DIR: dir, SIGIL_ORIGINS: 'http://localhost:8080' })
    // A recovery attempt runs a 32 MiB scrypt: long enough to be in flight when the signal lands.
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200) // warm up
    const inFlight = Array.from({ length: 2 }, () => fetch(`${s.url}/v1/recovery/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({ handle: 'nobody', code: 'AAAA-BBBB-CCCC-DDDD' }),
    }))
    await new Promise((r) => setTimeout(r, 30))
    s.child.kill('SIGTERM')
    const answers = await Promise.all(inFlight)
    assert.deepEqual(answers.map((r) => r.status), [401, 401], 'every request in flight got its answer')
    assert.equal(await s.exited, 0)
    await assert.rejects(fetch(`${s.url}/healthz`), 'no new connections after the drain')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('SIGTERM: a request already queued on a keep-alive connection is answered 503 at /readyz with Connection: close, and the process exits 0 at once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-main-'))
  let pool: Pool | undefined
  try {
    const s = await start({ SIGIL_DATA_DIR: dir, SIGIL_ORIGINS: 'http://localhost:8080' })
    // One pipelined keep-alive connection (a load balancer's pooled connection with requests queued): a slow
    // request (a recovery attempt runs a 32 MiB scrypt), then /readyz and /healthz right behind it on the wire.
    pool = new Pool(s.url, { connections: 1, pipelining: 3 })
    assert.equal((await (await pool.request({ path: '/healthz', method: 'GET' })).body.text()).length > 0, true)
    const slow = pool.request({ path: '/v1/recovery/verify', method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: JSON.stringify({ handle: 'nobody', code: 'AAAA-BBBB-CCCC-DDDD' }) })
    const ready = pool.request({ path: '/readyz', method: 'GET' })
    await new Promise((r) => setTimeout(r, 20))
    const t0 = Date.now()
    s.child.kill('SIGTERM')
    const [a, b] = await Promise.all([slow, ready])
    assert.equal(a.statusCode, 401, 'the request in flight is answered')
    await a.body.text()
    assert.equal(b.statusCode, 503, 'a load balancer probing on its pooled connection learns to stop routing here')
    assert.equal(b.headers.connection, 'close')
    assert.deepEqual(JSON.parse(await b.body.text()), { status: 'stopping' })
    assert.equal(await s.exited, 0, s.logs.join(''))
    assert.ok(Date.now() - t0 < 5000, 'well before the forced exit at 10 s')
  } finally {
    await pool?.destroy()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
