import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import { decodeJwt } from 'jose'
import { decodeStatusList, statusListSize } from '../../credentials/index.ts'
import { EVENT_TYPES } from '../audit/index.ts'
import { createApiClient } from '../clients/index.ts'
import { unseal } from '../kyc/seal.ts'
import { startWebhookReceiver, TestClient } from '../testing/index.ts'
import { createOffer, ISSUER, KYC_DATA, receiveCredential, startKycWorld, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

// What issuance leaves behind (issue 7): the subject record (PII kept or erased), the status-list entry, the outbox
// events and the audit log. Real SQLite, real signatures, credentials collected by the independent wallet library.

let w: KycWorld
before(async () => { w = await startKycWorld() })
after(() => w.close())

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')

/** A subject of its own per test, so PII searches find only that test's values and tests do not depend on each other. */
const person = (given_name: string, family_name: string, birthdate: string) => ({ ...KYC_DATA, given_name, family_name, birthdate })

/** Submits `data`, offers and collects an SD-JWT VC; returns the credential and its record as the officer API lists it. */
async function issue(world: KycWorld, data: Record<string, unknown> = KYC_DATA) {
  const subjectRef = await submitSubject(world, data)
  const offer = await createOffer(world, subjectRef)
  const { credential } = await receiveCredential(world, offer.offerUri)
  const list = await world.officer.post('/v1/kyc/credentials/search', { subjectRef })
  assert.equal(list.status, 200, JSON.stringify(list.body))
  assert.equal(list.body.credentials.length, 1)
  const view = list.body.credentials[0] as { id: string; status: string; credentialHash: string; statusList: { uri: string; idx: number } }
  assert.equal(view.credentialHash, sha256(credential))
  return { subjectRef, offerId: offer.id, credential, view }
}

async function changeStatus(id: string, action: 'suspend' | 'reinstate' | 'revoke', reason: string, expected: string) {
  const r = await w.officer.post(`/v1/kyc/credentials/${id}/${action}`, { reason })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.status, expected)
}

const auditOf = async (world: KycWorld, subject: string) =>
  (await world.app.deps.store.audit.list({ limit: 10_000 })).filter((e) => e.subject === subject)

test('PII retention: with SIGIL_KYC_RETAIN_PII the sealed KYC data outlives issuance; by default it is erased', async () => {
  const retaining = await startKycWorld({ SIGIL_KYC_RETAIN_PII: 'true' })
  try {
    assert.equal(retaining.app.deps.config.kyc.retainPii, true)
    const data = person('Hedwig', 'Brennecke', '1969-02-27')
    const kept = await issue(retaining, data)
    const subject = await retaining.app.deps.store.kyc.getSubject(sha256(kept.subjectRef))
    assert.equal(typeof subject?.sealed, 'string', 'sealed data kept')
    assert.ok(!subject!.sealed!.includes('Hedwig'), 'kept sealed, not in clear')
    assert.deepEqual(JSON.parse(unseal(kept.subjectRef, subject!.sealed!)!), data, 'the kept data opens with the subject reference')
    const [issued] = (await auditOf(retaining, kept.view.id)).filter((e) => e.type === 'kyc.credential_issued')
    assert.equal(issued?.data.piiErased, false)
    await createOffer(retaining, kept.subjectRef) // the data is still there to offer again
  } finally {
    await retaining.close()
  }

  assert.equal(w.app.deps.config.kyc.retainPii, false)
  const erased = await issue(w, person('Hedwig', 'Brennecke', '1969-02-27'))
  const subject = await w.app.deps.store.kyc.getSubject(sha256(erased.subjectRef))
  assert.ok(subject, 'the subject record stays, without its data')
  assert.equal(subject.sealed, null)
  const [issued] = (await auditOf(w, erased.view.id)).filter((e) => e.type === 'kyc.credential_issued')
  assert.equal(issued?.data.piiErased, true)
})

test('status-list indexes are random: distinct, within the published list, spread out and not in issuance order', async () => {
  // 13 credentials: random indexes come out sorted (either way) with probability 2/13! ≈ 3.2e-10, and span no more
  // than 4096 of the 2^17 entries with probability below 13·(4096/2^17)^12 ≈ 1e-17; a counter fails both.
  const n = 13
  const entries: { uri: string; idx: number }[] = []
  for (let i = 0; i < n; i++) {
    const { credential, view } = await issue(w)
    const status = decodeJwt(credential.split('~')[0]!).status as { status_list: { idx: number; uri: string } }
    assert.deepEqual(status.status_list, { idx: view.statusList.idx, uri: view.statusList.uri }, 'the record holds the entry the credential names')
    entries.push(view.statusList)
  }
  assert.ok(entries.every((e) => e.uri === `${ISSUER}/status-lists/1`), JSON.stringify(entries))
  const list = decodeJwt(await (await w.fetch(`${ISSUER}/status-lists/1`)).text()) as { status_list: { bits: number; lst: string } }
  const size = statusListSize(await decodeStatusList(list.status_list))
  assert.equal(size, 1 << 17)

  const idx = entries.map((e) => e.idx)
  assert.equal(new Set(idx).size, n, `indexes repeat: ${idx}`)
  for (const i of idx) assert.ok(Number.isInteger(i) && i >= 0 && i < size, `index ${i} outside the list`)
  assert.ok(Math.max(...idx) - Math.min(...idx) > 4096, `indexes bunched together: ${idx}`)
  const ascending = [...idx].sort((a, b) => a - b)
  assert.notDeepEqual(idx, ascending, `indexes in issuance order: ${idx}`)
  assert.notDeepEqual(idx, [...ascending].reverse(), `indexes in reverse issuance order: ${idx}`)
})

