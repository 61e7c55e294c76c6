import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig } from './config.ts'

test('defaults give a working local set-up', () => {
  const c = loadConfig({})
  assert.equal(c.port, 8080)
  assert.equal(c.rpId, 'localhost')
  assert.deepEqual(c.origins, ['http://localhost:8080'])
  assert.equal(c.store, 'sqlite')
  assert.equal(c.sessionIdleSeconds, 3600)
  assert.equal(c.sessionAbsoluteSeconds, 86400)
})

test('one error names every bad variable', () => {
  assert.throws(() => loadConfig({ PORT: 'eighty', SIGIL_STORE: 'mongo', SIGIL_ORIGINS: 'not a url', SIGIL_SESSION_IDLE_SECONDS: '-5' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    const vars = err.issues.map((i) => i.split(':')[0]).sort()
    assert.deepEqual(vars, ['PORT', 'SIGIL_ORIGINS', 'SIGIL_SESSION_IDLE_SECONDS', 'SIGIL_STORE'])
    return true
  })
})

test('a malformed variable does not hide the checks across the others', () => {
  // PORT is malformed; the origin, Redis and session checks still run on the variables that are well formed.
  assert.throws(() => loadConfig({ PORT: 'abc', SIGIL_STORE: 'redis', SIGIL_ORIGINS: 'http://evil.com', SIGIL_SESSION_IDLE_SECONDS: '90000' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map((i) => i.split(':')[0]).sort(), ['PORT', 'SIGIL_ORIGINS', 'SIGIL_ORIGINS', 'SIGIL_REDIS_URL', 'SIGIL_SESSION_IDLE_SECONDS'])
    return true
  })
  // A check that involves a malformed variable is not judged against a default: only the malformed one is named.
  assert.throws(() => loadConfig({ SIGIL_RP_ID: 'bad rp id!', SIGIL_ORIGINS: 'https://example.com' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map((i) => i.split(':')[0]), ['SIGIL_RP_ID'])
    return true
  })
})

test('origins must sit within the RP ID and use https off localhost', () => {
  assert.throws(() => loadConfig({ SIGIL_RP_ID: 'example.com', SIGIL_ORIGINS: 'https://example.org' }), /not within SIGIL_RP_ID/)
  assert.throws(() => loadConfig({ SIGIL_RP_ID: 'example.com', SIGIL_ORIGINS: 'http://example.com' }), /must use https/)
  const c = loadConfig({ SIGIL_RP_ID: 'example.com', SIGIL_ORIGINS: 'https://example.com, https://app.example.com', SIGIL_TRUST_PROXY: '1' })
  assert.deepEqual(c.origins, ['https://example.com', 'https://app.example.com'])
  assert.equal(c.trustProxy, 1)
  assert.equal(c.publicUrl, 'https://example.com')
})

test('idle limit cannot exceed the absolute limit', () => {
  assert.throws(() => loadConfig({ SIGIL_SESSION_IDLE_SECONDS: '90000' }), /SIGIL_SESSION_IDLE_SECONDS/)
})

test('SQLite runs with group commit on the event loop by default; the old thread switch is refused by name', () => {
  assert.equal(loadConfig({}).sqliteMode, 'group')
  assert.equal(loadConfig({ SIGIL_SQLITE_MODE: 'thread' }).sqliteMode, 'thread')
  assert.throws(() => loadConfig({ SIGIL_SQLITE_MODE: 'fast' }), /SIGIL_SQLITE_MODE/)
  assert.throws(() => loadConfig({ SIGIL_SQLITE_THREAD: 'false' }), /SIGIL_SQLITE_THREAD: replaced by SIGIL_SQLITE_MODE/)
})
