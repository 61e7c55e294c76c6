import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeSdJwt, presentSdJwtVc } from '../../credentials/index.ts'
import { createPolicyEngine } from '../../policies/index.ts'
import { policySourceFor } from '../approvals/index.ts'
import { STATUS_LIST_TTL_SECONDS } from '../kyc/index.ts'
import { createApiClient } from '../clients/index.ts'
import {
  createSoftAuthenticator, signIn, signUp, startWebhookReceiver, TestClient, TEST_ORIGIN, type SoftAuthenticator, type TestResponse,
  type WebhookReceiver,
} from '../testing/index.ts'
import { createOffer, receiveCredential, startKycWorld, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

// Recovery by credential (issue 8, item 6): a user who lost every passkey presents the KYC credential their own
// signed-in session collected and gets the restricted recovery session that can only add a passkey.
let w: KycWorld
let ip = 0
/** Each attempt comes from its own address (SIGIL_TRUST_PROXY), so only the limits a test is about can trip. */
const from = () => ({ 'x-forwarded-for': `203.0.113.${++ip % 250}` })
const now = () => new Date(w.app.clock.now())

let receiver: WebhookReceiver
before(async () => {
  w = await startKycWorld({ SIGIL_TRUST_PROXY: 'true', SIGIL_OUTBOX_POLL_MS: '20' })
  receiver = await startWebhookReceiver()
  const { key } = await createApiClient(w.app.deps.store, 'Ops', ['webhook-admin'], Date.now())
  const hook = await new TestClient(w.app.url).post('/v1/webhooks', { url: receiver.url, eventTypes: ['recovery.credential_used'] }, { authorization: `Bearer ${key}` })
  assert.equal(hook.status, 201, JSON.stringify(hook.body))
})
after(async () => {
  await w.close()
  await receiver.close()
})

let n = 0
async function person(): Promise<{ handle: string; client: TestClient; auth: SoftAuthenticator; userId: string }> {
  const handle = `holder${++n}`
  const client = new TestClient(w.app.url)
  const auth = createSoftAuthenticator()
  const signed = await signUp(client, auth, handle)
  return { handle, client, auth, userId: signed.user.id }
}

/** The web wallet's OpenID4VCI flow, run from the signed-in browser: the credential request carries the session cookie and our Origin. */
async function collect(by?: TestClient) {
  const offer = await createOffer(w, await submitSubject(w))
  if (!by) return receiveCredential(w, offer.offerUri)
  const withSession: typeof fetch = (input, init) => {
    const headers = new Headers(input instanceof Request ? input.headers : init?.headers)
    headers.set('cookie', by.cookie!)
    headers.set('origin', by.origin)
    return w.fetch(input, { ...init, headers })
  }
  return receiveCredential({ ...w, fetch: withSession }, offer.offerUri)
}
type Held = Awaited<ReturnType<typeof collect>>

async function recordOf(c: Held) {
  const { status_list } = (await decodeSdJwt(c.credential)).claims.status as { status_list: { idx: number; uri: string } }
  const record = await w.app.deps.store.kyc.getCredentialByStatusEntry(status_list.uri.split('/').pop()!, status_list.idx)
  assert.ok(record)
  return record
}

async function options(client = new TestClient(w.app.url)) {
  const r = await client.post('/v1/recovery/credential/options', {}, from())
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body as { nonce: string; audience: string; vct: string; claims: string[] }
}

function present(c: Held, o: { nonce: string; audience: string }, at = now()) {
  return presentSdJwtVc(c.credential, { disclose: [], keyBinding: { holder: c.holder.signer, nonce: o.nonce, audience: o.audience, now: at } })
}

/** Every call of the verify endpoint with a well-formed body, to check that each one left an audit entry. */
let attempts = 0
function verify(body: { handle: string; nonce: string; presentation: string }, headers: Record<string, string> = from(), client = new TestClient(w.app.url)) {
  attempts++
  return client.post('/v1/recovery/credential/verify', body, headers)
}

async function recover(handle: string, c: Held, over: { nonce?: string; audience?: string; at?: Date } = {}, client = new TestClient(w.app.url)) {
  const o = await options()
  const nonce = over.nonce ?? o.nonce
  const presentation = await present(c, { nonce, audience: over.audience ?? o.audience }, over.at)
  return { res: await verify({ handle, nonce: o.nonce, presentation }, from(), client), nonce: o.nonce, presentation }
}

async function recoveryAudits() {
  const all = await w.app.deps.store.audit.list({ limit: 100_000 })
  return all.filter((e) => e.type.startsWith('recovery.credential_'))
}
async function lastAudit() {
  return (await recoveryAudits()).at(-1)!
}

function assertRefused(r: TestResponse) {
  assert.equal(r.status, 401, JSON.stringify(r.body))
  assert.equal(r.body.code, 'recovery_failed')
  assert.equal(r.headers.get('set-cookie'), null, 'no session')
}

describe('recovery by credential', () => {
  test('options: a single-use nonce and this endpoint as audience; nothing selectively disclosed', async () => {
    const o = await options()
    assert.match(o.nonce, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(o.audience, 'https://issuer.test/v1/recovery/credential')
    assert.equal(o.vct, 'https://issuer.test/credentials/kyc/v1')
    assert.deepEqual(o.claims, [])
    assert.notEqual((await options()).nonce, o.nonce)
  })

  test('works: the credential my session collected opens a recovery session that can only add a passkey', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    const record = await recordOf(held)
    assert.equal(record.accountId, alice.userId, 'the collecting session links the credential to the account')

    const phone = new TestClient(w.app.url)
    const { res } = await recover(alice.handle.toUpperCase(), held, {}, phone)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.session.kind, 'recovery')
    assert.equal(res.body.user.handle, alice.handle)
    const used = await lastAudit()
    assert.deepEqual({ type: used.type, actor: used.actor, subject: used.subject, data: used.data },
      { type: 'recovery.credential_used', actor: alice.userId, subject: alice.userId, data: { credential: record.id } })

    // Only adding a passkey: everything else is refused.
    assert.equal((await phone.get('/v1/me')).status, 200)
    assert.equal((await phone.get('/v1/me/passkeys')).body.code, 'recovery_session_restricted')
    assert.equal((await phone.post('/v1/me/recovery-codes', {})).body.code, 'recovery_session_restricted')
    assert.equal((await phone.post('/v1/sessions/token', {})).body.code, 'recovery_session_restricted')
    const opts = await phone.post('/v1/me/passkeys/options', {})
    assert.equal(opts.status, 200, JSON.stringify(opts.body))
    const fresh = createSoftAuthenticator()
    const added = await phone.post('/v1/me/passkeys/verify', { response: await fresh.register(opts.body, { origin: TEST_ORIGIN }) })
    assert.equal(added.status, 201, JSON.stringify(added.body))
    assert.equal(added.body.session.kind, 'full', 'the account is whole again')
    assert.equal((await phone.get('/v1/me/passkeys')).body.passkeys.length, 2)
    assert.equal((await signIn(new TestClient(w.app.url), fresh)).status, 200, 'the new passkey signs in')

    await receiver.waitFor((r) => r.some((h) => h.body.includes(alice.userId)))
    const event = JSON.parse(receiver.received.find((h) => h.body.includes(alice.userId))!.body)
    assert.equal(event.type, 'recovery.credential_used')
    assert.equal(event.data.credential, record.id)
  })

  test('refused: another person\'s credential, with the very answer an unknown handle gets', async () => {
    const alice = await person()
    const bob = await person()
    await collect(alice.client)
    const bobs = await collect(bob.client)
    const other = await recover(alice.handle, bobs)
    assertRefused(other.res)
    assert.deepEqual({ type: (await lastAudit()).type, data: (await lastAudit()).data, subject: (await lastAudit()).subject },
      { type: 'recovery.credential_refused', data: { reason: 'account_mismatch', credential: (await recordOf(bobs)).id }, subject: alice.userId })
    const unknown = await recover('nobody-at-all', bobs)
    assertRefused(unknown.res)
    assert.equal((await lastAudit()).data.reason, 'account_unknown')
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined })
    assert.deepEqual(strip(other.res.body), strip(unknown.res.body), 'no account enumeration')
    // Bob's own account still works with it: the refusal was about the account, not the credential.
    assert.equal((await recover(bob.handle, bobs)).res.status, 200)
  })

  test('refused: a credential collected outside a signed-in browser is linked to no account', async () => {
    const alice = await person()
    const held = await collect()
    assert.equal((await recordOf(held)).accountId, undefined)
    assertRefused((await recover(alice.handle, held)).res)
    assert.equal((await lastAudit()).data.reason, 'credential_not_linked')
  })

  test('refused: a credential request from another site\'s page links no account', async () => {
    const alice = await person()
    const offer = await createOffer(w, await submitSubject(w))
    const crossSite: typeof fetch = (input, init) => {
      const headers = new Headers(input instanceof Request ? input.headers : init?.headers)
      headers.set('cookie', alice.client.cookie!)
      headers.set('origin', 'https://evil.example')
      return w.fetch(input, { ...init, headers })
    }
    const held = await receiveCredential({ ...w, fetch: crossSite }, offer.offerUri)
    assert.equal((await recordOf(held)).accountId, undefined)
    assertRefused((await recover(alice.handle, held)).res)
  })

  test('a restricted recovery session links no credential it collects', async () => {
    const alice = await person()
    const phone = new TestClient(w.app.url)
    assert.equal((await recover(alice.handle, await collect(alice.client), {}, phone)).res.status, 200)
    const collected = await collect(phone)
    assert.equal((await recordOf(collected)).accountId, undefined)
  })

  test('refused: a revoked or a suspended credential; reinstated, it works again', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    const id = (await recordOf(held)).id
    assert.equal((await w.officer.post(`/v1/kyc/credentials/${id}/suspend`, { reason: 'review' })).status, 200)
    assertRefused((await recover(alice.handle, held)).res)
    assert.match(String((await lastAudit()).data.reason), /^credential_suspended$/)
    assert.equal((await w.officer.post(`/v1/kyc/credentials/${id}/reinstate`, { reason: 'cleared' })).status, 200)
    w.app.clock.advance((STATUS_LIST_TTL_SECONDS + 1) * 1000) // status list tokens are cached for their TTL
    assert.equal((await recover(alice.handle, held)).res.status, 200)
    assert.equal((await w.officer.post(`/v1/kyc/credentials/${id}/revoke`, { reason: 'fraud' })).status, 200)
    assertRefused((await recover(alice.handle, held)).res)
    assert.equal((await lastAudit()).data.reason, 'credential_revoked')
  })

  test('refused: a KB-JWT over another nonce, for another audience, or stale', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    const other = await options()
    assertRefused((await recover(alice.handle, held, { nonce: other.nonce })).res)
    assert.equal((await lastAudit()).data.reason, 'nonce_mismatch')
    assertRefused((await recover(alice.handle, held, { audience: 'https://issuer.test' })).res)
    assert.equal((await lastAudit()).data.reason, 'audience_mismatch')
    assertRefused((await recover(alice.handle, held, { at: new Date(w.app.clock.now() - 600_000) })).res)
    assert.equal((await lastAudit()).data.reason, 'kb_jwt_stale')
    // Disclosing more than the always-visible claims is refused: recovery needs no personal data.
    const o1 = await options()
    const chatty = await presentSdJwtVc(held.credential, { disclose: [['family_name']], keyBinding: { holder: held.holder.signer, ...o1, now: now() } })
    assertRefused(await verify({ handle: alice.handle, nonce: o1.nonce, presentation: chatty }))
    assert.equal((await lastAudit()).data.reason, 'claims_not_requested')
    // A nonce the server never gave (made up by the presenter) is refused before any signature is checked.
    const made = await present(held, { nonce: 'A'.repeat(43), audience: other.audience })
    assertRefused(await verify({ handle: alice.handle, nonce: 'A'.repeat(43), presentation: made }))
    assert.equal((await lastAudit()).data.reason, 'nonce_unknown')
    // A presentation whose key binding was made by another key (no holder binding) is refused.
    const stranger = await collect()
    const o = await options()
    const forged = (await present(held, o)).split('~').slice(0, -1).join('~') + '~' + (await present(stranger, o)).split('~').at(-1)
    assertRefused(await verify({ handle: alice.handle, nonce: o.nonce, presentation: forged }))
    assert.match(String((await lastAudit()).data.reason), /^(kb_jwt_invalid|sd_hash_mismatch)$/)
  })

  test('refused: the issuer JWT alone, without a KB-JWT (what any relying app shown a presentation of it holds)', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    // A relying app was shown a presentation of this credential: the issuer JWT is in it; the holder's key is not.
    const seen = await present(held, { nonce: 'an-app-nonce-0123456789', audience: 'some-relying-app' })
    const o = await options()
    assertRefused(await verify({ handle: alice.handle, nonce: o.nonce, presentation: `${seen.split('~')[0]}~` }))
    assert.equal((await lastAudit()).data.reason, 'kb_jwt_missing')
  })

  test('refused: replay; a nonce opens one session, even when two requests race', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    const first = await recover(alice.handle, held)
    assert.equal(first.res.status, 200)
    const replay = await verify({ handle: alice.handle, nonce: first.nonce, presentation: first.presentation })
    assertRefused(replay)
    assert.equal((await lastAudit()).data.reason, 'nonce_unknown')

    const o = await options()
    const presentation = await present(held, o)
    const results = await Promise.all(Array.from({ length: 4 }, () => verify({ handle: alice.handle, nonce: o.nonce, presentation })))
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401])
  })

  test('refused: switched off by policy (the Recover permit removed), and for staff by the shipped forbid', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    const store = w.app.deps.store
    const shipped = (await store.policySets.getActive())!
    const { ['recover-by-credential']: removed, ...rest } = shipped.texts.policies
    assert.ok(removed, 'the shipped set permits recovery by credential')
    const off = createPolicyEngine({ schema: shipped.texts.schema, policies: rest })
    const activate = async (texts: typeof shipped.texts, version: string, expected: string) => {
      assert.equal(await store.policySets.activate({ version, texts, activatedAt: w.app.clock.now(), approvalId: null }, expected), true)
      while ((await policySourceFor(store).current()).version !== version) await new Promise((r) => setTimeout(r, 100))
    }
    await activate(off.texts, off.version, shipped.version)
    try {
      assertRefused((await recover(alice.handle, held)).res)
      assert.equal((await lastAudit()).data.reason, 'no_policy_permits')
    } finally {
      await activate(shipped.texts, shipped.version, off.version)
    }
    assert.equal((await recover(alice.handle, held)).res.status, 200, 'back on')

    // A compliance officer is refused by the shipped forbid, even with the credential their session collected.
    const officerId = (await w.officer.get('/v1/me')).body.user.id
    const officers = await collect(w.officer)
    assert.equal((await recordOf(officers)).accountId, officerId)
    assertRefused((await recover('officer', officers)).res)
    assert.equal((await lastAudit()).data.reason, 'policy_forbids')
  })

  test('attempts are limited per account and client; the limit is audited too', async () => {
    const alice = await person()
    const held = await collect(alice.client)
    const same = { 'x-forwarded-for': '198.51.100.7' }
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const o = await options()
      const presentation = await present(held, { nonce: o.nonce, audience: 'https://wrong.example' })
      statuses.push((await verify({ handle: alice.handle, nonce: o.nonce, presentation }, same)).status)
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
    assert.equal((await lastAudit()).data.reason, 'rate_limited')
  })

  test('every attempt is audited, and no entry holds a handle or KYC data', async () => {
    const stranger = await collect()
    assertRefused((await recover('nobody-at-all', stranger)).res)
    const entries = await recoveryAudits()
    assert.equal(entries.length, attempts, 'one entry per attempt')
    for (const e of entries) {
      assert.ok(e.type === 'recovery.credential_used' || e.type === 'recovery.credential_refused')
      if (e.type === 'recovery.credential_refused') assert.equal(typeof e.data.reason, 'string')
    }
    const text = JSON.stringify(entries)
    for (const pii of ['holder', 'nobody-at-all', 'Erika', 'Mustermann', '1984-08-12']) assert.ok(!text.includes(pii), pii)
    assert.doesNotMatch(text, /eyJ[\w-]{8,}\.[\w-]{8,}\./, 'no JWT or SD-JWT')
  })

  test('bad input is a 400 with the field; never a 500', async () => {
    const r = await new TestClient(w.app.url).post('/v1/recovery/credential/verify', { handle: 'alice1', nonce: 'x y', presentation: 'nope' }, from())
    assert.equal(r.status, 400)
    assert.equal(r.body.code, 'request_invalid')
    const garbage = await verify({ handle: 'holder1', nonce: (await options()).nonce, presentation: 'aaaa.bbbb.cccc~dddd~' })
    assertRefused(garbage)
  })
})
