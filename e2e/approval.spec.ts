import type { APIRequestContext, Browser, Page } from '@playwright/test'
import { capture, expect, signUp, test, uniqueHandle } from './fixtures.ts'
import { VirtualAuthenticators } from './authenticators.ts'
import { sigilCli, type SigilServer } from './server.ts'

/**
 * Signing approval in the browser: a wallet backend (API key) asks for a transfer that the policy says needs
 * two of `treasury`; three treasury members, each in their own browser with their own passkey, decide on
 * the approval page. Approvals are passkey assertions over a challenge bound to the request.
 */

// Three sign-ups, several passkey ceremonies, and axe scans with screenshots of each state.
test.describe.configure({ timeout: 480_000 })

const DESTINATION = '0x52908400098527886E0F7030069857D2E4169EE7'
const INTENT = {
  chain: 'ethereum',
  asset: 'eth',
  amount: '25',
  source: { walletId: 'treasury-hot-1' },
  destination: DESTINATION,
  memo: 'Invoice 2026-118',
  beneficiary: { name: 'Northwind Trading Ltd', accountRef: 'NW-00042', vasp: 'Example VASP', country: 'DE' },
}

interface Requirement { group: string; quorum: number }
interface View { id: string; status: string; requirements: (Requirement & { missing: number })[] }

interface Approver { page: Page; handle: string; name: string; webauthn: VirtualAuthenticators; authenticator: string }

