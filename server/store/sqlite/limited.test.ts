import assert from 'node:assert/strict'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { limited } from './limited.ts'

test('limited: the LIMIT is SQL text, one prepared statement per value, the other parameters still bound', () => {
  const db = new Database(':memory:')
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, tag TEXT)')
  const insert = db.prepare('INSERT INTO t (n, tag) VALUES (?, ?)')
  for (let n = 1; n <= 10; n++) insert.run(n, n % 2 ? 'odd' : 'even')
  const page = limited<[string], { n: number }>(db, 'SELECT n FROM t WHERE tag = ? ORDER BY n LIMIT {limit}')
  assert.deepEqual(page(3).all('odd').map((r) => r.n), [1, 3, 5])
  assert.deepEqual(page(0).all('odd'), [])
  assert.deepEqual(page(99).all('even').map((r) => r.n), [2, 4, 6, 8, 10])
  // Bound, SQLite (3.53 here) would recompile the statement at every run after a new binding.
  assert.equal(page(3).source, 'SELECT n FROM t WHERE tag = ? ORDER BY n LIMIT 3')
  assert.equal(page(3), page(3), 'prepared once per value')
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) assert.throws(() => page(bad), RangeError)
  assert.throws(() => limited(db, 'SELECT n FROM t LIMIT ?'), /no \{limit\}/)
  // Past the values it keeps, a limit still answers (compiled afresh).
  for (let n = 100; n < 140; n++) assert.equal(page(n).all('odd').length, 5)
  db.close()
})

test('no statement of the SQLite adapter binds its LIMIT (SQLite would compile it again at every run; use limited())', async () => {
  const fs = await import('node:fs')
  const path = await import('node:path')
  const here = path.dirname(new URL(import.meta.url).pathname)
  const files = fs.readdirSync(here, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  assert.ok(files.length > 10, 'the adapter files were found')
  const bound = files.filter((f) => /LIMIT\s+[?@:$]/i.test(fs.readFileSync(path.join(here, f), 'utf8')))
  assert.deepEqual(bound, [])
})
