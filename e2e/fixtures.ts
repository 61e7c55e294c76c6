import fs from 'node:fs'
import { test as base, expect, type Page, type TestInfo } from '@playwright/test'
import { AxeBuilder } from '@axe-core/playwright'
import { startServer, type SigilServer } from './server.ts'
import { VirtualAuthenticators } from './authenticators.ts'

interface WorkerFixtures {
  /** Extra environment for this worker's server (`test.use({ serverEnv: {...} })` gives a file its own server). */
  serverEnv: Record<string, string>
  server: SigilServer
}

interface TestFixtures {
  /** Virtual authenticators of the test's page. */
  webauthn: VirtualAuthenticators
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  serverEnv: [{}, { scope: 'worker', option: true }],
  server: [async ({ serverEnv }, use, workerInfo) => {
    const server = await startServer(serverEnv)
    await use(server)
    const log = fs.readFileSync(server.logFile, 'utf8')
    if (log.trim()) fs.writeFileSync(workerInfo.project.outputDir + `/server-worker-${workerInfo.workerIndex}.log`, log)
    await server.stop()
  }, { scope: 'worker', timeout: 150_000 }],
  baseURL: async ({ server }, use) => use(server.url),
  // Every page must run under the server's strict CSP without a violation, and without an uncaught error.
  page: async ({ page }, use) => {
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(m.text())
    })
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`))
    await use(page)
    expect(problems, 'CSP violations and uncaught errors in the page').toEqual([])
  },
  webauthn: async ({ page }, use) => {
    await page.addInitScript(recordWebAuthnCalls)
    await use(await VirtualAuthenticators.attach(page))
  },
})

/**
 * Runs in the page: notes each navigator.credentials.get/create call and its mediation (in sessionStorage,
 * so the record survives the navigation a successful ceremony causes), then makes the call.
 */
function recordWebAuthnCalls(): void {
  const KEY = '__webauthnCalls'
  const c = navigator.credentials
  for (const method of ['get', 'create'] as const) {
    const original = c[method].bind(c)
    c[method] = (options?: CredentialRequestOptions & CredentialCreationOptions) => {
      const calls = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as unknown[]
      calls.push({ method, mediation: options?.mediation ?? 'optional' })
      sessionStorage.setItem(KEY, JSON.stringify(calls))
      return original(options)
    }
  }
}

export interface WebAuthnCall { method: 'get' | 'create'; mediation: string }

/** The WebAuthn calls made in this tab so far (see recordWebAuthnCalls); `clear` starts a new record. */
export function webauthnCalls(page: Page, opts: { clear?: boolean } = {}): Promise<WebAuthnCall[]> {
  return page.evaluate((clear) => {
    const calls = JSON.parse(sessionStorage.getItem('__webauthnCalls') ?? '[]') as WebAuthnCall[]
    if (clear) sessionStorage.removeItem('__webauthnCalls')
    return calls
  }, opts.clear === true)
}

/**
 * Waits until the page has started passkey autofill (a conditional get), and a little more so the browser has
 * handed the request to the authenticators: switching an authenticator's presence on after that leaves the
 * request pending, as a person who has not chosen a passkey yet would.
 */
export async function autofillPending(page: Page): Promise<void> {
  await expect.poll(async () => (await webauthnCalls(page)).some((c) => c.method === 'get' && c.mediation === 'conditional')).toBe(true)
  await page.waitForTimeout(500)
}

export { expect }

let seq = 0
/** A handle no other test uses (handles are unique per server, and a worker's server outlives its tests). */
export function uniqueHandle(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}${(++seq).toString(36)}${Date.now().toString(36).slice(-4)}`
}

/** Creates an account through the sign-up page and waits for the account page. */
export async function signUp(page: Page, handle: string, displayName: string): Promise<void> {
  await page.goto('/signup.html')
  await page.getByLabel('Username').fill(handle)
  await page.getByLabel('Your name').fill(displayName)
  await page.getByRole('button', { name: 'Create account with a passkey' }).click()
  await expect(page).toHaveURL(/\/account\.html$/)
  await expect(page.getByRole('heading', { name: 'Passkeys' })).toBeVisible()
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await expect(page).toHaveURL(/\/$|\/index\.html$/)
  await expect(page.getByRole('status')).toContainText('signed out')
}

/** GET /v1/me with the page's cookies: the server's view of whether this browser is signed in. */
export async function sessionKind(page: Page): Promise<'full' | 'recovery' | null> {
  const res = await page.request.get('/v1/me')
  if (res.status() === 401) return null
  expect(res.ok()).toBeTruthy()
  return ((await res.json()) as { session: { kind: 'full' | 'recovery' } }).session.kind
}

/** Saves a screenshot as a test attachment and under test-results/pages/ (PNG, full page). */
export async function snap(page: Page, testInfo: TestInfo, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  const file = `${testInfo.project.outputDir}/pages/${name}.png`
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? true, animations: 'disabled', caret: 'hide' })
  await testInfo.attach(name, { path: file, contentType: 'image/png' })
  return file
}

/** Runs axe (WCAG 2.2 A and AA rules and best practices) and fails on serious or critical violations. */
export async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze()
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  if (results.violations.length) {
    await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' })
  }
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${name}`).toEqual([])
}

/** The four looks every page is checked in: light and dark, at desktop width and at 360 px. */
export const VARIANTS = [
  { name: 'desktop-light', width: 1280, height: 800, colorScheme: 'light' },
  { name: 'desktop-dark', width: 1280, height: 800, colorScheme: 'dark' },
  { name: 'mobile-light', width: 360, height: 760, colorScheme: 'light' },
  { name: 'mobile-dark', width: 360, height: 760, colorScheme: 'dark' },
] as const

export interface CaptureOptions {
  /** A viewport screenshot, since a modal's backdrop covers the viewport, not the whole page. */
  dialog?: boolean
  /** Screenshots to copy into docs/ (by `name-variant`) when SIGIL_DOCS_SCREENSHOTS=1. */
  docs?: Record<string, string>
  /** Only these variants (every scan and screenshot costs seconds); default all four. */
  only?: (typeof VARIANTS)[number]['name'][]
}

/**
 * For each variant: an axe scan, a check that nothing is wider than the screen (no sideways scrolling at
 * 360 px) and a screenshot under test-results/pages/. Leaves the page at desktop width in light.
 */
export async function capture(page: Page, testInfo: TestInfo, name: string, opts: CaptureOptions = {}): Promise<void> {
  for (const v of VARIANTS.filter((x) => !opts.only || opts.only.includes(x.name))) {
    await page.setViewportSize({ width: v.width, height: v.height })
    await page.emulateMedia({ colorScheme: v.colorScheme, reducedMotion: 'reduce' })
    // A colour transition still running would be scanned half-way (axe once failed #sign-out's contrast so). Only
    // transitions end (a spinner's animation may run for ever), and none waits more than a second.
    await page.evaluate(() => Promise.race([
      Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => undefined))),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]))
    await expectAccessible(page, testInfo, `${name}-${v.name}`)
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name}-${v.name} width`).toBeLessThanOrEqual(v.width)
    // From the top, so sticky parts (the navigation) are where a reader first sees them.
    if (!opts.dialog) await page.evaluate(() => window.scrollTo(0, 0))
    const file = await snap(page, testInfo, `${name}-${v.name}`, { fullPage: !opts.dialog })
    const doc = opts.docs?.[`${name}-${v.name}`]
    if (doc && process.env.SIGIL_DOCS_SCREENSHOTS === '1') fs.copyFileSync(file, doc)
  }
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.emulateMedia({ colorScheme: 'light' })
}
