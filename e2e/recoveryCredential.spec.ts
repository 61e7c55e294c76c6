import type { Browser, APIRequestContext, Page } from '@playwright/test'
import { autofillPending, capture, expect, sessionKind, signOut, signUp, test, uniqueHandle, webauthnCalls } from './fixtures.ts'
import { sigilCli, type SigilServer } from './server.ts'
import { ERIKA, kycOffer } from './kycOffer.ts'

/**
 * Recovery by credential on the recover page: the holder collects a KYC credential in the web wallet while signed
 * in (which links it to the account), signs out and loses the only passkey, then recovers with that credential
 * from this browser's wallet: the same restricted session a recovery code gives, so a new passkey is required,
 * after which the account is whole. Refusals: a handle with no credential in this browser gets a plain message,
 * and this browser's credential offered for another account gets the server's uniform 401, shown without detail.
 */

test.describe.configure({ timeout: 240_000 })

/** A KYC vendor sends the data; a compliance officer (own browser, own passkey) offers it with a PIN. */
async function offerFor(server: SigilServer, browser: Browser, request: APIRequestContext): Promise<{ offerUri: string; txCode: string; officerHandle: string }> {
  const { officerContext, offerUri, txCode, officerHandle } = await kycOffer(server, browser, request,
    { ...ERIKA, given_name: 'Grace', family_name: 'Hopper', birthdate: '1986-12-09' })
  await officerContext.close()
  return { offerUri, txCode, officerHandle }
}

/** The handles noted on this browser's wallet holder records (IndexedDB), by user id. */
function holderHandles(page: Page): Promise<Record<string, string | undefined>> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open('sigil-wallet'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error) })
    const all = await new Promise<{ userId: string; handle?: string }[]>((resolve) => { const r = db.transaction('holders').objectStore('holders').getAll(); r.onsuccess = () => resolve(r.result as { userId: string; handle?: string }[]) })
    db.close()
    return Object.fromEntries(all.map((h) => [h.userId, h.handle]))
  })
}

/** Rewrites the handle noted on the holder record of `userId` (as if the wallet had been opened by another account). */
function setHolderHandle(page: Page, userId: string, handle: string): Promise<void> {
  return page.evaluate(async ([id, h]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open('sigil-wallet'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error) })
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('holders', 'readwrite')
      const store = tx.objectStore('holders')
      const r = store.get(id!)
      r.onsuccess = () => store.put({ ...r.result, handle: h })
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
    })
    db.close()
  }, [userId, handle])
}

