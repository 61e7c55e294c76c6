import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import canonicalize from 'canonicalize'
import { createPolicyEngine, loadPolicies, shippedSchema } from '../../policies/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { approveRequest, createSoftAuthenticator, signUp, startTestApp, TestClient, type SoftAuthenticator, type TestApp } from '../testing/index.ts'

// A deployment whose policy set was activated by an older release keeps that release's schema in its store. Its next
// policy change is checked against, and adopts, the running release's schema (through the policy-admin quorum like
// any change), so policies can start reading what the newer schema added (here hourLocal/weekdayLocal).

let t = Date.parse('2026-11-25T10:00:00Z')
let app: TestApp
interface Person { client: TestClient; auth: SoftAuthenticator }
const people: Record<string, Person> = {}
let shipped: Awaited<ReturnType<typeof loadPolicies>>
let oldVersion: string

/** The shipped set as an older release stored it: no local time in the schema, business hours in UTC. */
function olderRelease(schema: string, policies: Record<string, string>) {
  const oldSchema = schema.split('\n').filter((l) => !/^\s*(hourLocal|weekdayLocal): Long,/.test(l)).join('\n')
  assert.notEqual(oldSchema, schema)
  const oldPolicies = Object.fromEntries(Object.entries(policies).map(([id, text]) => [id,
    text.replaceAll('@timeZone("UTC")\n', '').replaceAll('hourLocal', 'hourUtc').replaceAll('weekdayLocal', 'weekdayUtc')]))
  return createPolicyEngine({ schema: oldSchema, policies: oldPolicies })
}

before(async () => {
  shipped = await loadPolicies()
  const old = olderRelease(shipped.texts.schema, shipped.texts.policies)
  oldVersion = old.version
  const store = openSqliteStore({ path: ':memory:' })
  assert.equal(await store.policySets.activate({ version: old.version, texts: old.texts, activatedAt: t, approvalId: null }, null), true)
  app = await startTestApp({ clock: { now: () => t, advance: (ms) => { t += ms } }, store })
  for (const name of ['pat', 'quinn', 'rose']) {
    const person = { client: new TestClient(app.url), auth: createSoftAuthenticator() }
    await store.users.setRoles((await signUp(person.client, person.auth, name)).user.id, ['policy-admin'])
    people[name] = person
  }
})
after(() => app.close())


test('a set stored by an older release moves to the running release\'s schema with its next approved change', async () => {
  const before = (await people.pat!.client.get('/v1/policies')).body
  assert.equal(before.version, oldVersion)
  assert.doesNotMatch(before.schema, /hourLocal: Long/)

  // The shipped policies read hourLocal: not in the stored schema, but in this release's.
  const text = Object.values(shipped.texts.policies).join('\n\n')
  const proposed = await people.pat!.client.post('/v1/policies/changes', { policies: text })
  assert.equal(proposed.status, 201, JSON.stringify(proposed.body))
  const schema = shippedSchema()
  assert.equal(proposed.body.intent.schema, schema, 'the schema it adopts is in the intent approvers see')
  assert.match(proposed.body.summary, /adopt this release's schema/)
  const digest = `sha256:${createHash('sha256').update(canonicalize({ policies: proposed.body.intent.policies, schema })!).digest('hex')}`
  assert.equal(proposed.body.digest, digest, 'and in the digest their passkeys sign')

  await approveRequest(people.quinn!, proposed.body.id)
  assert.equal((await approveRequest(people.rose!, proposed.body.id)).status, 'approved')
  await new Promise((r) => setTimeout(r, 1100)) // each instance re-reads the set in force within a second
  const after = (await people.pat!.client.get('/v1/policies')).body
  assert.equal(after.schema, schema)
  assert.equal(after.version, shipped.version, 'the set in force is now exactly the shipped one')

  // Under the same schema, a change carries none.
  const again = await people.pat!.client.post('/v1/policies/changes', { policies: text.replace('07:00 to 19:00', '07:00 to 19:00 (unchanged)') })
  assert.equal(again.status, 201, JSON.stringify(again.body))
  assert.equal(again.body.intent.schema, undefined)
  assert.doesNotMatch(again.body.summary, /schema/)
})
