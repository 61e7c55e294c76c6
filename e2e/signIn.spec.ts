import { autofillPending, expect, sessionKind, signOut, signUp, test, uniqueHandle, webauthnCalls } from './fixtures.ts'

test('sign up, sign out, sign in with the button, then with passkey autofill', async ({ page, webauthn }) => {
  const device = await webauthn.add()
  const handle = uniqueHandle('ada')

  await signUp(page, handle, 'Ada Lovelace')
  await expect(page.getByRole('status')).toContainText('Welcome to Sigil, Ada Lovelace')
  expect(await sessionKind(page)).toBe('full')
  const [credential] = await webauthn.credentials(device)
  expect(credential?.userName).toBe(handle)
  expect(credential?.userDisplayName).toBe('Ada Lovelace')

  // The button: the authenticator ignores requests while the sign-in page loads, so the autofill request
  // it starts stays pending; then the person presses the button.
  await webauthn.setPresence(device, false)
  await signOut(page)
  expect(await sessionKind(page)).toBeNull()
  await expect(page.getByLabel('Username')).toHaveAttribute('autocomplete', 'username webauthn')
  await expect(page.locator('input[type="password"]')).toHaveCount(0)
  await autofillPending(page)
  await webauthn.setPresence(device, true)
  await webauthnCalls(page, { clear: true })
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await expect(page).toHaveURL(/\/account\.html$/)
  await expect(page.getByRole('status')).toContainText('Welcome back, Ada Lovelace')
  expect(await sessionKind(page)).toBe('full')
  expect((await webauthnCalls(page)).filter((c) => c.method === 'get')).toEqual([{ method: 'get', mediation: 'optional' }])

  // Autofill: the conditional request the page starts on load completes when a passkey is chosen (the
  // virtual authenticator chooses at once); nothing is clicked.
  await webauthn.setPresence(device, false)
  await signOut(page)
  expect(await sessionKind(page)).toBeNull()
  // Clear the record while the authenticator still ignores requests: once it answers, the pending autofill
  // request may sign in and navigate at once, and the record cannot be read mid-navigation.
  await webauthnCalls(page, { clear: true })
  await webauthn.setPresence(device, true)
  await page.reload()
  await expect(page).toHaveURL(/\/account\.html$/)
  expect((await webauthnCalls(page)).filter((c) => c.method === 'get')).toEqual([{ method: 'get', mediation: 'conditional' }])
  // The account has one passkey: right after sign-in the page offers the browser a second one through
  // conditional create (Chromium supports it; the virtual authenticator leaves it pending).
  await expect.poll(() => webauthnCalls(page)).toContainEqual({ method: 'create', mediation: 'conditional' })
  await expect(page.getByRole('status')).toContainText('Welcome back, Ada Lovelace')
  expect(await sessionKind(page)).toBe('full')
})
