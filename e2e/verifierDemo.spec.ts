import { capture, expect, signUp, test, uniqueHandle } from './fixtures.ts'
import { kycOffer } from './kycOffer.ts'
import { sigilCli } from './server.ts'

/**
 * The whole verification journey in the browser (issue 8): a compliance officer issues a KYC credential; the
 * holder's web wallet receives it; the verifier demo page, playing a relying app with its own API key in its
 * own browser, asks for `age_equal_or_over.18` and `sanctions_screened`; the wallet refuses a tampered request
 * link, then shows who asks and exactly those two claims; the holder consents; the demo page shows those two
 * claims verified and nothing else. The officer then revokes the credential: the wallet shows it revoked and no
 * longer offers it.
 */

// Long: two browsers, three people and axe scans of every state (slow on a shared two-core machine).
test.describe.configure({ timeout: 420_000 })

const ASKED = ['age_equal_or_over.18', 'sanctions_screened']

/** The same link with one character of the request object's signature changed. */
function tamper(deepLink: string): string {
  const m = /([?&]request=)([\w-]+\.[\w-]+\.)([\w-]+)/.exec(deepLink)
  if (!m) throw new Error('no by-value request in the link')
  const sig = m[3]!
  const i = sig.length - 10
  const swapped = `${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`
  return deepLink.replace(m[0], `${m[1]!}${m[2]!}${swapped}`)
}

