import assert from 'node:assert/strict'
import { lookup as dnsLookup } from 'node:dns'
import { after, before, describe, test } from 'node:test'
import { createApiClient } from '../clients/index.ts'
import {
  createSoftAuthenticator, signUp, startTestApp, startWebhookReceiver, TestClient, type TestApp, type WebhookReceiver,
} from '../testing/index.ts'
import { loadConfig } from '../config.ts'
import { isPublicAddress, publicOnlyLookup, receiverAddressProblem, webhookUrlProblem, type LookupFunction } from './index.ts'

// Receivers inside the operator's network (SSRF through a webhook-admin key): refused at registration when the URL
// names such an address, and at every connection when a host name resolves to one.

test('public and non-public addresses', () => {
  for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '172.32.0.1', '100.128.0.1', '192.169.0.1']) assert.ok(isPublicAddress(a), a)
  for (const a of ['10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '127.0.0.1', '127.8.8.8',
    '0.0.0.0', '100.64.0.1', '224.0.0.1', '255.255.255.255', '::', '::1', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe', '64:ff9b::a00:1', '2002:a00:1::1', 'not-an-ip']) assert.ok(!isPublicAddress(a), a)
})

test('registration refuses a receiver URL naming an address inside the network, in every spelling', () => {
  for (const url of ['https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://[fd00::1]/h',
    'https://[::ffff:192.168.0.1]/h', 'https://0xa9fea9fe/h', 'https://2852039166/h', 'https://0/h', 'https://127.0.0.2/h',
    'https://[fe80::1]/h']) {
    assert.match(webhookUrlProblem(url, false) ?? '', /not a public address.*SIGIL_WEBHOOK_ALLOW_PRIVATE/, url)
    assert.equal(webhookUrlProblem(url, false, true), undefined, `${url} with SIGIL_WEBHOOK_ALLOW_PRIVATE`)
  }
  // Loopback named as such stays allowed (local receivers, development); names are checked when connecting.
  for (const url of ['http://127.0.0.1:9000/h', 'http://localhost:9000/h', 'http://[::1]:9000/h', 'https://hooks.example.com/h',
    'https://8.8.8.8/h']) assert.equal(webhookUrlProblem(url, false), undefined, url)
})

test('a production server (public URL not on http://localhost) refuses its own loopback, in every spelling (found in review)', () => {
  for (const url of ['http://localhost:15000/quitquitquit', 'http://127.0.0.1:2375/containers/create', 'https://0x7f000001/h',
    'https://2130706433/h', 'https://127.1/h', 'https://[::1]/h', 'https://localhost/h']) {
    assert.match(webhookUrlProblem(url, false, false, false) ?? '', /this machine|not a public address/, url)
    assert.equal(webhookUrlProblem(url, true, true, true), undefined, `${url} with SIGIL_WEBHOOK_ALLOW_PRIVATE`)
  }
  assert.ok(receiverAddressProblem('localhost', ['127.0.0.1'], false, false))
  assert.equal(receiverAddressProblem('localhost', ['127.0.0.1'], false, true), undefined)
})

test('loopback is allowed in development only: a public URL on http://localhost', () => {
  const cfg = (env: Record<string, string>) => loadConfig({ SIGIL_DATA_DIR: '/tmp/x', ...env }).webhooks
  assert.equal(cfg({ SIGIL_ORIGINS: 'http://localhost:8080' }).allowLoopback, true)
  assert.equal(cfg({ SIGIL_ORIGINS: 'https://wallet.example.com', SIGIL_RP_ID: 'wallet.example.com' }).allowLoopback, false)
  assert.equal(cfg({ SIGIL_ORIGINS: 'https://wallet.example.com', SIGIL_RP_ID: 'wallet.example.com', SIGIL_WEBHOOK_ALLOW_PRIVATE: 'true' }).allowLoopback, true)
})

test('a host name must resolve to public addresses only; localhost only to loopback', () => {
  assert.equal(receiverAddressProblem('hooks.example.com', ['93.184.216.34'], false), undefined)
  assert.ok(receiverAddressProblem('hooks.example.com', ['93.184.216.34', '10.1.2.3'], false), 'one private answer among public ones')
  assert.ok(receiverAddressProblem('hooks.example.com', ['127.0.0.1'], false), 'loopback by another name')
  assert.equal(receiverAddressProblem('localhost', ['127.0.0.1', '::1'], false, true), undefined)
  assert.ok(receiverAddressProblem('localhost', ['10.0.0.1'], false, true), 'localhost pointed elsewhere')
  assert.equal(receiverAddressProblem('hooks.example.com', ['10.1.2.3'], true), undefined)
})

