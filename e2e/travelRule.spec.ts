import fs from 'node:fs'
import type { Browser, Page } from '@playwright/test'
import { decodeJwt } from 'jose'
import { capture, expect, signUp, test, uniqueHandle } from './fixtures.ts'
import { VirtualAuthenticators } from './authenticators.ts'
import { sigilCli, type SigilServer } from './server.ts'
import { addSecurityKey } from './kycOffer.ts'

/**
 * Travel Rule on the approval page (issue 8): policy admins put travelRule.cedar.example in force with a policy
 * change approved on the approval page; a transfer over the threshold then waits for the beneficiary's verified
 * identity. An approver approves, asks the beneficiary (QR code and link), sees a failed attempt and why, asks
 * again, and the beneficiary's web wallet answers: the request is approved.
 */

test.describe.configure({ timeout: 480_000 })
// A server of its own: the policy change here would change what other files' transfers need.
test.use({ serverEnv: { SIGIL_E2E_SUITE: 'travel-rule' } })

const DESTINATION = '0x52908400098527886E0F7030069857D2E4169EE7'

interface Person { page: Page; handle: string }

async function person(browser: Browser, server: SigilServer, name: string, roles: string[], problems: string[]): Promise<Person> {
  const context = await browser.newContext({ baseURL: server.url, locale: 'en-US', timezoneId: 'UTC' })
  const page = await context.newPage()
  page.on('console', (m) => { if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(`${name}: ${m.text()}`) })
  page.on('pageerror', (e) => problems.push(`${name}: uncaught: ${e.message}`))
  const webauthn = await VirtualAuthenticators.attach(page)
  await webauthn.add({ transport: 'internal', isUserVerified: true })
  const handle = uniqueHandle(name.split(' ')[0]!.toLowerCase())
  await signUp(page, handle, name)
  if (roles.length) await sigilCli(server, 'users', 'roles', handle, '--set', roles.join(','))
  // Compliance acts only from a session verified by a hardware key.
  if (roles.includes('compliance')) await addSecurityKey(page, webauthn)
  return { page, handle }
}

const origin = (server: SigilServer) => ({ Origin: server.url })

