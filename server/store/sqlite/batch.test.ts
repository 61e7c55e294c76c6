import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { StoreUnavailableError } from '../errors.ts'
import type { Store } from '../ports.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beginImmediateNow, runBatch } from './batch.ts'

// The group-commit loop on its own, with a stand-in store whose methods write to a table of their own: the
// failures a real adapter cannot easily be made to show (a COMMIT that fails, a connection that is gone).

function setUp() {
  const db = new Database(':memory:')
  db.pragma('foreign_keys = ON')
  db.exec('CREATE TABLE parent (id TEXT PRIMARY KEY)')
  // Checked at COMMIT only: a row pointing nowhere makes the batch's COMMIT fail.
  db.exec('CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)')
  const insert = db.prepare('INSERT INTO child VALUES (?, ?)')
  const store = {
    rows: {
      async add(id: string, parent: string | null) { insert.run(id, parent); return id },
      async fail(id: string) { insert.run(id, null); throw new Error('refused after writing') },
    },
  } as unknown as Store
  const count = (): number => (db.prepare('SELECT count(*) AS n FROM child').get() as { n: number }).n
  return { db, store, count }
}

describe('group commit batch loop', () => {
  test('each call answers in order; a call that throws is rolled back alone', async () => {
    const { db, store, count } = setUp()
    const out = await runBatch(db, store, [[1, 'rows', 'add', ['a', null]], [2, 'rows', 'fail', ['b']], [3, 'rows', 'add', ['c', null]], [4, 'rows', 'nothing', []]])
    assert.deepEqual(out.map(([seq, ok]) => [seq, ok]), [[1, true], [2, false], [3, true], [4, false]])
    assert.match(String(out[1]![2]), /refused after writing/)
    assert.match(String(out[3]![2]), /no method rows.nothing/)
    assert.equal(count(), 2, 'the failed call left nothing; the others committed')
    assert.equal(db.inTransaction, false)
  })

  test('a COMMIT that fails fails every call of the batch, and nothing of it is kept', async () => {
    const { db, store, count } = setUp()
    const out = await runBatch(db, store, [[1, 'rows', 'add', ['a', null]], [2, 'rows', 'add', ['orphan', 'no-such-parent']]])
    assert.equal(out.length, 2)
    for (const [, ok, err] of out) {
      assert.equal(ok, false)
      assert.ok(err instanceof StoreUnavailableError)
    }
    assert.equal(count(), 0)
    assert.equal(db.inTransaction, false, 'the connection is usable again')
    const next = await runBatch(db, store, [[3, 'rows', 'add', ['b', null]]])
    assert.deepEqual(next, [[3, true, 'b']])
  })

  test('a savepoint statement that fails (an I/O error) rolls the whole batch back and leaves no transaction open', async () => {
    const { db, store, count } = setUp()
    // The connection as runBatch sees it, with the second SAVEPOINT failing as a disk error would make it.
    let savepoints = 0
    const failing = new Proxy(db, {
      get(target, key) {
        // runBatch prepares its transaction control once per connection; the SAVEPOINT it gets fails the second time.
        if (key === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql)
            if (sql !== 'SAVEPOINT call') return statement
            return { run: () => {
              if (++savepoints === 2) throw new Error('disk I/O error')
              return statement.run()
            } }
          }
        }
        const value = Reflect.get(target, key, target) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    const out = await runBatch(failing, store, [[1, 'rows', 'add', ['a', null]], [2, 'rows', 'add', ['b', null]], [3, 'outbox', 'drain', [5]]],
      ([, area]) => area === 'outbox' && false)
    assert.deepEqual(out.map(([seq, ok, err]) => [seq, ok, err instanceof StoreUnavailableError]), [[1, false, true], [2, false, true], [3, false, true]],
      'the first call too: its write went with the rollback')
    assert.equal(db.inTransaction, false, 'no transaction left open')
    assert.equal(count(), 0)
    assert.deepEqual(await runBatch(db, store, [[4, 'rows', 'add', ['c', null]]]), [[4, true, 'c']], 'the next batch goes through')
  })

  test('a connection that cannot begin fails every call with StoreUnavailableError', async () => {
    const { db, store } = setUp()
    db.close()
    const out = await runBatch(db, store, [[1, 'rows', 'add', ['a', null]], [2, 'rows', 'add', ['b', null]]])
    assert.deepEqual(out.map(([seq, ok, err]) => [seq, ok, err instanceof StoreUnavailableError]), [[1, false, true], [2, false, true]])
  })

  test('a call taken over gets no outcome here', async () => {
    const { db, store, count } = setUp()
    const taken: number[] = []
    const out = await runBatch(db, store, [[1, 'rows', 'add', ['a', null]], [2, 'outbox', 'drain', [5]]], ([seq, area]) => area === 'outbox' && taken.push(seq) > 0)
    assert.deepEqual(out, [[1, true, 'a']])
    assert.deepEqual(taken, [2])
    assert.equal(count(), 1)
  })
})

describe('beginImmediateNow', () => {
  test('takes the write lock without waiting, reports a held lock as false, and puts the busy timeout back on every path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-begin-'))
    try {
      const file = path.join(dir, 'b.db')
      const mine = new Database(file)
      mine.pragma('journal_mode = WAL')
      mine.pragma('busy_timeout = 4321')
      const other = new Database(file)
      const timeout = () => mine.pragma('busy_timeout', { simple: true })

      assert.equal(beginImmediateNow(mine, 4321), true, 'free lock: taken')
      assert.equal(mine.inTransaction, true)
      assert.equal(timeout(), 4321)
      // Already in a transaction: SQLite's own error is thrown, not reported as busy.
      assert.throws(() => beginImmediateNow(mine, 4321), /within a transaction/)
      assert.equal(timeout(), 4321)
      mine.exec('COMMIT')

      other.exec('BEGIN IMMEDIATE')
      const t0 = performance.now()
      assert.equal(beginImmediateNow(mine, 4321), false, 'held lock: false')
      assert.ok(performance.now() - t0 < 100, 'without waiting for the busy timeout')
      assert.equal(mine.inTransaction, false)
      assert.equal(timeout(), 4321)
      other.exec('COMMIT')
      assert.equal(beginImmediateNow(mine, 4321), true)
      mine.exec('COMMIT')
      other.close()
      mine.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
