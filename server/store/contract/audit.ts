import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AUDIT_GENESIS, auditEntryHash } from '../auditHash.ts'
import type { AuditEntry } from '../ports.ts'
import { type ContractTarget, race, withStores } from './harness.ts'

/** Checks what an offline verifier would: contiguous seqs from 1, each hash, and each link. */
function assertChain(entries: AuditEntry[]) {
  entries.forEach((e, i) => {
    assert.equal(e.seq, i + 1)
    const { hash, ...body } = e
    assert.equal(hash, auditEntryHash(body), `hash of seq ${e.seq}`)
    assert.equal(e.prevHash, i === 0 ? AUDIT_GENESIS : entries[i - 1]!.hash, `link of seq ${e.seq}`)
  })
}

export function auditContract(name: string, target: ContractTarget) {
  describe(`${name}: audit log`, () => {
    test('the first entry starts the chain; absent fields default', () => withStores(target, async (store) => {
      const at = Date.now()
      const e = await store.audit.append({ type: 'server.started' }, at)
      assert.deepEqual(e, { seq: 1, at, type: 'server.started', actor: '', subject: '', data: {},
        prevHash: AUDIT_GENESIS, hash: auditEntryHash({ seq: 1, at, type: 'server.started', actor: '', subject: '',
          data: {}, prevHash: AUDIT_GENESIS }) })
      assert.deepEqual(await store.audit.list({ limit: 10 }), [e])
    }))

    test('list of an empty log is empty', () => withStores(target, async (store) => {
      assert.deepEqual(await store.audit.list({ limit: 10 }), [])
      assert.deepEqual(await store.audit.list({ afterSeq: 5, limit: 10 }), [])
    }))

    test('fields and nested data round-trip', () => withStores(target, async (store) => {
      const data = { approvalId: 'appr_1', amount: '1.5', chains: ['eth', 'btc'], ok: true, none: null, deep: { n: 1 } }
      const e = await store.audit.append({ type: 'approval.granted', actor: 'user-1', subject: 'appr_1', data }, 42)
      assert.deepEqual(e.data, data)
      assert.deepEqual(await store.audit.list({ limit: 1 }), [e])
    }))

    test('20 appends, 15 of them concurrent, form one contiguous chain', () => withStores(target, async (store, all) => {
      const appended: AuditEntry[] = []
      for (let i = 0; i < 5; i++) appended.push(await store.audit.append({ type: 'seq', data: { i } }, 1000 + i))
      appended.push(...await race(all, 15, (s, i) =>
        s.audit.append({ type: 'burst', actor: `client-${i}`, data: { i } }, 2000 + i)))
      const listed = await store.audit.list({ limit: 100 })
      assert.equal(listed.length, 20)
      assertChain(listed)
      assert.deepEqual([...appended].sort((a, b) => a.seq - b.seq), listed)
    }))

    test('an entry whose data cannot be stored fails alone; concurrent appends beside it land', () => withStores(target, async (store) => {
      const calls = Array.from({ length: 10 }, (_, i) =>
        store.audit.append({ type: 'mixed', data: i === 4 ? { n: 1n } : { i } }, 3000 + i))
      const results = await Promise.allSettled(calls)
      assert.equal(results.filter((r) => r.status === 'rejected').length, 1)
      assert.equal(results[4]!.status, 'rejected')
      const listed = await store.audit.list({ limit: 100 })
      assert.equal(listed.length, 9)
      assertChain(listed)
    }))

    test('list pages by afterSeq and limit in seq order', () => withStores(target, async (store) => {
      for (let i = 0; i < 7; i++) await store.audit.append({ type: 'page', data: { i } }, 1000 + i)
      const seqs = async (afterSeq: number | undefined, limit: number) =>
        (await store.audit.list({ afterSeq, limit })).map((e) => e.seq)
      assert.deepEqual(await seqs(undefined, 3), [1, 2, 3])
      assert.deepEqual(await seqs(0, 3), [1, 2, 3])
      assert.deepEqual(await seqs(3, 3), [4, 5, 6])
      assert.deepEqual(await seqs(6, 3), [7])
      assert.deepEqual(await seqs(7, 3), [])
      assert.deepEqual(await seqs(2, 0), [])
    }))

    test('latestOfType finds the newest entry of a type, however far back (pages of 1000 on Redis)', () => withStores(target, async (store) => {
      assert.equal(await store.audit.latestOfType('mark'), undefined, 'an empty log')
      await store.audit.append({ type: 'mark', data: { n: 1 } }, 1000)
      await store.audit.append({ type: 'mark', data: { n: 2 } }, 1001)
      await Promise.all(Array.from({ length: 2100 }, (_, i) => store.audit.append({ type: 'noise', data: { i } }, 1002)))
      const found = await store.audit.latestOfType('mark')
      assert.equal(found?.seq, 2)
      assert.deepEqual(found?.data, { n: 2 })
      assert.equal(found?.hash, (await store.audit.list({ afterSeq: 1, limit: 1 }))[0]!.hash)
      assert.equal((await store.audit.latestOfType('noise'))?.seq, 2102)
      assert.equal(await store.audit.latestOfType('absent'), undefined)
    }))
  })
}
