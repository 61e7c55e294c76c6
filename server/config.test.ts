import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig, unknownVariables } from './config.ts'

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
    assert.deepEqual(err.issues.map((i) => i.split(':')[0]).sort(), ['PORT', 'SIGIL_KEYS_DIR', 'SIGIL_ORIGINS', 'SIGIL_ORIGINS', 'SIGIL_REDIS_URL', 'SIGIL_SESSION_IDLE_SECONDS'])
    return true
  })
  // A check that involves a malformed variable is not judged against a default: only the malformed one is named.
  assert.throws(() => loadConfig({ SIGIL_RP_ID: 'bad rp id!', SIGIL_ORIGINS: 'https://example.com' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map((i) => i.split(':')[0]), ['SIGIL_RP_ID'])
    return true
  })
})

test('a shared (Redis) store needs a shared key directory; only an explicit SIGIL_DEV_KEYS=true goes without', () => {
  // Without one, each host makes its own development key: tokens from one host are refused by the others.
  const redis = { SIGIL_STORE: 'redis', SIGIL_REDIS_URL: 'redis://redis.internal:6379' }
  for (const devKeys of [undefined, 'false', '0']) {
    assert.throws(() => loadConfig({ ...redis, ...(devKeys ? { SIGIL_DEV_KEYS: devKeys } : {}), SIGIL_SESSION_IDLE_SECONDS: '90000' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      // One message names every bad variable, this one among them, and says how to go on.
      assert.deepEqual(err.issues.map((i) => i.split(':')[0]).sort(), ['SIGIL_KEYS_DIR', 'SIGIL_SESSION_IDLE_SECONDS'])
      assert.match(err.message, /SIGIL_KEYS_DIR: required when SIGIL_STORE=redis.*SIGIL_DEV_KEYS=true/)
      return true
    }, String(devKeys))
  }
  assert.equal(loadConfig({ ...redis, SIGIL_KEYS_DIR: '/keys' }).keysDir, '/keys')
  assert.equal(loadConfig({ ...redis, SIGIL_DEV_KEYS: 'true' }).devKeys, true)
  // A malformed SIGIL_DEV_KEYS is named alone, not judged against the default.
  assert.throws(() => loadConfig({ ...redis, SIGIL_DEV_KEYS: 'yes' }), (err: unknown) =>
    err instanceof ConfigError && err.issues.map((i) => i.split(':')[0]).join() === 'SIGIL_DEV_KEYS')
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

test('trust proxy: hop counts, addresses, subnets and Express names; anything else (hex-looking words too) refused', () => {
  for (const ok of ['false', 'true', '1', '2', 'loopback', '10.0.0.0/8', '10.0.0.0/255.0.0.0', '10.0.0.1, 192.168.0.0/16', 'fd00::/8', '::1', 'loopback, 10.1.2.3']) {
    assert.doesNotThrow(() => loadConfig({ SIGIL_TRUST_PROXY: ok }), ok)
  }
  for (const bad of ['deadbeef', 'cafe', '10.0.0.0/33', '300.1.1.1', 'fd00::/129', '10.0.0.1/8/1', 'yes']) {
    assert.throws(() => loadConfig({ SIGIL_TRUST_PROXY: bad }), (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.startsWith('SIGIL_TRUST_PROXY')), bad)
  }
})

test('origins and the public URL are http(s) URLs: another scheme is refused at start-up, not a 500 later', () => {
  for (const [name, value] of [['SIGIL_ORIGINS', 'ftp://localhost'], ['SIGIL_RELATED_ORIGINS', 'ftp://y.example'], ['SIGIL_PUBLIC_URL', 'ftp://x']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.startsWith(name) && /http/.test(i)), name)
  }
})

test('unknown SIGIL_ variables are reported, with the setting they most resemble; tooling variables are not', () => {
  assert.deepEqual(unknownVariables({ SIGIL_STOR: 'redis', SIGIL_REDIS_URLS: 'x', SIGIL_NONSENSE_THING: '1', SIGIL_BENCH_JSON: 'f', SIGIL_STORE: 'sqlite', PATH: '/bin' }),
    ['SIGIL_NONSENSE_THING', 'SIGIL_REDIS_URLS (did you mean SIGIL_REDIS_URL?)', 'SIGIL_STOR (did you mean SIGIL_STORE?)'])
})