test('Travel Rule: the approval waits for the beneficiary, who is asked from the page, fails once, then verifies', async ({ browser, request, server }, testInfo) => {
  const problems: string[] = []
  const [pat, amara, bruno, erika] = await Promise.all([
    person(browser, server, 'Pat Policy', ['policy-admin', 'compliance'], problems),
    person(browser, server, 'Amara Okafor', ['policy-admin', 'treasury', 'risk'], problems),
    person(browser, server, 'Bruno Costa', ['policy-admin', 'treasury', 'risk'], problems),
    person(browser, server, 'Erika Mustermann', [], problems),
  ])

  // The Travel Rule policy goes into force: proposed by Pat, approved by Amara and Bruno on the approval page.
  const current = await pat.page.request.get('/v1/policies')
  expect(current.status(), await current.text()).toBe(200)
  const texts = Object.values(((await current.json()) as { policies: Record<string, string> }).policies)
  const travelRule = fs.readFileSync('policies/approval/travelRule.cedar.example', 'utf8')
  const proposed = await pat.page.request.post('/v1/policies/changes', { headers: origin(server), data: { policies: [...texts, travelRule].join('\n') } })
  expect(proposed.status(), await proposed.text()).toBe(201)
  const change = (await proposed.json()) as { id: string }
  for (const p of [amara, bruno]) {
    await p.page.goto(`/approval.html?id=${change.id}`)
    if (p === amara) {
      // What the approver signs is shown in full: the added policy's Cedar text, marked new; the others unchanged.
      const added = p.page.locator('#policy-texts details', { hasText: 'New' })
      await expect(added).toHaveCount(1)
      await expect(added.locator('pre')).toContainText('permit')
      await expect(p.page.locator('#policy-texts details', { hasText: 'Unchanged' })).toHaveCount(texts.length)
      // Under the schema in force, the change adopts none, and the page says nothing about one.
      await expect(p.page.locator('#schema-note')).toHaveCount(0)
      await p.page.screenshot({ path: testInfo.outputPath('policy-change.png'), fullPage: true })
    }
    await p.page.getByRole('button', { name: 'Approve with passkey' }).click()
    await expect(p.page.getByRole('status')).toContainText(/Your approval is recorded|the request is approved/)
  }
  await expect(bruno.page.locator('#request-status')).toHaveText('Approved')

  // The beneficiary holds a KYC credential in the web wallet.
  const vendor = await sigilCli<{ key: string }>(server, 'clients', 'create', '--name', 'vendor', '--role', 'kyc-vendor')
  const sent = await request.post('/v1/kyc/subjects', {
    headers: { Authorization: `Bearer ${vendor.key}` },
    data: { data: { given_name: 'Erika', family_name: 'Mustermann', birthdate: '1984-08-12', kyc_level: 'standard', trust_framework: 'de_aml',
      verification_time: new Date(Date.now() - 60_000).toISOString(), sanctions_screened: true, pep_screened: true } },
  })
  expect(sent.status(), await sent.text()).toBe(201)
  const made = await pat.page.request.post('/v1/kyc/offers', { headers: origin(server), data: { subjectRef: ((await sent.json()) as { subjectRef: string }).subjectRef, txCode: true } })
  expect(made.status(), await made.text()).toBe(201)
  const offer = (await made.json()) as { offerUri: string; txCode: string }
  await erika.page.goto('/wallet.html')
  await erika.page.getByLabel('Offer link').fill(offer.offerUri)
  await erika.page.getByRole('button', { name: 'Get credential' }).click()
  await erika.page.getByLabel('PIN').fill(offer.txCode)
  await erika.page.getByRole('button', { name: 'Get credential' }).click()
  await expect(erika.page.getByRole('status')).toContainText('Credential received')

  // 5000 USDC to an address not on the allowlist, to Erika: the policy asks for her verified identity.
  const [wallet, signer] = await Promise.all([
    sigilCli<{ key: string }>(server, 'clients', 'create', '--name', 'wallet-backend', '--role', 'wallet-backend'),
    sigilCli<{ id: string }>(server, 'clients', 'create', '--name', 'signing-service', '--role', 'signing-service'),
  ])
  const asBackend = { Authorization: `Bearer ${wallet.key}` }
  const intent = { chain: 'ethereum', asset: 'usdc', amount: '5000', source: { walletId: 'treasury-hot-1' }, destination: DESTINATION,
    beneficiary: { name: 'Erika Mustermann', country: 'DE' } }
  // Every instance uses the new set within a second.
  await expect.poll(async () => ((await (await request.post('/v1/policies/simulate', { headers: asBackend, data: { intent } })).json()) as { conditions: unknown[] }).conditions.length).toBe(1)
  const created = await request.post('/v1/approvals', { headers: asBackend, data: { intent, signer: signer.id } })
  expect(created.status(), await created.text()).toBe(201)
  const transfer = (await created.json()) as { id: string; conditions: { kind: string; met: boolean }[] }
  expect(transfer.conditions).toEqual([expect.objectContaining({ kind: 'beneficiary_kyc', met: false })])

  const p = amara.page
  await p.goto(`/approval.html?id=${transfer.id}`)
  const section = p.getByRole('region', { name: 'Beneficiary identity' })
  await expect(section.locator('#beneficiary-state')).toHaveText('Waiting')
  await expect(section).toContainText('Beneficiary identity: waiting.')
  await p.getByRole('button', { name: 'Approve with passkey' }).click()
  await expect(p.getByRole('status')).toContainText('Still needed: the beneficiary’s verified identity.')
  await expect(p.locator('#request-status')).toHaveText('Awaiting approval')
  await expect(p.getByRole('region', { name: 'Your decision' })).toContainText('waiting for the beneficiary to verify their identity')
  // The list of requests says so too, beside the approvals.
  const listed = (page: typeof p) => page.getByRole('list', { name: 'Recent requests' }).getByRole('listitem')
    .filter({ has: page.locator(`a[href="/approval.html?id=${transfer.id}"]`) })
  await p.goto('/approvals.html')
  await expect(listed(p)).toContainText('Beneficiary identity not verified yet')
  await p.goto(`/approval.html?id=${transfer.id}`)

  // Amara asks the beneficiary: a QR code (an image, not inline SVG) and the openid4vp:// link, which copies.
  await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
  await p.getByRole('button', { name: 'Ask the beneficiary to verify' }).click()
  await expect(p.getByRole('img', { name: /QR code of the identity request/ })).toBeVisible()
  expect(await p.locator('#beneficiary-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml/)
  await expect(p.locator('#beneficiary-section svg:not(.icon)')).toHaveCount(0)
  const first = await p.locator('#beneficiary-link').inputValue()
  expect(first).toMatch(/^openid4vp:\/\/\?.*request=/)
  await p.getByRole('button', { name: 'Copy link for the beneficiary' }).click()
  await expect(p.getByRole('status')).toContainText('Copied the link for the beneficiary')
  expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(first)
  await capture(p, testInfo, 'approval-beneficiary-asked', { only: ['desktop-light', 'mobile-dark'] })

  // Something that is not a presentation arrives for that request: the page says the attempt failed, and why.
  const asked = decodeJwt(new URL(first).searchParams.get('request')!)
  // The page asks for an encrypted answer (direct_post.jwt): the beneficiary's name never travels in the clear.
  expect(asked.response_mode).toBe('direct_post.jwt')
  const bad = await request.post(String(asked.response_uri), { form: { vp_token: JSON.stringify({ kyc: ['not-a-presentation'] }), state: String(asked.state) } })
  expect(bad.status()).toBe(422)
  await expect(section.locator('#beneficiary-state')).toHaveText('Last attempt failed', { timeout: 15_000 })
  await expect(p.getByRole('alert')).toContainText('The beneficiary’s attempt failed')
  await expect(p.locator('#beneficiary-request')).toHaveCount(0)
  await capture(p, testInfo, 'approval-beneficiary-failed', { only: ['desktop-light', 'mobile-light'] })

  // Asked again; Erika's wallet shares her name, KYC level and screening; the request is approved.
  await p.getByRole('button', { name: 'Ask the beneficiary to verify' }).click()
  const second = await p.locator('#beneficiary-link').inputValue()
  expect(second).not.toBe(first)
  await erika.page.getByLabel('Request link').fill(second)
  await erika.page.getByRole('button', { name: 'Review request' }).click()
  const consent = erika.page.getByRole('group', { name: 'A service asks for your information' })
  await expect(consent.locator('#answer-protection')).toHaveText('Encrypted so that only this service can read it')
  await consent.getByRole('button', { name: 'Share' }).click()
  await expect(erika.page.locator('#share-result')).toContainText('Shared with')

  await expect(section.locator('#beneficiary-state')).toHaveText('Verified', { timeout: 15_000 })
  await expect(p.locator('#request-status')).toHaveText('Approved')
  await expect(p.getByRole('status')).toContainText('The beneficiary verified their identity.')
  await expect(section).not.toContainText('Mustermann')
  await expect(p.getByRole('button', { name: /Ask/ })).toHaveCount(0)
  await capture(p, testInfo, 'approval-beneficiary-verified', { only: ['desktop-light', 'desktop-dark', 'mobile-light'] })
  expect((await request.get(`/v1/approvals/${transfer.id}/token`, { headers: asBackend })).status()).toBe(200)
  await p.goto('/approvals.html')
  await expect(listed(p)).toContainText('Beneficiary identity verified')

  for (const x of [pat, amara, bruno, erika]) await x.page.context().close()
  expect(problems, 'CSP violations and uncaught errors in the pages').toEqual([])
})