test('the lookup answers as dns.lookup does (one address or all) and fails on a non-public one', async () => {
  const fake = (answers: Record<string, { address: string; family: number }[]>): LookupFunction => (host, _opts, cb) =>
    answers[host] ? cb(null, answers[host]!) : cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), '')
  const lookup = publicOnlyLookup(false, fake({ 'pub.test': [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800::1', family: 6 }],
    'mixed.test': [{ address: '93.184.216.34', family: 4 }, { address: '192.168.0.9', family: 4 }] }))
  const ask = (host: string, all: boolean) => new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
    lookup(host, { all }, (err, address, family) => resolve({ err, address, family })))
  assert.deepEqual(await ask('pub.test', false), { err: null, address: '93.184.216.34', family: 4 })
  assert.equal(((await ask('pub.test', true)).address as unknown[]).length, 2)
  const mixed = await ask('mixed.test', false)
  assert.equal(mixed.err?.code, 'ERR_WEBHOOK_ADDRESS_NOT_PUBLIC')
  assert.doesNotMatch(mixed.err!.message, /192\.168/, 'the internal address is not echoed to the webhook admin')
  assert.equal((await ask('nowhere.test', false)).err?.code, 'ENOTFOUND')
})

describeDeliveries(false)
describeDeliveries(true)

/** Deliveries to a name that resolves to the local receiver (127.0.0.1): refused by default, made when allowed. */
function describeDeliveries(allowPrivate: boolean): void {
  describe(allowPrivate ? 'SIGIL_WEBHOOK_ALLOW_PRIVATE=true' : 'by default', () => deliveries(allowPrivate))
}

function deliveries(allowPrivate: boolean): void {
  let app: TestApp
  let receiver: WebhookReceiver
  let admin: Record<string, string>
  // 'receiver.test' resolves to the receiver's loopback address, as an internal DNS name would to an internal host.
  const lookup: LookupFunction = (host, opts, cb) => dnsLookup(host === 'receiver.test' ? '127.0.0.1' : host, opts, cb as never)
  before(async () => {
    app = await startTestApp({ webhookLookup: lookup, env: { SIGIL_OUTBOX_POLL_MS: '20', SIGIL_WEBHOOK_ALLOW_HTTP: 'true',
      SIGIL_WEBHOOK_ALLOW_PRIVATE: String(allowPrivate) } })
    receiver = await startWebhookReceiver()
    admin = { authorization: `Bearer ${(await createApiClient(app.deps.store, 'Ops', ['webhook-admin'], Date.now())).key}` }
  })
  after(async () => {
    await app.close()
    await receiver.close()
  })
  test(`a receiver whose name resolves inside the network is ${allowPrivate ? 'called with SIGIL_WEBHOOK_ALLOW_PRIVATE' : 'never called by default'}`, async () => {
    const api = new TestClient(app.url)
    const url = receiver.url.replace('127.0.0.1', 'receiver.test')
    const sub = await api.post('/v1/webhooks', { url, eventTypes: ['account.created'] }, admin)
    assert.equal(sub.status, 201, 'a name is accepted at registration: what it resolves to is checked at each connection')
    await signUp(api, createSoftAuthenticator(), `addr-${allowPrivate}`)
    let delivery: { state: string; lastError: string | null } | undefined
    for (let i = 0; i < 200 && !(delivery && (delivery.state === 'delivered' || delivery.lastError)); i++) {
      delivery = (await api.get(`/v1/webhooks/${sub.body.id}/deliveries`, admin)).body.deliveries[0]
      await new Promise((r) => setTimeout(r, 25))
    }
    if (allowPrivate) {
      assert.equal(delivery?.state, 'delivered')
      assert.equal(receiver.received.length, 1)
    } else {
      assert.equal(delivery?.state, 'pending', 'retried later (the name may move to a public address)')
      assert.match(delivery?.lastError ?? '', /^receiver host is not a public address/)
      assert.equal(receiver.received.length, 0, 'no request reached the receiver')
    }
    if (!allowPrivate) {
      // A subscription whose URL names a private IP (stored before this rule, or under another setting) is not
      // called either: IP literals never reach the lookup.
      const literal = await api.post('/v1/webhooks', { url: 'http://10.255.255.1:9/h' }, admin)
      assert.equal(literal.status, 400)
      assert.equal(literal.body.code, 'webhook_url_invalid')
      assert.equal(literal.body.field, 'url')
    }
  })
}