test('outbox over HTTP: issue, suspend, reinstate and revoke reach a webhook receiver as events without PII or reasons', async () => {
  const receiver = await startWebhookReceiver()
  const { key } = await createApiClient(w.app.deps.store, 'hooks', ['webhook-admin'], w.app.clock.now())
  const admin = { authorization: `Bearer ${key}` }
  const api = new TestClient(w.app.url)
  try {
    const sub = await api.post('/v1/webhooks', { url: receiver.url, eventTypes: EVENT_TYPES.filter((t) => t.startsWith('kyc.')) }, admin)
    assert.equal(sub.status, 201, JSON.stringify(sub.body))

    const data = person('Ottilie', 'Quastenflosser', '1977-03-09')
    const { subjectRef, offerId, view } = await issue(w, data)
    const reasons = ['periodic sanctions review', 'review cleared', 'customer relationship ended']
    await changeStatus(view.id, 'suspend', reasons[0]!, 'suspended')
    await changeStatus(view.id, 'reinstate', reasons[1]!, 'valid')
    await changeStatus(view.id, 'revoke', reasons[2]!, 'revoked')

    const expected: [string, string][] = [
      ['kyc.subject_received', sha256(subjectRef)], ['kyc.offer_created', offerId], ['kyc.offer_redeemed', offerId],
      ['kyc.credential_issued', view.id], ['kyc.credential_suspended', view.id], ['kyc.credential_reinstated', view.id],
      ['kyc.credential_revoked', view.id],
    ]
    const payloads = () => receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { subject: string } & Record<string, unknown> })
    const has = ([type, subject]: [string, string]) => payloads().some((p) => p.type === type && p.data.subject === subject)
    await receiver.waitFor(() => expected.every(has))

    // At least once: a redelivery repeats the webhook-id, so count distinct events.
    const unique = new Map(receiver.received.map((r) => [r.headers['webhook-id'], JSON.parse(r.body)]))
    const mine = [...unique.values()].filter((p) => p.data.subject === view.id)
    assert.deepEqual(mine.map((p) => p.type).sort(),
      ['kyc.credential_issued', 'kyc.credential_reinstated', 'kyc.credential_revoked', 'kyc.credential_suspended'])
    const statusOf = (type: string) => mine.find((p) => p.type === type).data.status
    assert.equal(statusOf('kyc.credential_suspended'), 'suspended')
    assert.equal(statusOf('kyc.credential_reinstated'), 'valid')
    assert.equal(statusOf('kyc.credential_revoked'), 'revoked')

    for (const r of receiver.received) {
      for (const secret of [data.given_name, data.family_name, data.birthdate, subjectRef, ...reasons]) {
        assert.ok(!r.body.includes(secret), `event ${r.body} holds ${secret}`)
      }
    }
    assert.equal((await api.delete(`/v1/webhooks/${sub.body.id}`, admin)).status, 204)
  } finally {
    await receiver.close()
  }
})

test('audit log: suspend, reinstate and revoke of one credential are recorded with their reasons and no PII', async () => {
  const data = person('Wiebke', 'Tjarksen', '1991-11-30')
  const { subjectRef, view } = await issue(w, data)
  const officerId = (await w.app.deps.store.users.getByHandle('officer'))!.id
  await changeStatus(view.id, 'suspend', 'adverse media hit', 'suspended')
  await changeStatus(view.id, 'reinstate', 'false positive', 'valid')
  await changeStatus(view.id, 'revoke', 'account closed', 'revoked')
  const refused = await w.officer.post(`/v1/kyc/credentials/${view.id}/reinstate`, { reason: 'too late' })
  assert.equal(refused.status, 409)

  const entries = await auditOf(w, view.id)
  assert.deepEqual(entries.map((e) => e.type),
    ['kyc.credential_issued', 'kyc.credential_suspended', 'kyc.credential_reinstated', 'kyc.credential_revoked'], 'a refused change is not logged')
  const entry = { statusList: '1', statusIndex: view.statusList.idx }
  assert.deepEqual(entries.slice(1).map((e) => e.data), [
    { from: 'valid', to: 'suspended', reason: 'adverse media hit', ...entry },
    { from: 'suspended', to: 'valid', reason: 'false positive', ...entry },
    { from: 'valid', to: 'revoked', reason: 'account closed', ...entry },
  ])
  for (const e of entries.slice(1)) assert.equal(e.actor, officerId)
  const text = JSON.stringify(entries)
  for (const secret of [data.given_name, data.family_name, data.birthdate, subjectRef]) assert.ok(!text.includes(secret), `audit log holds ${secret}`)
})
