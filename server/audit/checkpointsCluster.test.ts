import { test, describe, before, after, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { decodeJwt } from 'jose'
import Database from 'better-sqlite3'
import { openKeyRing, type KeyRing } from '../keys/index.ts'
import { AUDIT_GENESIS, auditEntryHash, connectRedisStore, openSqliteStore, type AuditEntry, type Store } from '../store/index.ts'
import { startRedisServer, type TestRedisServer } from '../testing/redisServer.ts'
import { auditAnchorFile, createCheckpointer, verifyAuditExport, CheckpointRefusedError, CHECKPOINT_TYPE } from './index.ts'

// Several processes (SIGIL_WORKERS, instances on one store) each run the checkpointer every interval; the
// deployment signs once per interval. Each process here is its own store connection and checkpointer, on one clock
// the test moves (from the real time on: Redis expires claims by it).

const INTERVAL = 300_000
const config = { publicUrl: 'https://sigil.test' } as never
type Checkpointer = ReturnType<typeof createCheckpointer>
const ndjson = (es: AuditEntry[]): string => es.map((e) => JSON.stringify(e) + '\n').join('')

interface Backend {
  /** A new connection to the data of this test, standing in for another process. */
  connect: () => Promise<Store>
  /** Starts the data of one test. */
  reset: () => Promise<void>
}

function clusterCases(name: string, backend: Backend) {
  describe(`${name}: several processes sign once per interval`, () => {
    let dir: string
    let keys: KeyRing
    let clock: number
    const opened: Store[] = []
    /** A process: its own connection and checkpointer. */
    const proc = async () => {
      const store = await backend.connect()
      opened.push(store)
      return createCheckpointer({ store, keys, config, now: () => clock }, { intervalMs: INTERVAL })
    }
    const add = (subject: string) => opened[0]!.audit.append({ type: 'approval.approved', actor: 'usr_x', subject }, clock)
    const all = () => opened[0]!.audit.list({ limit: 100_000 })
    const checkpoints = async () => (await all()).filter((e) => e.type === CHECKPOINT_TYPE)
    beforeEach(async () => {
      await backend.reset()
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-checkpoints-cluster-'))
      keys = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
      clock = Math.floor(Date.now() / 1000) * 1000
    })
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close()
      fs.rmSync(dir, { recursive: true, force: true })
    })

    test('within one interval only the first run signs, also when entries were appended since; the next interval\'s first run signs', async () => {
      // A runs at t0 + k × interval, B 10 s after it.
      const [a, b] = [await proc(), await proc()]
      const t0 = clock
      await add('appr_1')
      assert.ok(await a.run())
      await add('appr_2')
      clock = t0 + 10_000
      assert.equal(await b.run(), undefined, 'B checks the chain and signs nothing: appr_2 waits for the next interval')
      assert.equal((await checkpoints()).length, 1)
      clock = t0 + INTERVAL
      const next = await a.run()
      assert.ok(next, 'an interval on, the first run signs')
      assert.equal(next.data.seq, next.seq - 1, 'it covers the head, appr_2 included')
      clock = t0 + INTERVAL + 10_000
      assert.equal(await b.run(), undefined)
      assert.equal((await checkpoints()).length, 2)
    })

    test('an idle log gets one checkpoint per interval; when the process that signs stops, another takes over', async () => {
      const [a, b, c] = [await proc(), await proc(), await proc()]
      const t0 = clock
      await add('appr_1')
      // Each process runs every interval, 100 s after the one before it.
      const tick = async (k: number, procs: (Checkpointer | undefined)[]) => {
        for (const [i, p] of procs.entries()) {
          clock = t0 + k * INTERVAL + i * 100_000
          if (p) await p.run()
        }
      }
      for (let k = 0; k < 4; k++) await tick(k, [a, b, c])
      let signedAt = (await checkpoints()).map((e) => decodeJwt(e.data.jws as string).iat! * 1000 - t0)
      assert.deepEqual(signedAt, [0, INTERVAL, 2 * INTERVAL, 3 * INTERVAL], 'A, first in each interval, signs it')
      // A stops: B signs its next run after the newest checkpoint is an interval old.
      for (let k = 4; k < 7; k++) await tick(k, [undefined, b, c])
      signedAt = (await checkpoints()).map((e) => decodeJwt(e.data.jws as string).iat! * 1000 - t0)
      assert.deepEqual(signedAt.slice(4), [4 * INTERVAL + 100_000, 5 * INTERVAL + 100_000, 6 * INTERVAL + 100_000])
      const r = await verifyAuditExport(ndjson(await all()), keys.history())
      assert.equal(r.checkpoints, 7)
      assert.equal(r.unsignedEntries, 0)
    })

    test('of processes due at the same moment, one signs', async () => {
      const procs = [await proc(), await proc(), await proc()]
      await add('appr_1')
      for (let k = 0; k < 3; k++) {
        clock += INTERVAL
        await add(`appr_${k + 2}`)
        const signed = (await Promise.all(procs.map((p) => p.run()))).filter(Boolean)
        assert.equal(signed.length, 1, `interval ${k}`)
      }
      assert.equal((await checkpoints()).length, 3)
      await verifyAuditExport(ndjson(await all()), keys.history())
    })
  })
}

