import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { KycCredentialRecord, KycOfferRecord, OutboxEvent, Store } from '../ports.ts'
import { uid } from './fixtures.ts'
import { type ContractTarget, conflictOn, race, RACERS, withStores } from './harness.ts'

const event = (type: string): OutboxEvent => ({ id: uid('evt'), type, at: Date.now(), subject: 's', data: {} })

async function drainTypes(store: Store): Promise<string[]> {
  const seen: string[] = []
  while (await store.outbox.drain(async (es) => { seen.push(...es.map((e) => e.type)) }, 100) > 0);
  return seen.sort()
}

function makeOffer(over: Partial<KycOfferRecord> = {}): KycOfferRecord {
  const t = Date.now()
  return { id: uid('kof'), codeHash: uid('code'), sealedRef: 'sealed', subjectRefHash: uid('ref'), configurationIds: ['kyc_sd_jwt'],
    txCodeHash: null, failedTxCodes: 0, createdBy: 'u1', createdAt: t, expiresAt: t + 600_000, ...over }
}

function makeCredential(over: Partial<KycCredentialRecord> = {}): KycCredentialRecord {
  const t = Date.now()
  return { id: uid('kcr'), subjectRefHash: 'refhash', credentialHash: 'h', vct: 'https://x/credentials/kyc/v1', configurationId: 'kyc_sd_jwt',
    statusListId: uid('l'), statusIndex: 7, status: 'valid', issuedAt: t, expiresAt: t + 1000, updatedAt: t, ...over }
}

