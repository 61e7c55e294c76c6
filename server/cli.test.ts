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
    const before = cli(dir, 'keys', 'list').keys.map((k: { kid: string }) => k.kid)
    const rotated = cli(dir, 'keys', 'rotate')
    assert.deepEqual(rotated.retired, before)
    const after = cli(dir, 'keys', 'list').keys.map((k: { kid: string }) => k.kid)
    assert.deepEqual(after.sort(), [...before, rotated.kid].sort())
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
