import type { Locator, Page } from '@playwright/test'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { capture, expect, signOut, signUp, test, uniqueHandle } from './fixtures.ts'
import { sigilCli, type SigilServer } from './server.ts'
import { collectCredential, parseOfferUri, PRE_AUTHORIZED_GRANT, statusAt, tokenRequest, verifyWithJwks } from './wallet.ts'

/**
 * The compliance console: an officer signs in with a passkey, enters verified KYC data (a bad field first),
 * creates an offer with a PIN, and a wallet (in the test process, with plain fetch and jose) collects the
 * credential over OpenID4VCI. The officer then finds it by subject reference, suspends, reinstates and revokes
 * it, and the signed status list says so each time.
 */

// Sign-up, a passkey sign-in, OpenID4VCI round trips, and axe scans with screenshots of each state.
test.describe.configure({ timeout: 480_000 })

/** Fills the KYC data form as an officer would from a completed check. */
async function enterKycData(page: Page, country: string): Promise<void> {
  await page.getByLabel('Given name').fill('Erika')
  await page.getByLabel('Family name').fill('Mustermann')
  await page.getByLabel('Date of birth').fill('1984-08-12')
  await page.getByLabel('Nationalities').fill('DE')
  await page.getByLabel('Street and number').fill('Heidestraße 17')
  await page.getByLabel('Postal code').fill('51147')
  await page.getByLabel('City or town').fill('Köln')
  await page.getByLabel('Country', { exact: true }).fill(country)
  await page.getByLabel('KYC level').selectOption('standard')
  await page.getByLabel('Trust framework').fill('de_aml')
  // An hour ago, in the browser's time zone (UTC in these tests).
  await page.getByLabel('Verified at').fill(new Date(Date.now() - 3_600_000).toISOString().slice(0, 16))
  await page.getByLabel('Screened against sanctions lists').check()
  await page.getByLabel('Screened for politically exposed persons (PEP)').check()
}

/** The signed status list the credential points at, checked against the issuer's keys: the entry's value. */
async function listedStatus(server: SigilServer, uri: string, idx: number): Promise<number> {
  const res = await fetch(uri)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('statuslist+jwt')
  const payload = await verifyWithJwks(await res.text(), `${server.url}/.well-known/jwks.json`)
  return statusAt(payload, idx)
}

async function changeStatus(page: Page, row: Locator, action: 'Suspend' | 'Reinstate' | 'Revoke', reason: string): Promise<Locator> {
  await row.getByRole('button', { name: new RegExp(`^${action} credential`) }).click()
  const dialog = page.getByRole('dialog', { name: `${action} this credential?` })
  await expect(dialog).toBeVisible()
  const field = dialog.getByLabel('Reason')
  await expect(field).toBeFocused()
  await expect(field).toHaveAccessibleDescription(/No personal data/)
  await field.fill(reason)
  return dialog
}

