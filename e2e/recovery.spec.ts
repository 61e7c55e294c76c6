import fs from 'node:fs'
import { expect, sessionKind, signOut, signUp, test, uniqueHandle } from './fixtures.ts'

const CODE = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/

test('recovery codes: generate, sign out, lose the authenticator, sign in with a code, forced to add a passkey', async ({ page, context, webauthn }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  const phone = await webauthn.add()
  const handle = uniqueHandle('katherine')
  await signUp(page, handle, 'Katherine Johnson')

  // Generate: shown once, with copy and download.
  const recovery = page.getByRole('region', { name: 'Recovery codes' })
  await expect(recovery).toContainText('No recovery codes yet')
  await recovery.getByRole('button', { name: 'Create recovery codes' }).click()
  const dialog = page.getByRole('dialog', { name: 'Save your recovery codes' })
  const items = dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')
  await expect(items).toHaveCount(10)
  const codes = await items.allTextContents()
  expect(codes).toHaveLength(10)
  for (const c of codes) expect(c).toMatch(CODE)
  expect(new Set(codes).size).toBe(10)

  await dialog.getByRole('button', { name: 'Copy' }).click()
  await expect(dialog.getByRole('status')).toHaveText('Copied to the clipboard.')
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  for (const c of codes) expect(copied).toContain(c)

  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download' }).click()])
  expect(download.suggestedFilename()).toBe(`sigil-recovery-codes-${handle}.txt`)
  const file = fs.readFileSync(await download.path(), 'utf8')
  for (const c of codes) expect(file).toContain(c)

  await dialog.getByRole('button', { name: 'I’ve saved them' }).click()
  await expect(dialog).toHaveCount(0)
  await expect(recovery).toContainText('10 of 10 codes left')
  await expect(page.locator('body')).not.toContainText(codes[0]!)

  // Sign out, and lose the only device.
  await webauthn.setPresence(phone, false)
  await signOut(page)
  await webauthn.remove(phone)

  // Sign in with a code: a restricted session that can only add a passkey.
  await page.getByRole('link', { name: 'Use a recovery code' }).click()
  await page.getByLabel('Username').fill(handle)
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[3]!.toLowerCase().replace(/-/g, ' '))
  await page.getByRole('button', { name: 'Continue' }).click()
  await expect(page).toHaveURL(/\/upgrade\.html$/)
  expect(await sessionKind(page)).toBe('recovery')
  await expect(page.getByRole('heading', { name: 'Add a new passkey' })).toBeVisible()
  await expect(page.getByText('9 recovery codes left')).toBeVisible()
  expect((await page.request.get('/v1/me/passkeys')).status()).toBe(403)

  // Forced: the account page sends the person back until a passkey is added.
  await page.goto('/account.html')
  await expect(page).toHaveURL(/\/upgrade\.html$/)
  await expect(page.getByRole('status')).toContainText('Add a new passkey to finish signing in')

  const laptop = await webauthn.add()
  await page.getByRole('button', { name: 'Create a passkey' }).click()
  await expect(page).toHaveURL(/\/account\.html$/)
  await expect(page.getByRole('status')).toContainText('you’re fully signed in')
  expect(await sessionKind(page)).toBe('full')
  expect(await webauthn.credentials(laptop)).toHaveLength(1)
  await expect(page.getByRole('list', { name: 'Passkeys' }).getByRole('listitem')).toHaveCount(2)
  await expect(recovery).toContainText('9 of 10 codes left')

  // A used code does not work twice.
  await webauthn.setPresence(laptop, false)
  await signOut(page)
  await page.goto('/recover.html')
  await page.getByLabel('Username').fill(handle)
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[3]!)
  await page.getByRole('button', { name: 'Continue' }).click()
  await expect(page.getByRole('alert')).toContainText('don’t match an unused code')
  expect(await sessionKind(page)).toBeNull()
})
