import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { loadPolicies } from '../../policies/index.ts'
import { engineFromText } from '../../policies/testing.ts'
import { createApiClient } from '../clients/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { approveRequest, createSoftAuthenticator, signUp, startTestApp, TestClient, type SoftAuthenticator, type TestApp } from '../testing/index.ts'

// The policy set's time zone (@timeZone) over HTTP: a proposal naming an unknown zone or two zones is refused with
// the problem named, and the token's re-check at the time it is asked for compares the local hour, not only the UTC
// one. The set in force is the shipped one in Asia/Kolkata (UTC+5:30): its hour turns at half past the UTC hour.

// Wednesday 13:20 UTC: 18:50 in Kolkata, the last ten minutes of business hours there.
let t = Date.parse('2026-11-25T13:20:00Z')
const clock = { now: () => t, advance: (ms: number) => { t += ms } }
let app: TestApp
let wallet: Record<string, string>
let signerId: string
interface Person { client: TestClient; auth: SoftAuthenticator }
const people: Record<string, Person> = {}

before(async () => {
  const shipped = await loadPolicies()
  const engine = engineFromText(Object.values(shipped.texts.policies).join('\n').replaceAll('@timeZone("UTC")', '@timeZone("Asia/Kolkata")'))
  assert.equal(engine.timeZone, 'Asia/Kolkata')
  const store = openSqliteStore({ path: ':memory:' })
  assert.equal(await store.policySets.activate({ version: engine.version, texts: engine.texts, activatedAt: t, approvalId: null }, null), true)
  app = await startTestApp({ clock, store })
  wallet = { authorization: `Bearer ${(await createApiClient(store, 'wallet', ['wallet-backend'], t)).key}` }
  signerId = (await createApiClient(store, 'signer', ['signing-service'], t)).client.id
  // A very large transfer needs two of treasury (not the initiator) and one of risk.
  for (const [name, roles] of [['alice', ['treasury']], ['carol', ['treasury', 'risk']], ['pat', ['policy-admin']]] as const) {
    const person = { client: new TestClient(app.url), auth: createSoftAuthenticator() }
    await store.users.setRoles((await signUp(person.client, person.auth, name)).user.id, [...roles])
    people[name] = person
  }
})
after(() => app.close())

const api = () => new TestClient(app.url)


test('a policy change naming an unknown time zone, or two time zones, is refused with the problem named', async () => {
  const current = (await people.pat!.client.get('/v1/policies')).body
  const text = Object.values(current.policies as Record<string, string>).join('\n\n')
  assert.match(text, /@timeZone\("Asia\/Kolkata"\)/)
  const unknown = await people.pat!.client.post('/v1/policies/changes', { policies: text.replaceAll('Asia/Kolkata', 'Mars/Olympus_Mons') })
  assert.equal(unknown.status, 400, JSON.stringify(unknown.body))
  assert.equal(unknown.body.code, 'policy_invalid')
  assert.equal(unknown.body.field, 'policies')
  assert.deepEqual(unknown.body.problems.map((p: { code: string; policyId?: string }) => [p.code, p.policyId]),
    [['policy_time_zone_invalid', 'outside-business-hours'], ['policy_time_zone_invalid', 'outside-hours-very-large']])
  const two = await people.pat!.client.post('/v1/policies/changes', { policies: text.replace('Asia/Kolkata', 'Europe/Berlin') })
  assert.equal(two.status, 400, JSON.stringify(two.body))
  assert.deepEqual(two.body.problems.map((p: { code: string }) => p.code), ['policy_time_zone_conflict'])
  assert.match(two.body.detail, /Europe\/Berlin/)
  // One zone named by both: a proposal like any other, waiting for the policy-admin quorum.
  const berlin = await people.pat!.client.post('/v1/policies/changes', { policies: text.replaceAll('Asia/Kolkata', 'Europe/Berlin') })
  assert.equal(berlin.status, 201, JSON.stringify(berlin.body))
  assert.deepEqual(berlin.body.requirements.map((r: { group: string; quorum: number }) => [r.group, r.quorum]), [['policy-admin', 2]])
})

test('the token re-check compares the local hour: approved at 18:50 in Kolkata, no token at 19:10, within the same UTC hour', async () => {
  const create = await api().post('/v1/approvals', { intent: { chain: 'ethereum', asset: 'eth', amount: '600', source: { walletId: 'hot-1' },
    destination: '0x52908400098527886E0F7030069857D2E4169EE7' }, signer: signerId, expiresInSeconds: 3600 }, wallet)
  assert.equal(create.status, 201, JSON.stringify(create.body))
  const id = create.body.id as string
  assert.equal(create.body.status, 'pending', 'in business hours in Kolkata a very large transfer is not blocked')
  await approveRequest(people.alice!, id)
  assert.equal((await approveRequest(people.carol!, id)).status, 'approved')
  t = Date.parse('2026-11-25T13:25:00Z') // 18:55 in Kolkata
  assert.equal((await api().get(`/v1/approvals/${id}/token`, wallet)).status, 200)
  t = Date.parse('2026-11-25T13:40:00Z') // 19:10 in Kolkata: the UTC hour and weekday are those of the decision
  const late = await api().get(`/v1/approvals/${id}/token`, wallet)
  assert.equal(late.status, 409, JSON.stringify(late.body))
  assert.equal(late.body.code, 'approval_blocked')
  assert.match(late.body.detail, /outside business hours/i)
  assert.equal((await api().get(`/v1/approvals/${id}`, wallet)).body.status, 'blocked')
})
