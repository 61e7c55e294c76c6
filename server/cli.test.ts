import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { openSqliteStore } from './store/index.ts'
import { hashApiKey } from './clients/index.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function cli(dir: string, ...args: string[]): any {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, encoding: 'utf8' })
  return JSON.parse(out)
}

test('clients create / list / revoke: the key is shown once and stored hashed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-cli-'))
  try {
    const created = cli(dir, 'clients', 'create', '--name', 'wallet', '--role', 'wallet-backend', '--role', 'webhook-admin')
    assert.match(created.key, /^sigil_sk_[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(created.roles, ['wallet-backend', 'webhook-admin'])
    const listed = cli(dir, 'clients', 'list')
    assert.equal(listed.length, 1)
    assert.ok(!JSON.stringify(listed).includes(created.key))
    const store = openSqliteStore({ path: path.join(dir, 'sigil.db') })
    assert.equal((await store.apiClients.getByKeyHash(hashApiKey(created.key)))?.id, created.id)
    await store.close()
    cli(dir, 'clients', 'revoke', created.id)
    assert.ok(cli(dir, 'clients', 'list')[0].revokedAt)
    assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'clients', 'create', '--name', 'x', '--role', 'root'],
      { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, stdio: 'pipe' }), /role must be/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('keys rotate: a new active key, the old one still in the JWKS', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-cli-'))
  try {
    // Reading keys never makes one: the first comes from keys init (or a server's first start).
    assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'keys', 'list'], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, stdio: 'pipe' }), /keys init/)
    assert.equal(fs.existsSync(path.join(dir, 'signing-keys.json')), false)
    // Nor does rotating: it fails naming the file it looked for (a wrong SIGIL_KEYS_DIR, not a new key set).
    assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'keys', 'rotate'], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, stdio: 'pipe' }),
      (err: { status: number; stderr: Buffer }) => err.status === 2 && err.stderr.toString().includes(`no key set at ${path.join(dir, 'signing-keys.json')}`))
    assert.equal(fs.existsSync(path.join(dir, 'signing-keys.json')), false)
    cli(dir, 'keys', 'init')
    const before = cli(dir, 'keys', 'list').keys.map((k: { kid: string }) => k.kid)
    const rotated = cli(dir, 'keys', 'rotate')
    assert.deepEqual(rotated.retired, before)
    assert.equal(rotated.file, path.join(dir, 'signing-keys.json'), 'names the file it rotated')
    const listed = cli(dir, 'keys', 'list').keys as { kid: string; state: string }[]
    assert.deepEqual(listed.map((k) => k.kid).sort(), [...before, rotated.kid].sort())
    // Published first, signing once caches of the JWKS hold it; --now (a compromised key) signs at once.
    assert.deepEqual(listed.map((k) => k.state), ['active', 'pending'])
    assert.ok(Date.parse(rotated.activatesAt) > Date.now() + 300_000)
    const urgent = cli(dir, 'keys', 'rotate', '--now')
    assert.deepEqual(urgent.retired.sort(), [...before, rotated.kid].sort())
    assert.deepEqual((cli(dir, 'keys', 'list').keys as { kid: string; state: string }[]).map((k) => [k.kid, k.state]),
      [[before[0], 'retired'], [rotated.kid, 'retired'], [urgent.kid, 'active']])
    const after = cli(dir, 'keys', 'list').keys.map((k: { kid: string }) => k.kid)
    assert.deepEqual(after.sort(), [...before, rotated.kid, urgent.kid].sort())
    // The history keeps every key ever used, public parts only (what audit verify --jwks needs after retirement); the
    // key --now replaced while pending never signed, so nothing is checked with it.
    const history = cli(dir, 'keys', 'history').keys as { kid: string; d?: string }[]
    assert.deepEqual(history.map((k) => k.kid).sort(), [...before, urgent.kid].sort())
    assert.ok(history.every((k) => k.d === undefined))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('keys init: the production key set created once in SIGIL_KEYS_DIR, never replaced; a server without one says how to make it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-cli-'))
  const keysDir = path.join(dir, 'keys')
  const run = (env: Record<string, string>, ...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir, ...env }, encoding: 'utf8', stdio: 'pipe' })
  try {
    assert.throws(() => run({ SIGIL_KEYS_DIR: keysDir }, 'keys', 'rotate'), (err: { stderr: string }) => /keys init/.test(err.stderr))
    const made = JSON.parse(run({ SIGIL_KEYS_DIR: keysDir }, 'keys', 'init')) as { kid: string; file: string }
    assert.equal(made.file, path.join(keysDir, 'signing-keys.json'))
    assert.equal(fs.statSync(made.file).mode & 0o777, 0o600)
    const listed = JSON.parse(run({ SIGIL_KEYS_DIR: keysDir }, 'keys', 'list')) as { keys: { kid: string; d?: string }[] }
    assert.deepEqual(listed.keys.map((k) => k.kid), [made.kid])
    assert.ok(listed.keys.every((k) => k.d === undefined), 'no private part in the JWKS')
    const before = fs.readFileSync(made.file, 'utf8')
    assert.throws(() => run({ SIGIL_KEYS_DIR: keysDir }, 'keys', 'init'), (err: { status: number; stderr: string }) => err.status === 2 && /already holds a key set/.test(err.stderr))
    assert.equal(fs.readFileSync(made.file, 'utf8'), before, 'the existing key set is untouched')
    assert.equal(fs.existsSync(path.join(dir, 'signing-keys.json')), false, 'nothing written to the data directory')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('webhooks list / deliveries / replay: a dead delivery is sent again from a fresh count; outbox status', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-cli-'))
  try {
    const store = openSqliteStore({ path: path.join(dir, 'sigil.db') })
    const t = Date.now()
    await store.webhooks.createSubscription({ id: 'wh_cli', url: 'https://hooks.example.com', description: 'ops', eventTypes: ['*'],
      secret: 'whsec_AAAA', createdAt: t, disabledAt: null })
    await store.webhooks.enqueue([{ id: 'dlv_cli', subscriptionId: 'wh_cli', event: { id: 'evt_1', type: 'login', at: t, subject: 'u', data: {} },
      state: 'pending', attempts: 0, nextAttemptAt: t, lastAttemptAt: null, lastStatus: null, lastError: null, createdAt: t }])
    const [claimed] = await store.webhooks.claimDue(t, 1000, 1)
    await store.webhooks.settle(claimed!.id, claimed!.nextAttemptAt, { state: 'dead', attempts: 12, nextAttemptAt: t, lastAttemptAt: t, lastStatus: 500, lastError: 'HTTP 500' })
    await store.outbox.publish([{ id: 'evt_2', type: 'login', at: t, subject: 'u', data: {} }])
    await store.close()
    const listed = cli(dir, 'webhooks', 'list')
    assert.equal(listed[0].id, 'wh_cli')
    assert.equal(listed[0].secret, undefined, 'no secret printed')
    assert.deepEqual(cli(dir, 'webhooks', 'deliveries', 'wh_cli', '--state', 'dead').map((d: { id: string }) => d.id), ['dlv_cli'])
    assert.deepEqual(cli(dir, 'webhooks', 'replay', 'wh_cli'), { replayed: 1 })
    assert.deepEqual(cli(dir, 'webhooks', 'deliveries', 'wh_cli', '--state', 'pending').map((d: { attempts: number }) => d.attempts), [0])
    assert.deepEqual(cli(dir, 'outbox', 'status'), { pending: 1 })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('bad arguments are named with exit 2, never a store error or an empty success; the database file is the owner\'s only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-cli-'))
  const run = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, encoding: 'utf8', stdio: 'pipe' })
  try {
    const refused = (args: string[], message: RegExp) => assert.throws(() => run(...args), (err: { status: number; stderr: string }) => {
      assert.equal(err.status, 2, args.join(' '))
      assert.match(err.stderr, message)
      return true
    })
    refused(['audit', 'export', '--after', 'abc'], /--after must be the sequence number/)
    refused(['webhooks', 'deliveries', 'wh_nope'], /no webhook subscription wh_nope/)
    refused(['audit', 'verify', '/dev/null', '--jwks', path.join(dir, 'nope.json')], /--jwks .*nope\.json: no such file/)
    assert.match(execFileSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'clients', 'list'], { cwd: root, env: { ...process.env, SIGIL_DATA_DIR: dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /^\[\]/)
    assert.equal(fs.statSync(path.join(dir, 'sigil.db')).mode & 0o777, 0o600)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
