import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ApprovalRecord, OutboxEvent, Store } from '../ports.ts'
import { uid } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

export function makeApproval(over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const t = Date.now()
  return {
    id: uid('apr'), kind: 'transfer', status: 'pending',
    intent: { chain: 'ethereum', asset: 'eth', amount: '1.5', source: { walletId: 'w1' }, destination: '0x' + 'ab'.repeat(20) },
    digest: 'sha256:' + 'a'.repeat(64), policyVersion: 'sha256:' + 'b'.repeat(64),
    decision: { requester: { type: 'apiClient', id: 'c1' }, decidedAt: t, approvedLast24h: '0', destinationAllowlisted: false,
      requirements: [{ group: 'treasury', quorum: 2, reasons: ['large'], policyIds: ['p1'] }], separationOfDuties: true, blocks: [] },
    requestedBy: 'c1', initiatorUserId: null, signer: 's1', walletId: 'w1', asset: 'eth', amount: '1.5',
    createdAt: t, expiresAt: t + 900_000, settledAt: null, decisions: [], token: null, redeemedAt: null, version: 1, ...over,
  }
}

const event = (type: string): OutboxEvent => ({ id: uid('evt'), type, at: Date.now(), subject: 's', data: {} })

async function drainTypes(store: Store): Promise<string[]> {
  const seen: string[] = []
  while (await store.outbox.drain(async (es) => { seen.push(...es.map((e) => e.type)) }, 100) > 0);
  return seen.sort()
}