describe('sqlite', () => {
  let root: string
  let file: string
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-checkpoints-db-'))
  })
  after(() => fs.rmSync(root, { recursive: true, force: true }))
  let n = 0
  clusterCases('sqlite', {
    connect: async () => openSqliteStore({ path: file }),
    reset: async () => {
      file = path.join(root, `sigil-${++n}.db`)
    },
  })

  describe('sqlite: a process that does not sign', () => {
    let dir: string
    let db: Database.Database
    let keys: KeyRing
    let clock: number
    const opened: Store[] = []
    const proc = (dataDir?: string) => {
      const store = openSqliteStore({ path: path.join(dir, 'sigil.db') })
      opened.push(store)
      return createCheckpointer({ store, keys, config, now: () => clock },
        { intervalMs: INTERVAL, ...(dataDir ? { anchorFile: auditAnchorFile({ dataDir }) } : {}) })
    }
    const add = (subject: string) => opened[0]!.audit.append({ type: 'approval.approved', actor: 'usr_x', subject }, clock)
    const all = () => opened[0]!.audit.list({ limit: 100_000 })
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-checkpoints-skip-'))
      keys = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
      clock = Math.floor(Date.now() / 1000) * 1000
      proc()
      db = new Database(path.join(dir, 'sigil.db'))
    })
    afterEach(async () => {
      db.close()
      for (const s of opened.splice(0)) await s.close()
      fs.rmSync(dir, { recursive: true, force: true })
    })

    test('still checks the chain: an entry changed within the interval is refused by the process that would skip', async () => {
      const [a, b] = [proc(), proc()]
      await add('appr_1'); await a.run()
      clock += 10_000
      assert.equal(await b.run(), undefined)
      await add('appr_2')
      const changed = (await all()).at(-1)!.seq
      db.prepare("UPDATE audit SET subject = 'appr_EVIL' WHERE seq = ?").run(changed)
      clock += 10_000
      const before = (await all()).length
      await assert.rejects(b.run(), (err: unknown) => err instanceof CheckpointRefusedError && err.code === 'audit_chain_broken' && err.seq === changed)
      await assert.rejects(proc().run(), CheckpointRefusedError, 'a process starting now refuses too')
      assert.equal((await all()).length, before, 'nothing was signed')
    })

    test('keeps an anchor of the checkpoint it checked: restarted on a store stripped of its checkpoints and re-hashed, it refuses', async () => {
      const [a, b] = [proc(path.join(dir, 'host-a')), proc(path.join(dir, 'host-b'))]
      await add('appr_1'); await add('appr_EVIL'); await add('appr_2')
      assert.ok(await a.run())
      clock += 10_000
      assert.equal(await b.run(), undefined)
      assert.equal(JSON.parse(fs.readFileSync(auditAnchorFile({ dataDir: path.join(dir, 'host-b') }), 'utf8')).seq, 3,
        'B names the entry that A\'s checkpoint covers, which B checked')
      // Someone with write access to the store drops an entry and the checkpoints, and re-hashes the rest.
      const rows = (db.prepare('SELECT * FROM audit ORDER BY seq').all() as Record<string, unknown>[])
        .filter((r) => r.subject !== 'appr_EVIL' && r.type !== CHECKPOINT_TYPE)
      db.transaction(() => {
        db.prepare('DELETE FROM audit').run()
        let prev = AUDIT_GENESIS
        rows.forEach((r, i) => {
          const hash = auditEntryHash({ seq: i + 1, at: r.at as number, type: r.type as string, actor: r.actor as string, subject: r.subject as string, data: JSON.parse(r.data as string), prevHash: prev })
          db.prepare('INSERT INTO audit (seq, at, type, actor, subject, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)').run(i + 1, r.at, r.type, r.actor, r.subject, r.data, prev, hash)
          prev = hash
        })
      })()
      clock += INTERVAL
      const before = (await all()).length
      await assert.rejects(proc(path.join(dir, 'host-b')).run(), CheckpointRefusedError)
      assert.equal((await all()).length, before, 'nothing was signed')
    })

    test('anchors of other hosts and workers never refuse each other\'s checkpoints, across restarts', async () => {
      // Host A runs two workers on one data directory; host B one process on its own.
      const hostA = path.join(dir, 'host-a')
      const hostB = path.join(dir, 'host-b')
      const [a1, a2, b] = [proc(hostA), proc(hostA), proc(hostB)]
      const t0 = clock
      await add('appr_1')
      assert.ok(await a1.run())
      clock = t0 + 10_000
      assert.equal(await a2.run(), undefined)
      assert.equal(await b.run(), undefined)
      // The next intervals B runs first and signs; A's workers check its checkpoints.
      for (let k = 1; k <= 2; k++) {
        await add(`appr_${k + 1}`)
        clock = t0 + k * INTERVAL + 5_000
        assert.ok(await b.run())
        clock += 5_000
        assert.equal(await a1.run(), undefined)
        assert.equal(await a2.run(), undefined)
      }
      // Restarts on either host, after either signed, go on without a refusal.
      clock = t0 + 3 * INTERVAL
      assert.ok(await proc(hostA).run())
      clock += 5_000
      assert.equal(await proc(hostB).run(), undefined)
      assert.equal(await proc(hostA).run(), undefined)
      clock = t0 + 4 * INTERVAL
      assert.ok(await proc(hostB).run())
      assert.equal(await a1.run(), undefined)
      await verifyAuditExport(ndjson(await all()), keys.history())
    })
  })
})

describe('redis', () => {
  let server: TestRedisServer
  let prefix = 0
  before(async () => {
    server = await startRedisServer()
  })
  after(async () => {
    await server?.stop()
  })
  clusterCases('redis', {
    connect: () => connectRedisStore({ url: server.url, prefix: `checkpoints${prefix}` }),
    reset: async () => {
      prefix++
    },
  })
})