test('an officer issues a KYC credential from the console; a wallet collects it; the officer revokes it', async ({ page, webauthn, server, request }, testInfo) => {
  const laptop = await webauthn.add()
  const handle = uniqueHandle('officer')
  await signUp(page, handle, 'Maya Lindqvist')

  // Without the compliance role the navigation doesn't offer the console; opened directly, it says what is
  // missing, and the API refuses as well.
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet' })).toBeVisible()
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' })).toHaveCount(0)
  await page.goto('/compliance.html')
  await expect(page.getByRole('heading', { name: 'This console needs the compliance role' })).toBeVisible()
  await expect(page.locator('#kyc-form')).toHaveCount(0)
  expect((await page.request.post('/v1/kyc/credentials/search', { headers: { Origin: server.url }, data: { subjectRef: `ksub_${'a'.repeat(43)}` } })).status()).toBe(403)
  await capture(page, testInfo, 'compliance-needs-role', { only: ['desktop-light', 'mobile-dark'] })

  // An administrator gives the role. The role's attestation policy wants an attested, device-bound passkey (a
  // security key), so she adds one while her session is fresh; the laptop's passkey no longer signs her in.
  await sigilCli(server, 'users', 'roles', handle, '--set', 'compliance')
  const securityKey = await webauthn.add({ transport: 'usb' })
  await page.goto('/account.html')
  await page.getByRole('region', { name: 'Passkeys', exact: true }).getByRole('button', { name: 'Add a passkey' }).click()
  await expect(page.getByRole('status')).toContainText('Passkey added')
  await webauthn.remove(laptop)

  // Staff sign in with passkeys only: the console sends her to sign in, and back to it after the passkey (the
  // security key, a roaming authenticator, answers the button rather than autofill).
  await webauthn.setPresence(securityKey, false)
  await signOut(page)
  await page.goto('/compliance.html')
  await expect(page).toHaveURL(/\/$|\/index\.html$/)
  await expect(page.getByRole('status')).toContainText('Sign in to continue')
  await webauthn.setPresence(securityKey, true)
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await expect(page).toHaveURL(/\/compliance\.html$/)
  await expect(page.getByRole('heading', { level: 1, name: 'Compliance' })).toBeVisible()
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' })).toHaveAttribute('aria-current', 'page')
  await expect(page.getByRole('region', { name: 'Sigil keeps no personal data after issuance' })).toContainText('the data is erased')
  await expect(page.getByRole('region', { name: 'Create an offer for the holder' })).toContainText('Submit verified KYC data above first')
  await capture(page, testInfo, 'compliance')
  // The lookup is far below the long form: the links at the top go straight to each part.
  const onThisPage = page.getByRole('navigation', { name: 'On this page' })
  await expect(onThisPage.getByRole('link')).toHaveText(['Enter data', 'Make an offer', 'Issued credentials'])
  await onThisPage.getByRole('link', { name: 'Issued credentials' }).click()
  await expect(page).toHaveURL(/#issued-section$/)
  await expect(page.getByRole('heading', { name: 'Issued credentials' })).toBeInViewport()
  await page.evaluate(() => window.scrollTo(0, 0))

  // A country the schema refuses (UK is not ISO 3166: GB is): the error sits under that field.
  await enterKycData(page, 'UK')
  await page.getByRole('button', { name: 'Check and submit data' }).click()
  const country = page.getByLabel('Country', { exact: true })
  await expect(page.getByRole('alert')).toContainText('Check the highlighted field')
  await expect(country).toHaveAttribute('aria-invalid', 'true')
  await expect(country).toBeFocused()
  await expect(country).toHaveAccessibleDescription(/GB for the United Kingdom/)
  await capture(page, testInfo, 'compliance-data-error', { only: ['desktop-light', 'mobile-light'] })

  // Corrected: the data is accepted and the form cleared; the offer step opens with the subject reference.
  await country.fill('DE')
  await page.getByRole('button', { name: 'Check and submit data' }).click()
  await expect(page.getByRole('status')).toContainText('The KYC data checked out and is stored sealed')
  await expect(page.getByLabel('Given name')).toHaveValue('')
  await expect(country).not.toHaveAttribute('aria-invalid', 'true')
  await expect(page.getByRole('heading', { name: 'Create an offer for the holder' })).toBeFocused()
  const subjectRef = (await page.locator('#subject-ref').textContent())!.trim()
  expect(subjectRef).toMatch(/^ksub_[A-Za-z0-9_-]{43}$/)

  // The offer, with a PIN (the default): QR code, link and PIN, shown once.
  await expect(page.getByLabel('Protect the offer with a PIN (recommended)')).toBeChecked()
  await page.getByRole('button', { name: 'Create offer' }).click()
  await expect(page.getByRole('status')).toContainText('Offer created. Show the QR code to the holder and tell them the PIN.')
  await expect(page.getByRole('heading', { name: 'Offer ready' })).toBeFocused()
  const qr = page.getByRole('img', { name: /QR code of the credential offer/ })
  await expect(qr).toBeVisible()
  // The server's SVG is an image (a data URL), not markup in the page, and it renders under the CSP.
  expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
  expect(await page.locator('#offer-section svg rect[fill], #offer-section svg path[fill]').count()).toBe(0)
  const offerUri = await page.getByLabel('Offer link').inputValue()
  expect(offerUri).toMatch(/^openid-credential-offer:\/\/\?credential_offer=/)
  // The PIN is hidden until the officer asks for it, so the screen can be turned to the holder for the QR code.
  const pinGroup = page.getByRole('group', { name: 'PIN' })
  await expect(pinGroup).toContainText('Shown once')
  const showPin = pinGroup.getByRole('button', { name: 'Show PIN' })
  await expect(showPin).toHaveAttribute('aria-expanded', 'false')
  await expect(showPin).toHaveAttribute('aria-controls', 'offer-pin')
  await expect(page.locator('#offer-pin')).toBeHidden()
  await expect(page.locator('#expiry')).toContainText(/\d+:\d\d left/)
  await capture(page, testInfo, 'compliance-offer', { docs: { 'compliance-offer-desktop-light': 'docs/compliance.png' } })
  await showPin.click()
  const hidePin = pinGroup.getByRole('button', { name: 'Hide PIN' })
  await expect(hidePin).toHaveAttribute('aria-expanded', 'true')
  await expect(page.locator('#offer-pin')).toBeVisible()
  const pin = (await page.locator('#offer-pin').textContent())!.trim()
  expect(pin).toMatch(/^\d{6}$/)
  await capture(page, testInfo, 'compliance-offer-pin-shown', { only: ['desktop-light', 'mobile-dark'] })
  await hidePin.click()
  await expect(page.locator('#offer-pin')).toBeHidden()
  await expect(pinGroup.getByRole('button', { name: 'Show PIN' })).toBeFocused()

  // The wallet, in this process: a wrong PIN is refused; the right one gets a token, then the credential.
  const offer = parseOfferUri(offerUri)
  expect(offer.credential_issuer).toBe(server.url)
  expect(offer.grants[PRE_AUTHORIZED_GRANT]?.tx_code).toMatchObject({ length: 6, input_mode: 'numeric' })
  const wrong = await tokenRequest(`${server.url}/token`, offer.grants[PRE_AUTHORIZED_GRANT]!['pre-authorized_code'], pin === '000000' ? '111111' : '000000')
  expect(wrong.status).toBe(400)
  expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant')
  const { credential, holderJwk } = await collectCredential(offerUri, pin)

  // An SD-JWT VC signed by the issuer's key, bound to the wallet's key, with a status-list entry.
  const [issuerJwt, ...disclosures] = credential.split('~')
  expect(decodeProtectedHeader(issuerJwt!).typ).toBe('dc+sd-jwt')
  const claims = await verifyWithJwks(issuerJwt!, `${server.url}/.well-known/jwks.json`)
  expect((claims.cnf as { jwk: { x: string; y: string } }).jwk).toMatchObject({ x: holderJwk.x, y: holderJwk.y })
  expect(claims).toMatchObject({ kyc_level: 'standard', trust_framework: 'de_aml' })
  expect(claims.given_name, 'names are selectively disclosable, never in the clear').toBeUndefined()
  expect(disclosures.filter(Boolean).length).toBeGreaterThan(5)
  const entry = (claims.status as { status_list: { idx: number; uri: string } }).status_list
  expect(await listedStatus(server, entry.uri, entry.idx)).toBe(0)

  // The data was erased at issuance: a second offer for the same subject is refused. (Another offer is the
  // exception once one is on screen, so its button is no longer the primary one.)
  await expect(page.getByRole('button', { name: 'Create a new offer' })).not.toHaveClass(/btn-primary/)
  await page.getByRole('button', { name: 'Create a new offer' }).click()
  await expect(page.getByRole('alert')).toContainText('its KYC data was erased')
  await expect(page.locator('#offer-qr')).toHaveCount(0)

  // The officer finds the credential by subject reference (filled in from the submission): valid.
  const lookup = page.getByRole('search', { name: 'Issued credentials by subject reference' })
  await expect(lookup.getByLabel('Subject reference')).toHaveValue(subjectRef)
  await lookup.getByRole('button', { name: 'Look up' }).click()
  await expect(page.getByRole('heading', { name: '1 credential for this subject' })).toBeFocused()
  const row = page.getByRole('list', { name: '1 credential for this subject' }).getByRole('listitem')
  await expect(row).toHaveCount(1)
  await expect(row).toContainText('Valid')
  await expect(row).toContainText(`entry ${entry.idx}`)
  await capture(page, testInfo, 'compliance-credentials', { only: ['desktop-light', 'mobile-dark'] })

  // Suspend (entry 2), then reinstate (entry 0): each with a reason, each on the signed list.
  let dialog = await changeStatus(page, row, 'Suspend', 'Case 2026-118: document check pending')
  await dialog.getByRole('button', { name: 'Suspend credential' }).click()
  await expect(page.getByRole('status')).toContainText('Credential suspended.')
  await expect(row).toContainText('Suspended')
  expect(await listedStatus(server, entry.uri, entry.idx)).toBe(2)
  dialog = await changeStatus(page, row, 'Reinstate', 'Case 2026-118: document check cleared')
  await dialog.getByRole('button', { name: 'Reinstate credential' }).click()
  await expect(page.getByRole('status')).toContainText('Credential reinstated')
  await expect(row).toContainText('Valid')
  expect(await listedStatus(server, entry.uri, entry.idx)).toBe(0)

  // Revoke: a reason is required (and must not be personal data); then it is revoked for good.
  dialog = await changeStatus(page, row, 'Revoke', '')
  await dialog.getByRole('button', { name: 'Revoke credential' }).click()
  await expect(dialog.getByLabel('Reason')).toHaveAttribute('aria-invalid', 'true')
  await expect(dialog).toContainText('Enter a reason')
  await dialog.getByLabel('Reason').fill('Case 2026-118: document reported stolen')
  await capture(page, testInfo, 'compliance-revoke-dialog', { dialog: true, only: ['desktop-light', 'mobile-dark'] })
  await dialog.getByRole('button', { name: 'Revoke credential' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByRole('status')).toContainText('Credential revoked for good')
  await expect(row.locator('[data-status]')).toHaveText('Revoked')
  await expect(row).toContainText('Revoked for good')
  await expect(row.getByRole('button')).toHaveCount(0)
  expect(await listedStatus(server, entry.uri, entry.idx)).toBe(1)
  await capture(page, testInfo, 'compliance-revoked', { only: ['desktop-light', 'desktop-dark', 'mobile-light'] })

  // The console's view agrees with the API's.
  const listed = await page.request.post('/v1/kyc/credentials/search', { headers: { Origin: server.url }, data: { subjectRef } })
  expect(((await listed.json()) as { credentials: { status: string }[] }).credentials.map((c) => c.status)).toEqual(['revoked'])
  expect(decodeJwt(issuerJwt!).vct).toBe(`${server.url}/credentials/kyc/v1`)

  // Data a KYC vendor sent through the API (its own key, role kyc-vendor): the officer makes the offer from the
  // reference the vendor was given, this time without a PIN, and a wallet collects it.
  const vendor = await sigilCli<{ key: string }>(server, 'clients', 'create', '--name', 'kyc-vendor', '--role', 'kyc-vendor')
  const sent = await request.post('/v1/kyc/subjects', {
    headers: { Authorization: `Bearer ${vendor.key}` },
    data: { data: { kyc_level: 'basic', trust_framework: 'eidas', verification_time: new Date(Date.now() - 60_000).toISOString(), birthdate: '2001-02-03' } },
  })
  expect(sent.status(), await sent.text()).toBe(201)
  const vendorRef = ((await sent.json()) as { subjectRef: string }).subjectRef
  await page.reload()
  const vendorForm = page.getByRole('form', { name: 'Offer for data from a KYC vendor' })
  await vendorForm.getByRole('button', { name: 'Use this reference' }).click()
  await expect(vendorForm.getByLabel('Subject reference from a KYC vendor')).toHaveAccessibleDescription(/Enter a subject reference/)
  await vendorForm.getByLabel('Subject reference from a KYC vendor').fill(vendorRef)
  await vendorForm.getByRole('button', { name: 'Use this reference' }).click()
  await expect(page.locator('#subject-ref')).toHaveText(vendorRef)
  await expect(page.getByRole('button', { name: 'Create offer' })).toBeFocused()
  await page.getByLabel('Protect the offer with a PIN (recommended)').uncheck()
  await page.getByRole('button', { name: 'Create offer' }).click()
  await expect(page.getByRole('status')).toContainText('Offer created. Show the QR code to the holder.')
  await expect(page.locator('#offer-pin')).toHaveCount(0)
  await expect(page.locator('#offer-result')).toContainText('No PIN')
  await capture(page, testInfo, 'compliance-offer-no-pin', { only: ['mobile-light'] })
  const vendorOffer = await page.getByLabel('Offer link').inputValue()
  expect(parseOfferUri(vendorOffer).grants[PRE_AUTHORIZED_GRANT]?.tx_code).toBeUndefined()
  const second = await collectCredential(vendorOffer, undefined)
  expect(decodeJwt(second.credential.split('~')[0]!)).toMatchObject({ kyc_level: 'basic', trust_framework: 'eidas' })
  await expect(page.getByRole('search', { name: 'Issued credentials by subject reference' }).getByLabel('Subject reference')).toHaveValue(vendorRef)
})
