import { expect, sessionKind, signUp, test, uniqueHandle } from './fixtures.ts'
import { VirtualAuthenticators } from './authenticators.ts'

test('sign out everywhere from a second browser ends the first browser’s session', async ({ browser, page, webauthn, baseURL }) => {
  const laptop = await webauthn.add()
  const handle = uniqueHandle('mary')
  await signUp(page, handle, 'Mary Jackson')
  const [synced] = await webauthn.credentials(laptop)

  // A second browser with the same (synced) passkey signs in through autofill.
  const other = await browser.newContext({ baseURL, locale: 'en-US', timezoneId: 'UTC' })
  try {
    const pageB = await other.newPage()
    const webauthnB = await VirtualAuthenticators.attach(pageB)
    const phone = await webauthnB.add()
    await webauthnB.addCredential(phone, synced!)
    await pageB.goto('/')
    await expect(pageB).toHaveURL(/\/account\.html$/)
    const sessionsB = pageB.getByRole('list', { name: 'Where you’re signed in' }).getByRole('listitem')
    await expect(sessionsB).toHaveCount(2)
    await expect(sessionsB.filter({ hasText: 'This browser' })).toHaveCount(1)

    // The first browser sees the second one too.
    await page.reload()
    await expect(page.getByRole('list', { name: 'Where you’re signed in' }).getByRole('listitem')).toHaveCount(2)

    // Sign out everywhere, from the second browser.
    await webauthnB.setPresence(phone, false)
    await pageB.getByRole('button', { name: 'Sign out everywhere' }).click()
    await pageB.getByRole('dialog', { name: 'Sign out everywhere?' }).getByRole('button', { name: 'Sign out everywhere' }).click()
    await expect(pageB).toHaveURL(/\/$/)
    await expect(pageB.getByRole('status')).toContainText('signed out everywhere (2 sessions ended)')
    expect(await sessionKind(pageB)).toBeNull()
  } finally {
    await other.close()
  }

  // The first browser's session has ended: its next request finds out, and it is back at sign-in.
  expect(await sessionKind(page)).toBeNull()
  await webauthn.setPresence(laptop, false)
  await page.reload()
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByRole('status')).toContainText('Your session has ended')
})
