import { expect, signUp, test, uniqueHandle } from './fixtures.ts'

// Regression (seen in CI, 2026-12-06): a call still in flight when the person signs out, answered 401 because the
// logout got there first, sent the page to sign-in with "Sign in to continue." instead of "You're signed out.".
test('signing out on purpose says so, even when another call meanwhile finds the session gone', async ({ page, webauthn }) => {
  const key = await webauthn.add()
  await signUp(page, uniqueHandle('race'), 'Race Condition')

  // Hold the logout answer back, and let the session check the page makes when the tab comes back into view
  // be answered 401 meanwhile, as it would be once the logout has reached the server.
  let releaseLogout!: () => void
  const logoutHeld = new Promise<void>((resolve) => { releaseLogout = resolve })
  await page.route('**/v1/sessions/logout', async (route) => {
    await logoutHeld
    await route.continue()
  })
  await page.route('**/v1/me', (route) => route.fulfill({
    status: 401, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Sign in first', status: 401, code: 'unauthenticated' }),
  }))
  const me401 = page.waitForResponse((r) => r.url().endsWith('/v1/me') && r.status() === 401)

  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
  await me401
  await page.waitForTimeout(200) // time for the 401 to be acted on, if it were
  // The signed-out page offers passkey autofill (conditional mediation), which the virtual authenticator answers at
  // once: on a slow machine it signed the person back in before the check below (CI, 2026-12-07).
  await webauthn.setPresence(key, false)
  releaseLogout()

  await expect(page).toHaveURL(/\/$|\/index\.html$/)
  await expect(page.getByRole('status')).toContainText('signed out')
})
