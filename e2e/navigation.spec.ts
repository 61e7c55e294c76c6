import { expect, signUp, test, uniqueHandle } from './fixtures.ts'
import { sigilCli } from './server.ts'

/**
 * The signed-in navigation: on a narrow screen it folds behind the Menu button, and closes again on Escape (the
 * focus back on the button) or a click elsewhere. Compliance is in it only for accounts with the compliance role.
 */
test('the mobile menu closes on Escape and on a click outside; Compliance shows only with the role', async ({ page, webauthn, server }) => {
  await webauthn.add()
  const handle = uniqueHandle('nav')
  await signUp(page, handle, 'Noor Haddad')
  const nav = page.getByRole('navigation', { name: 'Main' })
  await expect(nav.getByRole('link', { name: 'Compliance' })).toHaveCount(0)

  await page.setViewportSize({ width: 360, height: 760 })
  const menu = page.getByRole('button', { name: 'Menu' })
  await expect(nav).toBeHidden()
  await menu.click()
  await expect(menu).toHaveAttribute('aria-expanded', 'true')
  await expect(nav).toBeVisible()
  await nav.getByRole('link', { name: 'Wallet' }).focus()
  await page.keyboard.press('Escape')
  await expect(menu).toHaveAttribute('aria-expanded', 'false')
  await expect(nav).toBeHidden()
  await expect(menu).toBeFocused()

  await menu.click()
  await expect(nav).toBeVisible()
  // A click inside the menu leaves it open; one anywhere else closes it.
  await nav.getByRole('list').click({ position: { x: 4, y: 4 } })
  await expect(nav).toBeVisible()
  await page.getByRole('heading', { level: 1 }).click()
  await expect(menu).toHaveAttribute('aria-expanded', 'false')
  await expect(nav).toBeHidden()

  // With the compliance role, the console is in the navigation.
  await sigilCli(server, 'users', 'roles', handle, '--set', 'compliance')
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.reload()
  await expect(nav.getByRole('link', { name: 'Compliance' })).toBeVisible()
})
