import { capture, expect, signUp, test, uniqueHandle } from './fixtures.ts'
import { kycOffer } from './kycOffer.ts'
import { sigilCli } from './server.ts'

/**
 * The web wallet: a KYC vendor sends verified data, a compliance officer makes an offer with a PIN; the holder
 * signs up with a passkey, pastes the offer link and PIN into the wallet page, which collects the credential
 * with a non-extractable Web Crypto key kept in IndexedDB. A relying app asks for two claims; the holder sees
 * who asks and exactly those two, shares, and the app reads a verified result with those claims and no others.
 */

test.describe.configure({ timeout: 240_000 })

test('a holder receives a KYC credential in the web wallet and shares only the two claims a relying app asks for', async ({ page, webauthn, server, browser, request }, testInfo) => {
  // The data, from a KYC vendor's API client; the offer, from a compliance officer's session (in its own browser).
  const offer = await kycOffer(server, browser, request)
  await offer.officerContext.close()

  // The holder signs up with a passkey; the wallet is in the navigation.
  await webauthn.add()
  await signUp(page, uniqueHandle('holder'), 'Erika Mustermann')
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet' }).click()
  await expect(page).toHaveURL(/\/wallet\.html$/)
  await expect(page.getByRole('heading', { level: 1, name: 'Wallet' })).toBeVisible()
  await expect(page.locator('#no-credentials')).toBeVisible()
  await capture(page, testInfo, 'wallet-empty', { only: ['desktop-light', 'mobile-dark'] })

  // The offer link, then the PIN the wallet asks for: the credential is collected and shown with its claims.
  await page.getByLabel('Offer link').fill(offer.offerUri)
  await page.getByRole('button', { name: 'Get credential' }).click()
  await expect(page.getByLabel('PIN')).toBeFocused()
  await page.getByLabel('PIN').fill(offer.txCode)
  await page.getByRole('button', { name: 'Get credential' }).click()
  await expect(page.getByRole('status')).toContainText('Credential received')
  const card = page.getByRole('listitem').filter({ hasText: 'KYC credential' })
  await expect(card).toHaveCount(1)
  // The issuer as a site; its exact id and the type URL are folded away under "Technical details".
  const host = new URL(server.url).host
  await expect(card).toContainText(`From ${host}`)
  const technical = card.locator('details')
  await expect(technical.getByText(`did:web:${encodeURIComponent(host)}`)).toBeHidden()
  await technical.getByText('Technical details').click()
  await expect(technical.getByText(`did:web:${encodeURIComponent(host)}`)).toBeVisible()
  await expect(technical).toContainText(`${server.url}/credentials/kyc/v1`)
  await expect(card.locator('[data-status]')).toHaveText('Valid')
  // Claims in reading order (names, birth date, age, screening, then the check), the birth date in words.
  expect(await card.locator('[data-path]').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).toEqual([
    'given_name', 'family_name', 'birthdate', 'age_equal_or_over.18', 'age_equal_or_over.21', 'sanctions_screened', 'pep_screened',
    'kyc_level', 'trust_framework', 'verification_time',
  ])
  await expect(card.locator('[data-path="birthdate"] dd')).toHaveText('Aug 12, 1984')
  await expect(card.locator('[data-path="given_name"] dd')).toHaveText('Erika')
  await expect(card.locator('[data-path="age_equal_or_over.18"] dd')).toHaveText('Yes')
  await expect(card.locator('[data-path="sanctions_screened"] dd')).toHaveText('Yes')
  // The holder key is a non-extractable P-256 key in IndexedDB, for this user.
  const key = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open('sigil-wallet'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error) })
    const all = await new Promise<{ privateKey: CryptoKey }[]>((resolve) => { const r = db.transaction('holders').objectStore('holders').getAll(); r.onsuccess = () => resolve(r.result as { privateKey: CryptoKey }[]) })
    db.close()
    return all.map((h) => ({ extractable: h.privateKey.extractable, curve: (h.privateKey.algorithm as EcKeyAlgorithm).namedCurve }))
  })
  expect(key).toEqual([{ extractable: false, curve: 'P-256' }])
  await capture(page, testInfo, 'wallet-credential')

  // A relying app asks for two claims.
  const app = await sigilCli<{ key: string }>(server, 'clients', 'create', '--name', 'shop', '--role', 'relying-app')
  const asked = await request.post('/v1/presentations/requests', { headers: { Authorization: `Bearer ${app.key}` }, data: { claims: ['age_equal_or_over.18', 'sanctions_screened'] } })
  expect(asked.status(), await asked.text()).toBe(201)
  const pr = (await asked.json()) as { id: string; deepLink: string }
  const clientId = new URLSearchParams(pr.deepLink.split('?')[1]).get('client_id')!

  // Declining sends nothing (the request stays unanswered); reviewing it again brings the same consent back.
  await page.getByLabel('Request link').fill(pr.deepLink)
  await page.getByRole('button', { name: 'Review request' }).click()
  await page.getByRole('group', { name: 'A service asks for your information' }).getByRole('button', { name: 'Decline' }).click()
  await expect(page.locator('#share-result')).toContainText('Nothing was shared')
  const pending = await request.get(`/v1/presentations/requests/${pr.id}`, { headers: { Authorization: `Bearer ${app.key}` } })
  expect(((await pending.json()) as { status: string }).status).toBe('pending')

  // The holder sees who asks and exactly those two claims, and shares.
  await page.getByLabel('Request link').fill(pr.deepLink)
  await page.getByRole('button', { name: 'Review request' }).click()
  const consent = page.getByRole('group', { name: 'A service asks for your information' })
  await expect(consent).toBeVisible()
  await expect(consent.locator('#requester')).toHaveText(clientId)
  await expect(consent.locator('#answer-protection')).toHaveText('Over a secure connection (HTTPS)')
  await expect(consent.locator('#requester-site')).toHaveText(new URL(server.url).host)
  await expect(consent.getByRole('listitem')).toHaveText(['Age 18 or over', 'Screened against sanctions lists'])
  await capture(page, testInfo, 'wallet-consent')
  await consent.getByRole('button', { name: 'Share' }).click()
  await expect(page.locator('#share-result')).toContainText('Shared with')

  // The relying app gets a verified answer with those two claims and nothing else.
  const result = await request.get(`/v1/presentations/requests/${pr.id}`, { headers: { Authorization: `Bearer ${app.key}` } })
  expect(result.status()).toBe(200)
  const body = (await result.json()) as { status: string; claims: Record<string, unknown> }
  expect(body.status).toBe('verified')
  expect(body.claims).toEqual({ age_equal_or_over: { 18: true }, sanctions_screened: true })
  await capture(page, testInfo, 'wallet-shared', { only: ['desktop-light', 'mobile-light'] })

  // Offline (the status list can't be fetched), the wallet doesn't claim the credential is valid.
  await page.route('**/status-lists/**', (route) => route.abort('internetdisconnected'))
  await page.reload()
  await expect(card.locator('[data-status]')).toHaveText('Status unknown')
  await expect(card).toContainText('couldn’t be reached')

  // Removing it from this browser asks first; cancelled, nothing changes; confirmed, the wallet is empty again.
  const remove = card.getByRole('button', { name: /^Remove from this browser/ })
  await remove.click()
  const dialog = page.getByRole('dialog', { name: 'Remove this credential from this browser?' })
  await expect(dialog).toContainText(`from ${host}`)
  await capture(page, testInfo, 'wallet-remove-dialog', { dialog: true, only: ['desktop-light', 'mobile-dark'] })
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(remove).toBeFocused()
  await expect(card).toHaveCount(1)
  await remove.click()
  await dialog.getByRole('button', { name: 'Remove credential' }).click()
  await expect(page.getByRole('status')).toContainText(`The credential from ${host} was removed from this browser.`)
  await expect(card).toHaveCount(0)
  await expect(page.locator('#no-credentials')).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Your credentials' })).toBeFocused()
  await page.reload()
  await expect(page.locator('#no-credentials')).toBeVisible()
})
