import type { Page, TestInfo } from '@playwright/test'
import { capture as captureVariants, expect, signOut, signUp, test } from './fixtures.ts'
import { VirtualAuthenticators } from './authenticators.ts'

/**
 * Every page, in light and dark, at desktop width and at 360 px: an axe scan (no serious or critical
 * violations) and a full-page screenshot kept as a test artifact (test-results/pages/). With
 * SIGIL_DOCS_SCREENSHOTS=1 the README's screenshots in docs/ are refreshed too.
 */

const DOCS: Record<string, string> = {
  'sign-in-desktop-light': 'docs/sign-in.png',
  'account-desktop-light': 'docs/account.png',
  'account-mobile-dark': 'docs/account-mobile-dark.png',
}

const capture = (page: Page, testInfo: TestInfo, name: string, opts: { dialog?: boolean } = {}): Promise<void> =>
  captureVariants(page, testInfo, name, { ...opts, docs: DOCS })

// Four axe scans and screenshots per page take a while.
// Dozens of full-page screenshots and axe scans: minutes on a busy 2-core machine.
test.describe.configure({ timeout: 480_000 })

test('signed-out pages: sign in, create account, recovery code', async ({ page }, testInfo) => {
  // No authenticator in this tab: passkey autofill waits, as it does for someone who has not chosen yet.
  await page.goto('/')
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
  await capture(page, testInfo, 'sign-in')

  await page.goto('/signup.html')
  await capture(page, testInfo, 'sign-up')
  await page.getByLabel('Username').fill('No Spaces Allowed')
  await page.getByRole('button', { name: 'Create account with a passkey' }).click()
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true')
  await expect(page.getByLabel('Username')).toBeFocused()
  await capture(page, testInfo, 'sign-up-errors')

  await page.goto('/recover.html')
  await capture(page, testInfo, 'recover')
  await page.getByLabel('Username').fill('nobody-here')
  await page.getByLabel('Recovery code', { exact: true }).fill('AAAA-BBBB-CCCC-DDDD')
  await page.getByRole('button', { name: 'Continue' }).click()
  await expect(page.getByRole('alert')).toContainText('don’t match an unused code')
  await capture(page, testInfo, 'recover-error')
})

test('account page, its dialogs, and the upgrade page after a recovery code', async ({ browser, page, webauthn, baseURL }, testInfo) => {
  const laptop = await webauthn.add()
  // This worker's server is fresh and no other test here uses this handle: a readable one for docs/.
  const handle = 'ada.lovelace'
  await signUp(page, handle, 'Ada Lovelace')
  await capture(page, testInfo, 'account-new')

  // A second passkey on a security key, renamed, and a second signed-in browser, so the lists have rows.
  const securityKey = await webauthn.add({ transport: 'usb' })
  await page.getByRole('region', { name: 'Passkeys', exact: true }).getByRole('button', { name: 'Add a passkey' }).click()
  await expect(page.getByRole('status')).toContainText('Passkey added')
  const key = page.getByRole('list', { name: 'Passkeys' }).getByRole('listitem').filter({ hasText: 'Security key' })
  await key.getByRole('button', { name: /^Rename/ }).click()
  await capture(page, testInfo, 'dialog-rename', { dialog: true })
  await page.getByRole('dialog').getByLabel('Passkey name').fill('YubiKey 5C')
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status')).toContainText('Renamed to “YubiKey 5C”')
  await page.getByRole('button', { name: /^Rename Passkey/ }).click()
  await page.getByRole('dialog').getByLabel('Passkey name').fill('Work laptop')
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status')).toContainText('Renamed to “Work laptop”')

  const [synced] = await webauthn.credentials(laptop)
  const other = await browser.newContext({ baseURL, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1' })
  const pageB = await other.newPage()
  const webauthnB = await VirtualAuthenticators.attach(pageB)
  await webauthnB.addCredential(await webauthnB.add(), synced!)
  await pageB.goto('/')
  await expect(pageB).toHaveURL(/\/account\.html$/)
  await other.close()

  await page.getByRole('region', { name: 'Recovery codes' }).getByRole('button', { name: 'Create recovery codes' }).click()
  await expect(page.getByRole('dialog', { name: 'Save your recovery codes' })).toBeVisible()
  await capture(page, testInfo, 'dialog-recovery-codes', { dialog: true })
  await page.getByRole('button', { name: 'I’ve saved them' }).click()
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Passkeys' })).toBeVisible()
  await capture(page, testInfo, 'account')

  const remove = page.getByRole('list', { name: 'Passkeys' }).getByRole('button', { name: /^Remove/ }).first()
  await remove.click()
  await capture(page, testInfo, 'dialog-remove-passkey', { dialog: true })
  await page.keyboard.press('Escape')
  await expect(page.getByRole('dialog')).toHaveCount(0)
  await expect(remove).toBeFocused()
  await page.getByRole('button', { name: 'Sign out everywhere' }).click()
  await capture(page, testInfo, 'dialog-sign-out-everywhere', { dialog: true })
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()

  // The upgrade page, reached with a recovery code.
  await page.getByRole('button', { name: 'Generate new codes' }).click()
  await page.getByRole('dialog', { name: 'Replace your recovery codes?' }).getByRole('button', { name: 'Generate new codes' }).click()
  const items = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')
  await expect(items).toHaveCount(10)
  const codes = await items.allTextContents()
  await page.getByRole('button', { name: 'I’ve saved them' }).click()
  await webauthn.setPresence(laptop, false)
  await webauthn.setPresence(securityKey, false)
  await signOut(page)
  await page.goto('/recover.html')
  await page.getByLabel('Username').fill(handle)
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[0]!)
  await page.getByRole('button', { name: 'Continue' }).click()
  await expect(page).toHaveURL(/\/upgrade\.html$/)
  await capture(page, testInfo, 'upgrade')
})
