import { autofillPending, expect, sessionKind, signOut, signUp, test, uniqueHandle } from './fixtures.ts'

test('user verification fails: a clear message, and no account or session', async ({ page, webauthn }) => {
  const device = await webauthn.add({ isUserVerified: false })
  const handle = uniqueHandle('grace')

  // Creating an account: the authenticator cannot verify the person.
  await page.goto('/signup.html')
  await page.getByLabel('Username').fill(handle)
  await page.getByLabel('Your name').fill('Grace Hopper')
  await page.getByRole('button', { name: 'Create account with a passkey' }).click()
  await expect(page.getByRole('alert')).toContainText('couldn’t verify it’s you')
  await expect(page).toHaveURL(/\/signup\.html$/)
  expect(await sessionKind(page)).toBeNull()

  // The handle was not taken by the failed attempt: with verification working, the account is created.
  await webauthn.setUserVerified(device, true)
  await signUp(page, handle, 'Grace Hopper')

  // Signing in: verification fails again.
  await webauthn.setPresence(device, false)
  await signOut(page)
  await autofillPending(page)
  await webauthn.setUserVerified(device, false)
  await webauthn.setPresence(device, true)
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await expect(page.getByRole('alert')).toContainText('couldn’t verify it’s you')
  await expect(page).toHaveURL(/\/(index\.html)?$/)
  expect(await sessionKind(page)).toBeNull()
})
