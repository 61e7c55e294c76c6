import type { APIRequestContext, Browser, BrowserContext, Page } from '@playwright/test'
import { VirtualAuthenticators } from './authenticators.ts'
import { expect, signUp, uniqueHandle } from './fixtures.ts'
import { sigilCli, type SigilServer } from './server.ts'

/**
 * After a role that wants a hardware key (compliance) is granted: adds a security key on the account page while the
 * session is fresh, which also makes the session the key's, so it may act in the role (the laptop's passkey no
 * longer may). Leaves the page on the account page.
 */
export async function addSecurityKey(page: Page, webauthn: VirtualAuthenticators): Promise<string> {
  const key = await webauthn.add({ transport: 'usb' })
  await page.goto('/account.html')
  await page.getByRole('region', { name: 'Passkeys', exact: true }).getByRole('button', { name: 'Add a passkey' }).click()
  await expect(page.getByRole('status')).toContainText('Passkey added')
  return key
}

/** What a KYC vendor sends about the holder in these journeys (a made-up person). */
export const ERIKA = {
  given_name: 'Erika', family_name: 'Mustermann', birthdate: '1984-08-12', kyc_level: 'standard', trust_framework: 'de_aml',
  sanctions_screened: true, pep_screened: true,
}

export interface KycOffer {
  offerUri: string
  txCode: string
  subjectRef: string
  officerHandle: string
  /** The officer's page, signed in with the compliance role (its own browser context and passkey). */
  officer: Page
  officerContext: BrowserContext
}

/**
 * The issuing side of a wallet journey: a KYC vendor's API client sends the verified data, and a compliance
 * officer, signed up in a browser context of their own and given the compliance role, makes an offer with a PIN.
 * Close `officerContext` when the officer is no longer needed.
 */
export async function kycOffer(server: SigilServer, browser: Browser, request: APIRequestContext, data: Record<string, unknown> = ERIKA): Promise<KycOffer> {
  const vendor = await sigilCli<{ key: string }>(server, 'clients', 'create', '--name', 'vendor', '--role', 'kyc-vendor')
  const sent = await request.post('/v1/kyc/subjects', {
    headers: { Authorization: `Bearer ${vendor.key}` },
    data: { data: { ...data, verification_time: new Date(Date.now() - 60_000).toISOString() } },
  })
  expect(sent.status(), await sent.text()).toBe(201)
  const { subjectRef } = (await sent.json()) as { subjectRef: string }
  const officerContext = await browser.newContext({ baseURL: server.url })
  const officer = await officerContext.newPage()
  const webauthn = await VirtualAuthenticators.attach(officer)
  await webauthn.add()
  const officerHandle = uniqueHandle('officer')
  await signUp(officer, officerHandle, 'Maya Lindqvist')
  await sigilCli(server, 'users', 'roles', officerHandle, '--set', 'compliance')
  await addSecurityKey(officer, webauthn)
  const made = await officer.request.post('/v1/kyc/offers', { headers: { Origin: server.url }, data: { subjectRef, txCode: true } })
  expect(made.status(), await made.text()).toBe(201)
  const offer = (await made.json()) as { offerUri: string; txCode: string }
  return { ...offer, subjectRef, officerHandle, officer, officerContext }
}