export function approvalsContract(name: string, target: ContractTarget) {
  describe(`${name}: approvals`, () => {
    test('create, get and a duplicate id', () => withStores(target, async (store) => {
      const a = makeApproval()
      await store.approvals.create(a, [event('approval.created')])
      assert.deepEqual(await store.approvals.get(a.id), a)
      await assert.rejects(store.approvals.create(a))
      assert.equal(await store.approvals.get('apr_missing'), undefined)
      assert.deepEqual(await drainTypes(store), ['approval.created'])
    }))

    test('update is a compare-and-set on the version', () => withStores(target, async (store, all) => {
      const a = makeApproval()
      await store.approvals.create(a)
      const results = await race(all, RACERS, (s, i) => s.approvals.update({ ...a, version: 2, decisions: [{ userId: `u${i}`,
        groups: ['treasury'], decision: 'approve', nonce: 'n', at: i, credentialId: 'c', publicKey: 'k', assertion: {} }] }))
      assert.equal(results.filter(Boolean).length, 1, 'one writer wins')
      const got = (await store.approvals.get(a.id))!
      assert.equal(got.version, 2)
      assert.equal(got.decisions.length, 1)
      assert.equal(await store.approvals.update({ ...a, version: 2 }, [event('never')]), false, 'stale version')
      assert.deepEqual(await drainTypes(store), [])
    }))

    test('the Travel Rule beneficiary link is set once by compare-and-set and kept with its condition', () => withStores(target, async (store, all) => {
      const a = makeApproval({ decision: { ...makeApproval().decision,
        conditions: [{ kind: 'beneficiary_kyc', reasons: ['travel rule'], policyIds: ['travel-rule-beneficiary'] }] } })
      await store.approvals.create(a)
      assert.deepEqual((await store.approvals.get(a.id))!.decision.conditions, a.decision.conditions)
      const link = (i: number) => ({ presentationRequestId: `pr_${i}`, verifiedAt: 1000 + i, issuer: 'did:web:issuer.test',
        claimsDigest: 'sha256:' + 'c'.repeat(64), claims: { given_name: 'Erika', family_name: 'Mustermann', kyc_level: 'standard', sanctions_screened: true } })
      const results = await race(all, RACERS, (s, i) => s.approvals.update({ ...a, beneficiary: link(i), version: 2 }, [event('approval.beneficiary_verified')]))
      assert.equal(results.filter(Boolean).length, 1, 'one presentation links')
      const winner = results.findIndex(Boolean)
      const got = (await store.approvals.get(a.id))!
      assert.deepEqual(got.beneficiary, link(winner))
      assert.equal(got.version, 2)
      assert.deepEqual(await drainTypes(store), ['approval.beneficiary_verified'])
    }))

    test('pending and recent lists, newest first; settled requests leave the pending list', () => withStores(target, async (store) => {
      const t = Date.now()
      const a = makeApproval({ createdAt: t - 2000 })
      const b = makeApproval({ createdAt: t - 1000 })
      const blocked = makeApproval({ createdAt: t, status: 'blocked' })
      for (const x of [a, b, blocked]) await store.approvals.create(x)
      assert.deepEqual((await store.approvals.listPending(10)).map((x) => x.id), [b.id, a.id])
      assert.deepEqual((await store.approvals.listRecent(10)).map((x) => x.id), [blocked.id, b.id, a.id])
      assert.equal(await store.approvals.update({ ...b, status: 'rejected', settledAt: t, version: 2 }), true)
      assert.deepEqual((await store.approvals.listPending(10)).map((x) => x.id), [a.id])
    }))

    test('a token is redeemed exactly once under 50 concurrent redeems, and only the current one', () => withStores(target, async (store, all) => {
      const a = makeApproval()
      await store.approvals.create(a)
      const approved = { ...a, status: 'approved' as const, settledAt: Date.now(), token: { jti: 'jti-1', issuedAt: 1, expiresAt: 2 }, version: 2 }
      assert.equal(await store.approvals.redeem(a.id, 'jti-1', 5), false, 'not approved yet')
      assert.equal(await store.approvals.update(approved), true)
      assert.equal(await store.approvals.redeem(a.id, 'jti-other', 5), false, 'another token')
      const results = await race(all, RACERS, (s, i) => s.approvals.redeem(a.id, 'jti-1', 100 + i, [event('approval.redeemed')]))
      assert.equal(results.filter(Boolean).length, 1)
      assert.ok(((await store.approvals.get(a.id))!.redeemedAt ?? 0) >= 100)
      assert.deepEqual(await drainTypes(store), ['approval.redeemed'])
    }))

    test('audit entries go with a write only when it wins, in order, chained like any other', () => withStores(target, async (store, all) => {
      const entriesOf = async (subject: string) => (await store.audit.list({ limit: 100_000 })).filter((e) => e.subject === subject)
      const a = makeApproval()
      await store.approvals.create(a, [event('approval.created')], { entries: [{ type: 'approval.created', actor: 'c1', subject: a.id }], at: 1 })
      await assert.rejects(store.approvals.create(a, undefined, { entries: [{ type: 'approval.duplicate', subject: a.id }], at: 2 }))
      const results = await race(all, RACERS, (s, i) => s.approvals.update({ ...a, status: 'approved', settledAt: 3, version: 2 }, undefined,
        { entries: [{ type: 'approval.approved_by', actor: `u${i}`, subject: a.id }, { type: 'approval.approved', actor: `u${i}`, subject: a.id }], at: 3 }))
      const winner = `u${results.findIndex(Boolean)}`
      assert.equal(await store.approvals.update({ ...a, version: 2 }, undefined, { entries: [{ type: 'approval.stale', subject: a.id }], at: 4 }), false)
      const withToken = { ...(await store.approvals.get(a.id))!, token: { jti: 'jti-a', issuedAt: 5, expiresAt: 6 }, version: 3 }
      assert.equal(await store.approvals.update(withToken), true)
      const redeemed = await race(all, RACERS, (s, i) => s.approvals.redeem(a.id, 'jti-a', 7, undefined, { entries: [{ type: 'approval.redeemed', actor: `s${i}`, subject: a.id }], at: 7 }))
      assert.equal(redeemed.filter(Boolean).length, 1)
      const got = await entriesOf(a.id)
      assert.deepEqual(got.map((e) => [e.type, e.actor, e.at]), [['approval.created', 'c1', 1], ['approval.approved_by', winner, 3],
        ['approval.approved', winner, 3], ['approval.redeemed', `s${redeemed.findIndex(Boolean)}`, 7]])
      // Chained into the one log: each entry's prevHash is the hash of the entry before it.
      const log = await store.audit.list({ limit: 100_000 })
      for (const e of got) assert.equal(e.prevHash, log[log.findIndex((x) => x.seq === e.seq) - 1]?.hash ?? e.prevHash)
    }))

    test('approved amounts per wallet and asset since a time (velocity)', () => withStores(target, async (store) => {
      const t = Date.now()
      const wallet = uid('wallet')
      const mk = async (amount: string, settledAt: number, asset = 'eth') => {
        const a = makeApproval({ walletId: wallet, asset, amount })
        await store.approvals.create(a)
        await store.approvals.update({ ...a, status: 'approved', settledAt, version: 2 })
      }
      await mk('1.5', t - 1000)
      await mk('2', t - 500)
      await mk('7', t - 48 * 3600_000)
      await mk('9', t, 'btc')
      const pending = makeApproval({ walletId: wallet, amount: '100' })
      await store.approvals.create(pending)
      assert.deepEqual((await store.approvals.approvedAmounts(wallet, 'eth', t - 24 * 3600_000)).sort(), ['1.5', '2'])
    }))

    test('pending transfers are reserved in velocity until they settle or expire', () => withStores(target, async (store) => {
      const t = Date.now()
      const wallet = uid('wallet')
      const open = makeApproval({ walletId: wallet, amount: '40' })
      const approved = makeApproval({ walletId: wallet, amount: '30' })
      const rejected = makeApproval({ walletId: wallet, amount: '20' })
      const lapsed = makeApproval({ walletId: wallet, amount: '10', expiresAt: t - 1 })
      const otherAsset = makeApproval({ walletId: wallet, asset: 'btc', amount: '5' })
      for (const a of [open, approved, rejected, lapsed, otherAsset]) await store.approvals.create(a)
      assert.deepEqual((await store.approvals.pendingAmounts(wallet, 'eth', t)).sort(), ['20', '30', '40'], 'an expired request reserves nothing')
      assert.equal(await store.approvals.update({ ...approved, status: 'approved', settledAt: t, version: 2 }), true)
      assert.equal(await store.approvals.update({ ...rejected, status: 'rejected', settledAt: t, version: 2 }), true)
      assert.deepEqual(await store.approvals.pendingAmounts(wallet, 'eth', t), ['40'])
      assert.deepEqual(await store.approvals.approvedAmounts(wallet, 'eth', t - 1000), ['30'], 'approved: counted once, as approved')
      assert.deepEqual(await store.approvals.pendingAmounts(wallet, 'eth', open.expiresAt), [], 'nothing once its expiry has come')
      // A caller whose clock runs ahead (another instance) must not take the reservation from the others.
      assert.deepEqual(await store.approvals.pendingAmounts(wallet, 'eth', t), ['40'], 'a later "now" filtered; it deleted nothing')
      assert.deepEqual(await store.approvals.pendingAmounts(wallet, 'btc', t), ['5'])
    }))

    test('an approved transfer blocked later (at token time) is no longer counted in velocity', () => withStores(target, async (store) => {
      const t = Date.now()
      const wallet = uid('wallet')
      const a = makeApproval({ walletId: wallet, amount: '7' })
      await store.approvals.create(a)
      assert.equal(await store.approvals.update({ ...a, status: 'approved', settledAt: t, version: 2 }), true)
      assert.deepEqual(await store.approvals.approvedAmounts(wallet, 'eth', t - 1000), ['7'])
      const approved = (await store.approvals.get(a.id))!
      assert.equal(await store.approvals.update({ ...approved, status: 'blocked', version: approved.version + 1 }), true)
      assert.deepEqual(await store.approvals.approvedAmounts(wallet, 'eth', t - 1000), [])
    }))

    test('velocity keeps an approved amount whatever races on the record: final decisions at once, tokens asked at once', () => withStores(target, async (store, all) => {
      const t = Date.now()
      const wallet = uid('wallet')
      const a = makeApproval({ walletId: wallet, amount: '19' })
      await store.approvals.create(a)
      // Two approvers' final decisions land together: one compare-and-set wins, the other must not un-count it.
      const decided = await race(all, RACERS, (s) => s.approvals.update({ ...a, status: 'approved', settledAt: t, version: 2 }))
      assert.equal(decided.filter(Boolean).length, 1)
      assert.deepEqual(await store.approvals.approvedAmounts(wallet, 'eth', t - 1000), ['19'])
      // The wallet backend asks for the token several times at once (each issuance rewrites the approved record),
      // while another instance reads the total: the amount must be counted at every moment, not only after the race.
      let reads = 0
      const missed: string[][] = []
      let racing = true
      const watcher = (async () => {
        while (racing) {
          const seen = await all[all.length - 1]!.approvals.approvedAmounts(wallet, 'eth', t - 1000)
          reads++
          if (seen.length !== 1 || seen[0] !== '19') missed.push(seen)
        }
      })()
      try {
        for (let round = 0; round < 10; round++) {
          const current = (await store.approvals.get(a.id))!
          const issued = await race(all, RACERS, (s, i) => s.approvals.update({ ...current, token: { jti: `jti-${round}-${i}`, issuedAt: t, expiresAt: t + 1 }, version: current.version + 1 }))
          assert.equal(issued.filter(Boolean).length, 1)
          assert.deepEqual(await store.approvals.approvedAmounts(wallet, 'eth', t - 1000), ['19'], `after token round ${round}`)
        }
      } finally {
        racing = false
        await watcher
      }
      assert.ok(reads > 0)
      assert.deepEqual(missed, [], `read while the token writes raced (${reads} reads)`)
      // A decision that lost to a rejection leaves nothing counted.
      const b = makeApproval({ walletId: wallet, amount: '5' })
      await store.approvals.create(b)
      assert.equal(await store.approvals.update({ ...b, status: 'rejected', settledAt: t, version: 2 }), true)
      assert.equal(await store.approvals.update({ ...b, status: 'approved', settledAt: t, version: 2 }), false)
      assert.deepEqual(await store.approvals.approvedAmounts(wallet, 'eth', t - 1000), ['19'])
    }))

    test('policy sets: activate with compare-and-set on the active version', () => withStores(target, async (store) => {
      assert.equal(await store.policySets.getActive(), undefined)
      const v1 = { version: 'sha256:1', texts: { schema: 's', policies: { a: 'permit(principal, action, resource);' } }, activatedAt: 1, approvalId: null }
      const v2 = { ...v1, version: 'sha256:2', approvalId: 'apr_1' }
      assert.equal(await store.policySets.activate(v1, null), true)
      assert.equal(await store.policySets.activate(v1, null), false)
      assert.equal(await store.policySets.activate(v2, 'sha256:0'), false)
      assert.equal(await store.policySets.activate(v2, 'sha256:1', [event('policy.changed')]), true)
      assert.deepEqual(await store.policySets.getActive(), v2)
      assert.deepEqual(await store.policySets.getVersion('sha256:1'), v1, 'history keeps every version')
      assert.deepEqual(await store.policySets.getVersion('sha256:2'), v2)
      assert.equal(await store.policySets.getVersion('sha256:9'), undefined)
      assert.deepEqual(await drainTypes(store), ['policy.changed'])
    }))
  })
}