export function kycContract(name: string, target: ContractTarget) {
  describe(`${name}: kyc`, () => {
    test('subjects: put, get, a duplicate, erase once', () => withStores(target, async (store) => {
      const t = Date.now()
      const s = { refHash: uid('ref'), sealed: 'ciphertext', submittedBy: 'c1', createdAt: t, expiresAt: t + 60_000 }
      await store.kyc.putSubject(s, [event('kyc.subject_received')])
      assert.deepEqual(await store.kyc.getSubject(s.refHash), s)
      await assert.rejects(store.kyc.putSubject(s), conflictOn('id'))
      assert.equal(await store.kyc.eraseSubject(s.refHash, [event('kyc.erased')]), true)
      assert.equal(await store.kyc.eraseSubject(s.refHash, [event('never')]), false)
      assert.deepEqual(await store.kyc.getSubject(s.refHash), { ...s, sealed: null })
      assert.equal(await store.kyc.getSubject('missing'), undefined)
      assert.deepEqual(await drainTypes(store), ['kyc.erased', 'kyc.subject_received'])
    }))

    test('subjects: one past its expiry is absent (unissued KYC data is not kept after it)', () => withStores(target, async (store) => {
      const t = Date.now()
      const s = { refHash: uid('ref'), sealed: 'ciphertext', submittedBy: 'c1', createdAt: t - 30 * 86400_000, expiresAt: t - 1000 }
      await store.kyc.putSubject(s)
      assert.equal(await store.kyc.getSubject(s.refHash), undefined)
    }))

    test('an offer is taken by exactly one caller', () => withStores(target, async (store, all) => {
      const o = makeOffer()
      await store.kyc.createOffer(o, [event('kyc.offer_created')])
      await assert.rejects(store.kyc.createOffer(o), conflictOn('id'))
      const got = await race(all, RACERS, (s) => s.kyc.consumeOffer(o.codeHash))
      assert.deepEqual(got.filter(Boolean), [o])
      assert.deepEqual(await drainTypes(store), ['kyc.offer_created'])
    }))

    test('access tokens: get leaves them, consume takes once', () => withStores(target, async (store, all) => {
      const t = { tokenHash: uid('th'), offerId: 'kof_1', sealedRef: 's', subjectRefHash: 'r', configurationIds: ['kyc_sd_jwt'], expiresAt: Date.now() + 60_000 }
      await store.kyc.putAccessToken(t)
      assert.deepEqual(await store.kyc.getAccessToken(t.tokenHash), t)
      const got = await race(all, RACERS, (s) => s.kyc.consumeAccessToken(t.tokenHash))
      assert.equal(got.filter(Boolean).length, 1)
      assert.equal(await store.kyc.getAccessToken(t.tokenHash), undefined)
    }))

    test('a c_nonce is consumed once', () => withStores(target, async (store, all) => {
      const n = uid('nonce')
      const exp = Date.now() + 60_000
      await store.kyc.putNonce(n, exp)
      const got = await race(all, RACERS, (s) => s.kyc.consumeNonce(n))
      assert.deepEqual(got.filter((x) => x !== undefined), [exp])
      assert.equal(await store.kyc.consumeNonce('unknown'), undefined)
    }))

    test('a status-list entry goes to one credential only', () => withStores(target, async (store, all) => {
      const listId = uid('l')
      const results = await race(all, RACERS, (s, i) => s.kyc.createCredential(makeCredential({ statusListId: listId, statusIndex: 3, subjectRefHash: `r${i}` })))
      assert.equal(results.filter(Boolean).length, 1)
      assert.equal(await store.kyc.statusListUsage(listId), 1)
      assert.equal(await store.kyc.createCredential(makeCredential({ statusListId: listId, statusIndex: 4 })), true)
      assert.equal(await store.kyc.statusListUsage(listId), 2)
      assert.equal(await store.kyc.statusListUsage(uid('l')), 0)
    }))

    test('credentials: get, list by subject, status transitions with events', () => withStores(target, async (store) => {
      const t = Date.now()
      const a = makeCredential({ subjectRefHash: 'subj', issuedAt: t - 10 })
      const b = makeCredential({ subjectRefHash: 'subj', issuedAt: t, statusListId: a.statusListId, statusIndex: 9 })
      assert.equal(await store.kyc.createCredential(a, [event('kyc.credential_issued')]), true)
      assert.equal(await store.kyc.createCredential(b), true)
      assert.deepEqual(await store.kyc.getCredential(a.id), a)
      assert.deepEqual((await store.kyc.listCredentials('subj', 10)).map((c) => c.id), [b.id, a.id])
      assert.deepEqual(await store.kyc.listCredentials('nobody', 10), [])
      const s = await store.kyc.setCredentialStatus(a.id, ['valid'], 'suspended', t + 1, [event('kyc.credential_suspended')])
      assert.deepEqual(s, { ...a, status: 'suspended', updatedAt: t + 1 })
      assert.deepEqual(await store.kyc.getCredential(a.id), s)
      assert.deepEqual(await store.kyc.statusEntries(a.statusListId), [{ index: a.statusIndex, status: 'suspended' }])
      assert.equal(await store.kyc.setCredentialStatus(a.id, ['valid'], 'revoked', t + 2, [event('never')]), undefined)
      assert.equal((await store.kyc.setCredentialStatus(a.id, ['suspended'], 'valid', t + 3))?.status, 'valid')
      assert.deepEqual(await store.kyc.statusEntries(a.statusListId), [])
      assert.equal((await store.kyc.setCredentialStatus(b.id, ['valid', 'suspended'], 'revoked', t + 4))?.status, 'revoked')
      assert.deepEqual(await store.kyc.statusEntries(a.statusListId), [{ index: 9, status: 'revoked' }])
      assert.equal(await store.kyc.setCredentialStatus('kcr_missing', ['valid'], 'revoked', t), undefined)
      assert.deepEqual(await drainTypes(store), ['kyc.credential_issued', 'kyc.credential_suspended'])
    }))

    test('credentials: found by status entry, with the account that collected them, status current', () => withStores(target, async (store) => {
      const linked = makeCredential({ accountId: 'u_holder', statusIndex: 11 })
      const unlinked = makeCredential({ statusListId: linked.statusListId, statusIndex: 12 })
      assert.equal(await store.kyc.createCredential(linked), true)
      assert.equal(await store.kyc.createCredential(unlinked), true)
      assert.deepEqual(await store.kyc.getCredentialByStatusEntry(linked.statusListId, 11), linked)
      assert.deepEqual(await store.kyc.getCredentialByStatusEntry(linked.statusListId, 12), unlinked)
      assert.equal((await store.kyc.getCredentialByStatusEntry(linked.statusListId, 12))?.accountId, undefined)
      assert.equal(await store.kyc.getCredentialByStatusEntry(linked.statusListId, 13), undefined)
      assert.equal(await store.kyc.getCredentialByStatusEntry(uid('l'), 11), undefined)
      await store.kyc.setCredentialStatus(linked.id, ['valid'], 'revoked', linked.issuedAt + 5)
      assert.deepEqual(await store.kyc.getCredentialByStatusEntry(linked.statusListId, 11), { ...linked, status: 'revoked', updatedAt: linked.issuedAt + 5 })
    }))
  })
}