test('a relying app on the verifier demo asks for two claims, the holder consents in the web wallet, and the app sees those two and nothing else', async ({ page, webauthn, server, browser, request }, testInfo) => {
  // Compliance issues: data from a KYC vendor's API client, an offer with a PIN from an officer's session.
  const offer = await kycOffer(server, browser, request)
  const { officer, officerContext, subjectRef } = offer

  // The holder's wallet receives it; its status list says it is valid.
  await webauthn.add()
  await signUp(page, uniqueHandle('holder'), 'Erika Mustermann')
  await page.goto('/wallet.html')
  await page.getByLabel('Offer link').fill(offer.offerUri)
  await page.getByRole('button', { name: 'Get credential' }).click()
  await page.getByLabel('PIN').fill(offer.txCode)
  await page.getByRole('button', { name: 'Get credential' }).click()
  await expect(page.getByRole('status')).toContainText('Credential received')
  const card = page.getByRole('listitem').filter({ hasText: 'KYC credential' })
  await expect(card.locator('[data-status]')).toHaveAttribute('data-status', 'valid')
  await expect(card.locator('[data-status]')).toHaveText('Valid')

  // The relying app: its key from the CLI, typed into the demo page in a browser of its own (no sign-in).
  const app = await sigilCli<{ key: string }>(server, 'clients', 'create', '--name', 'shop', '--role', 'relying-app')
  const shopContext = await browser.newContext({ baseURL: server.url })
  await shopContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
  const shop = await shopContext.newPage()
  const shopProblems: string[] = []
  shop.on('console', (m) => { if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) shopProblems.push(m.text()) })
  shop.on('pageerror', (e) => shopProblems.push(`uncaught: ${e.message}`))
  await shop.goto('/verifier.html')
  await expect(shop.getByRole('heading', { level: 1, name: 'Verifier demo' })).toBeVisible()
  await expect(shop.getByLabel('Age 18 or over')).toBeChecked()
  await expect(shop.getByLabel('Screened against sanctions lists')).toBeChecked()
  await expect(shop.getByLabel('Date of birth')).not.toBeChecked()
  await capture(shop, testInfo, 'verifier-start', { only: ['mobile-dark'] })

  // Without a key, it asks for one; the key is kept in sessionStorage only.
  await shop.getByRole('button', { name: 'Ask the holder' }).click()
  await expect(shop.getByLabel('API key (role relying-app)')).toBeFocused()
  await shop.getByLabel('API key (role relying-app)').fill(app.key)
  await shop.getByRole('button', { name: 'Use this key' }).click()
  await expect(shop.locator('#key-in-use')).toContainText('sigil_sk_')
  await expect(shop.locator('#key-in-use')).not.toContainText(app.key)
  const stored = await shop.evaluate(() => ({ session: Object.values({ ...sessionStorage }), local: Object.values({ ...localStorage }) }))
  expect(stored.session).toContain(app.key)
  expect(stored.local.filter((v) => v.includes(app.key))).toEqual([])

  // A claim this app's disclosure policy does not allow is refused by the server (403 disclosure_forbidden).
  await shop.getByLabel('Date of birth').check()
  await shop.getByRole('button', { name: 'Ask the holder' }).click()
  await expect(shop.locator('#claims-error')).toContainText('This app may not ask for Date of birth')
  await capture(shop, testInfo, 'verifier-refused', { only: ['mobile-light'] })
  await shop.getByLabel('Date of birth').uncheck()

  // The two claims: a QR code (an image, not inline SVG) and the openid4vp:// link, which copies.
  await shop.getByRole('button', { name: 'Ask the holder' }).click()
  await expect(shop.getByRole('img', { name: /QR code of the presentation request/ })).toBeVisible()
  expect(await shop.locator('#request-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml/)
  await expect(shop.locator('#request-section svg:not(.icon)')).toHaveCount(0)
  await expect(shop.locator('#asked-claims li')).toHaveText(['Age 18 or over', 'Screened against sanctions lists'])
  const deepLink = await shop.locator('#request-link').inputValue()
  expect(deepLink).toMatch(/^openid4vp:\/\/\?client_id=decentralized_identifier%3Adid%3Aweb%3A.+&request=/)
  await shop.getByRole('button', { name: 'Copy request link' }).click()
  await expect(shop.getByRole('status')).toContainText('Copied the request link')
  expect(await shop.evaluate(() => navigator.clipboard.readText())).toBe(deepLink)
  await capture(shop, testInfo, 'verifier-request', { only: ['desktop-light', 'desktop-dark'] })

  // A request link with one signature character changed is refused by the wallet before anything is shown.
  await page.getByLabel('Request link').fill(tamper(deepLink))
  await page.getByRole('button', { name: 'Review request' }).click()
  await expect(page.locator('#request-input-error')).toContainText('signature doesn’t match')
  await expect(page.getByRole('group', { name: 'A service asks for your information' })).toHaveCount(0)

  // The real link: the wallet shows who asks and exactly those two claims; the holder consents.
  await page.getByLabel('Request link').fill(deepLink)
  await page.getByRole('button', { name: 'Review request' }).click()
  const consent = page.getByRole('group', { name: 'A service asks for your information' })
  await expect(consent.locator('#requester-site')).toHaveText(new URL(server.url).host)
  await expect(consent.getByRole('listitem')).toHaveText(['Age 18 or over', 'Screened against sanctions lists'])
  // The demo asks for direct_post.jwt: the wallet posts only a compact JWE (`response`), nothing in the clear.
  await expect(consent.locator('#answer-protection')).toHaveText('Encrypted so that only this service can read it')
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/v1/presentations/responses/'))
  await consent.getByRole('button', { name: 'Share' }).click()
  await expect(page.locator('#share-result')).toContainText('Shared with')
  const form = new URLSearchParams((await posted).postData() ?? '')
  expect([...form.keys()]).toEqual(['response'])
  expect(form.get('response')!.split('.')).toHaveLength(5)

  // The demo page shows those two claims verified, and says nothing else was received.
  await expect(shop.locator('#outcome-status')).toHaveText('Verified')
  const received = shop.locator('#received-claims [data-path]')
  expect(await received.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).toEqual(ASKED)
  await expect(received.locator('dd')).toHaveText(['Yes', 'Yes'])
  await expect(shop.locator('#nothing-else')).toContainText('Nothing else was received')
  await capture(shop, testInfo, 'verifier-verified')
  expect(shopProblems, 'CSP violations and uncaught errors on the demo page').toEqual([])
  await shopContext.close()

  // The officer revokes the credential; the wallet's status-list check shows it.
  const listed = await officer.request.post('/v1/kyc/credentials/search', { headers: { Origin: server.url }, data: { subjectRef } })
  expect(listed.status(), await listed.text()).toBe(200)
  const { credentials } = (await listed.json()) as { credentials: { id: string }[] }
  const revoked = await officer.request.post(`/v1/kyc/credentials/${credentials[0]!.id}/revoke`, { headers: { Origin: server.url }, data: { reason: 'e2e: document found forged' } })
  expect(revoked.status(), await revoked.text()).toBe(200)
  await officerContext.close()
  await page.reload()
  await expect(card.locator('[data-status]')).toHaveAttribute('data-status', 'revoked')
  await expect(card.locator('[data-status]')).toHaveText('Revoked')
  await expect(card).toContainText('The issuer has revoked this credential')
  await capture(page, testInfo, 'wallet-revoked', { only: ['desktop-light', 'mobile-light'] })

  // A revoked credential is not offered to the next service that asks.
  const again = await request.post('/v1/presentations/requests', { headers: { Authorization: `Bearer ${app.key}` }, data: { claims: ASKED } })
  expect(again.status(), await again.text()).toBe(201)
  await page.getByLabel('Request link').fill(((await again.json()) as { deepLink: string }).deepLink)
  await page.getByRole('button', { name: 'Review request' }).click()
  await expect(page.getByRole('status')).toContainText('no valid credential this service accepts')
  await expect(page.getByRole('group', { name: 'A service asks for your information' })).toHaveCount(0)
})