/** A person in a browser of their own (a separate context) with a platform passkey, signed up through the app. */
async function approver(browser: Browser, baseURL: string, name: string, problems: string[]): Promise<Approver> {
  const context = await browser.newContext({ baseURL, locale: 'en-US', timezoneId: 'UTC' })
  const page = await context.newPage()
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(`${name}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`${name}: uncaught: ${e.message}`))
  const webauthn = await VirtualAuthenticators.attach(page)
  const authenticator = await webauthn.add({ transport: 'internal', isUserVerified: true })
  const handle = uniqueHandle(name.split(' ')[0]!.toLowerCase())
  await signUp(page, handle, name)
  return { page, handle, name, webauthn, authenticator }
}

/** The wallet backend's API calls, with its key. */
function walletBackend(request: APIRequestContext, key: string) {
  const headers = { Authorization: `Bearer ${key}` }
  return {
    async simulate(intent: object): Promise<{ outcome: string; requirements: Requirement[] }> {
      const res = await request.post('/v1/policies/simulate', { headers, data: { intent } })
      expect(res.status(), await res.text()).toBe(200)
      return res.json()
    },
    async create(intent: object, signer: string): Promise<View> {
      const res = await request.post('/v1/approvals', { headers, data: { intent, signer } })
      expect(res.status(), await res.text()).toBe(201)
      return res.json()
    },
    token: (id: string) => request.get(`/v1/approvals/${id}/token`, { headers }),
  }
}

async function setGroups(server: SigilServer, handle: string, groups: string[]): Promise<void> {
  await sigilCli(server, 'users', 'roles', handle, '--set', groups.join(','))
}

test('a transfer needing 2 of treasury: approved by two of three approvers; another one rejected', async ({ browser, request, server }, testInfo) => {
  const problems: string[] = []
  const baseURL = server.url
  // Three people sign up, each in their own browser, while the admin creates the two API clients.
  const [[amara, bruno, chen], wallet, signer] = await Promise.all([
    Promise.all(['Amara Okafor', 'Bruno Costa', 'Chen Jing'].map((name) => approver(browser, baseURL, name, problems))) as Promise<[Approver, Approver, Approver]>,
    sigilCli<{ id: string; key: string }>(server, 'clients', 'create', '--name', 'wallet-backend', '--role', 'wallet-backend'),
    sigilCli<{ id: string }>(server, 'clients', 'create', '--name', 'signing-service', '--role', 'signing-service'),
  ])
  const backend = walletBackend(request, wallet.key)

  // 25 ETH to an address not on the allowlist needs two of treasury at any hour. Outside business hours the
  // policy also asks for one risk officer: then Amara is in risk too (a person counts for each of their groups),
  // so the same two approvals complete it.
  const needs = await backend.simulate(INTENT)
  expect(needs.outcome).toBe('approval_required')
  expect(needs.requirements).toContainEqual(expect.objectContaining({ group: 'treasury', quorum: 2 }))
  const others = needs.requirements.filter((r) => r.group !== 'treasury')
  for (const r of others) expect(r.quorum, `${r.group} quorum`).toBe(1)
  await Promise.all([
    setGroups(server, amara.handle, ['treasury', ...others.map((r) => r.group)]),
    setGroups(server, bruno.handle, ['treasury']),
    setGroups(server, chen.handle, ['treasury']),
  ])

  const created = await backend.create(INTENT, signer.id)
  expect(created.status).toBe('pending')
  const url = `/approval.html?id=${created.id}`

  // Amara finds it waiting for her, and opens it.
  const p1 = amara.page
  await p1.goto('/approvals.html')
  const waiting1 = p1.getByRole('region', { name: 'Waiting for you' })
  await expect(waiting1.getByRole('listitem')).toHaveCount(1)
  await expect(waiting1).toContainText(DESTINATION)
  // One link (one tab stop) per request: its Review button; the title is text.
  await expect(waiting1.getByRole('link')).toHaveCount(1)
  await capture(p1, testInfo, 'approvals', { only: ['desktop-light', 'mobile-dark'] })
  await waiting1.getByRole('link', { name: 'Review Send 25 ETH' }).click()
  await expect(p1).toHaveURL(new RegExp(`/approval\\.html\\?id=${created.id}$`))
  await expect(p1.getByRole('heading', { level: 1, name: 'Approve a transfer' })).toBeVisible()
  await expect(p1.locator('#request-status')).toHaveText('Awaiting approval')
  await expect(p1.locator('#amount')).toHaveText('25 ETH')
  // The destination in full, character for character (grouped only by layout).
  await expect(p1.locator('#destination')).toHaveText(DESTINATION)
  await expect(p1.locator('#expiry')).toContainText(/\d+:\d\d left/)
  const treasury1 = p1.getByRole('listitem', { name: '2 of treasury' })
  await expect(treasury1).toContainText('0 of 2 approved · 2 more needed')
  await expect(treasury1).toContainText('two treasury approvers')
  await capture(p1, testInfo, 'approval-pending')

  // Amara approves with her passkey: one of two. While her approval is under way (its answer held back here),
  // neither decision can be started again: both buttons are disabled.
  let releaseVerify!: () => void
  const verifyHeld = new Promise<void>((resolve) => { releaseVerify = resolve })
  await p1.route('**/v1/approvals/*/verify', async (route) => {
    await verifyHeld
    await route.continue()
  })
  await p1.getByRole('button', { name: 'Approve with passkey' }).click()
  await expect(p1.getByRole('button', { name: 'Approve with passkey' })).toBeDisabled()
  await expect(p1.getByRole('button', { name: 'Approve with passkey' })).toHaveAttribute('aria-busy', 'true')
  await expect(p1.getByRole('button', { name: 'Reject' })).toBeDisabled()
  await expect(p1.getByRole('status')).toContainText('Confirm your approval with your passkey')
  releaseVerify()
  await expect(p1.getByRole('status')).toContainText('Your approval is recorded. Still needed: 1 from treasury.')
  await p1.unroute('**/v1/approvals/*/verify')
  await expect(treasury1).toContainText('1 of 2 approved · 1 more needed')
  await expect(treasury1).toContainText('Approved by Amara Okafor')
  await expect(p1.locator('#request-status')).toHaveText('Awaiting approval')
  await expect(p1.getByRole('list', { name: 'Decisions' })).toContainText('Amara Okafor approved')
  await expect(p1.getByRole('region', { name: 'Your decision' })).toContainText('You approved this request.')
  await expect(p1.getByRole('button', { name: 'Approve with passkey' })).toHaveCount(0)
  await expect(p1.getByRole('heading', { name: 'Your decision' })).toBeFocused()
  await capture(p1, testInfo, 'approval-one-of-two', { only: ['desktop-light', 'mobile-dark'], docs: { 'approval-one-of-two-desktop-light': 'docs/approval.png' } })

  // Bruno opens the link and approves: two of two, approved.
  const p2 = bruno.page
  await p2.goto(url)
  await expect(p2.getByRole('listitem', { name: '2 of treasury' })).toContainText('1 of 2 approved')
  await p2.getByRole('button', { name: 'Approve with passkey' }).click()
  await expect(p2.getByRole('status')).toContainText('That was the last approval needed: the request is approved.')
  await expect(p2.locator('#request-status')).toHaveText('Approved')
  await expect(p2.getByRole('listitem', { name: '2 of treasury' })).toContainText('2 of 2 approved · met')

  // The wallet backend collects the approval token for the signing service.
  expect((await backend.token(created.id)).status()).toBe(200)

  // Chen: nothing is waiting for him any more; the request is approved, and approving is refused.
  const p3 = chen.page
  await p3.goto('/approvals.html')
  await expect(p3.getByRole('region', { name: 'Waiting for you' })).toContainText('Nothing needs your approval right now.')
  const recent = p3.getByRole('region', { name: 'Recent requests' })
  await expect(recent.getByRole('listitem').filter({ hasText: DESTINATION })).toContainText('Approved')
  await recent.getByRole('link', { name: 'Send 25 ETH' }).click()
  await expect(p3.getByRole('heading', { level: 1, name: 'Transfer request' })).toBeVisible()
  await expect(p3.getByRole('region', { name: 'Your decision' })).toContainText('Approved.')
  await expect(p3.getByRole('button', { name: 'Approve with passkey' })).toHaveCount(0)
  await expect(p3.getByRole('region', { name: 'Request record' })).toContainText('Issued to the wallet backend')
  const refused = await p3.request.post(`/v1/approvals/${created.id}/options`, { headers: { Origin: baseURL }, data: { decision: 'approve' } })
  expect(refused.status()).toBe(409)
  expect((await refused.json()).code).toBe('approval_not_pending')
  await capture(p3, testInfo, 'approval-approved', { only: ['desktop-dark', 'mobile-light'] })

  // A second transfer: Amara has it open; Chen rejects it (after confirming), which ends it.
  const second = await backend.create({ ...INTENT, amount: '30', memo: 'Invoice 2026-121' }, signer.id)
  await p1.goto(`/approval.html?id=${second.id}`)
  await expect(p1.locator('#amount')).toHaveText('30 ETH')
  await p3.goto(`/approval.html?id=${second.id}`)
  await p3.getByRole('button', { name: 'Reject' }).click()
  const dialog = p3.getByRole('dialog', { name: 'Reject this request?' })
  await expect(dialog).toBeVisible()
  await capture(p3, testInfo, 'dialog-reject-approval', { dialog: true, only: ['mobile-light'] })
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(p3.getByRole('button', { name: 'Reject' })).toBeFocused()
  await p3.getByRole('button', { name: 'Reject' }).click()
  await dialog.getByRole('button', { name: 'Reject request' }).click()
  await expect(p3.getByRole('status')).toContainText('You rejected this request. Nothing will be signed.')
  await expect(p3.locator('#request-status')).toHaveText('Rejected')
  await expect(p3.getByRole('list', { name: 'Decisions' })).toContainText('Chen Jing rejected')

  // Amara's page still shows the buttons; approving now is refused, and the page shows where things stand.
  await p1.getByRole('button', { name: 'Approve with passkey' }).click()
  await expect(p1.getByRole('alert')).toContainText('This request is no longer waiting for approvals.')
  await expect(p1.locator('#request-status')).toHaveText('Rejected')
  await expect(p1.getByRole('region', { name: 'Your decision' })).toContainText('Chen Jing rejected it. Nothing will be signed.')
  await expect(p1.getByRole('button', { name: 'Approve with passkey' })).toHaveCount(0)
  await capture(p1, testInfo, 'approval-rejected', { only: ['desktop-light', 'mobile-dark'] })
  expect((await backend.token(second.id)).status()).toBe(409)

  // A malformed link (the id mangled on the way) reads as what it is for the person: no such request.
  await p1.goto('/approval.html?id=%%%')
  await expect(p1.getByRole('alert')).toContainText('There’s no such approval request')
  await expect(p1.getByRole('link', { name: 'See the requests waiting for you' })).toBeVisible()

  // A link followed while signed out (another browser with Bruno's synced passkey): sign in, then the request.
  const [synced] = await bruno.webauthn.credentials(bruno.authenticator)
  const laptop = await browser.newContext({ baseURL, locale: 'en-US', timezoneId: 'UTC' })
  const p4 = await laptop.newPage()
  p4.on('pageerror', (e) => problems.push(`laptop: uncaught: ${e.message}`))
  const webauthn4 = await VirtualAuthenticators.attach(p4)
  await webauthn4.addCredential(await webauthn4.add(), synced!)
  await p4.goto(url)
  await expect(p4).toHaveURL(new RegExp(`/approval\\.html\\?id=${created.id}$`))
  await expect(p4.getByRole('status')).toContainText('Welcome back, Bruno Costa')
  await expect(p4.locator('#request-status')).toHaveText('Approved')
  await laptop.close()

  for (const a of [amara, bruno, chen]) await a.page.context().close()
  expect(problems, 'CSP violations and uncaught errors in the pages').toEqual([])
})