test('recovery by credential: collect in the wallet, lose the passkey, recover with the credential, add a new passkey', async ({ page, webauthn, server, browser, request }, testInfo) => {
  const { offerUri, txCode, officerHandle } = await offerFor(server, browser, request)

  // Sign up, and collect the credential in the wallet while signed in: that links it to this account.
  const phone = await webauthn.add()
  const handle = uniqueHandle('grace')
  await signUp(page, handle, 'Grace Hopper')
  const me = (await (await page.request.get('/v1/me')).json()) as { user: { id: string } }
  await page.goto('/wallet.html')
  await page.getByLabel('Offer link').fill(offerUri)
  await page.getByRole('button', { name: 'Get credential' }).click()
  await page.getByLabel('PIN').fill(txCode)
  await page.getByRole('button', { name: 'Get credential' }).click()
  await expect(page.getByRole('status')).toContainText('Credential received')
  await expect(page.getByRole('listitem').filter({ hasText: 'KYC credential' }).locator('[data-status]')).toHaveText('Valid')
  // The holder record names the account's handle, so the signed-out recover page can find it.
  expect(await holderHandles(page)).toEqual({ [me.user.id]: handle })

  // Sign out, and lose the only passkey.
  await webauthn.setPresence(phone, false)
  await signOut(page)
  await webauthn.remove(phone)
  await page.getByRole('link', { name: 'Use a recovery code' }).click()
  await expect(page).toHaveURL(/\/recover\.html$/)
  const useCredential = page.getByRole('button', { name: 'Use the KYC credential in this browser’s wallet' })
  await expect(useCredential).toBeVisible()
  await capture(page, testInfo, 'recover-credential')

  // Without a username, the page asks for one.
  await useCredential.click()
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true')
  await expect(page.getByLabel('Username')).toBeFocused()

  // Refused, locally: an account whose credential isn't in this browser (the officer's) gets a plain message.
  await page.getByLabel('Username').fill(officerHandle)
  await useCredential.click()
  await expect(page.getByRole('status')).toContainText('holds no KYC credential for that username')
  await expect(page.getByRole('status')).toContainText('recovery codes')
  expect(await sessionKind(page)).toBeNull()
  await capture(page, testInfo, 'recover-credential-none', { only: ['desktop-light', 'mobile-dark'] })

  // Refused by the server: this browser's credential presented for another account (the holder record made to
  // name the officer) is the uniform 401, and the page says only that it couldn't be used.
  await setHolderHandle(page, me.user.id, officerHandle)
  const refused = page.waitForResponse((r) => r.url().endsWith('/v1/recovery/credential/verify'))
  await useCredential.click()
  expect((await refused).status()).toBe(401)
  expect(((await (await refused).json()) as { code: string }).code).toBe('recovery_failed')
  await expect(page.getByRole('alert')).toHaveText('The KYC credential in this browser’s wallet couldn’t be used to recover this account. Use one of your recovery codes.')
  expect(await sessionKind(page)).toBeNull()
  await capture(page, testInfo, 'recover-credential-refused', { only: ['desktop-dark', 'mobile-light'] })
  await setHolderHandle(page, me.user.id, handle)

  // Recover with the credential (the username as typed, in capitals): a restricted session, sent to add a passkey.
  await page.getByLabel('Username').fill(handle.toUpperCase())
  await useCredential.click()
  await expect(page).toHaveURL(/\/upgrade\.html$/)
  await expect(page.getByRole('status')).toContainText('Credential accepted')
  expect(await sessionKind(page)).toBe('recovery')
  await expect(page.getByRole('heading', { name: 'Add a new passkey' })).toBeVisible()
  await expect(page.locator('#lead')).toContainText('Your KYC credential confirmed it’s you')
  await expect(page.locator('#codes-left')).toBeHidden()
  expect((await page.request.get('/v1/me/passkeys')).status()).toBe(403)
  await capture(page, testInfo, 'recover-credential-upgrade', { only: ['desktop-light', 'mobile-dark'] })

  // Forced: the wallet and account pages send the person back until a passkey is added.
  await page.goto('/wallet.html')
  await expect(page).toHaveURL(/\/upgrade\.html$/)
  await expect(page.locator('#lead')).toContainText('Your KYC credential confirmed it’s you')

  const laptop = await webauthn.add()
  await page.getByRole('button', { name: 'Create a passkey' }).click()
  await expect(page).toHaveURL(/\/account\.html$/)
  await expect(page.getByRole('status')).toContainText('you’re fully signed in')
  expect(await sessionKind(page)).toBe('full')
  expect(await webauthn.credentials(laptop)).toHaveLength(1)
  await expect(page.getByRole('list', { name: 'Passkeys' }).getByRole('listitem')).toHaveCount(2)

  // Then signed in normally, with the new passkey; the wallet still holds the credential.
  await webauthn.setPresence(laptop, false)
  await signOut(page)
  await autofillPending(page)
  await webauthn.setPresence(laptop, true)
  await webauthnCalls(page, { clear: true })
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await expect(page).toHaveURL(/\/account\.html$/)
  expect(await sessionKind(page)).toBe('full')
  await page.goto('/wallet.html')
  await expect(page.getByRole('listitem').filter({ hasText: 'KYC credential' })).toHaveCount(1)
})
