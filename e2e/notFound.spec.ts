import { capture, expect, test } from './fixtures.ts'

/**
 * An address without a page: a browser gets the web app's 404 page (status 404) with a way home, at any depth;
 * the API, and anything that isn't a browser asking for a page, keeps getting problem+json.
 */

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

test('a browser asking for a page that does not exist gets a 404 page with a link home', async ({ page }, testInfo) => {
  const res = await page.goto('/nope.html')
  expect(res?.status()).toBe(404)
  expect(res?.headers()['content-type']).toContain('text/html')
  await expect(page).toHaveTitle('Page not found · Sigil')
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible()
  await capture(page, testInfo, 'not-found', { only: ['desktop-light', 'mobile-dark'] })

  // Deeper down too: the page's script and styles load from absolute paths.
  const deeper = await page.goto('/some/where/else')
  expect(deeper?.status()).toBe(404)
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Go to Sigil’s start page' })).toHaveCSS('min-height', '44px')
  await page.getByRole('link', { name: 'Go to Sigil’s start page' }).click()
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
})

test('the API and other clients keep getting problem+json for what does not exist', async ({ request }) => {
  const problem = async (res: Awaited<ReturnType<typeof request.get>>): Promise<void> => {
    expect(res.status()).toBe(404)
    expect(res.headers()['content-type']).toContain('application/problem+json')
    expect(((await res.json()) as { code: string }).code).toBe('not_found')
  }
  // An API path, even asked for as a page.
  await problem(await request.get('/v1/nope', { headers: { Accept: BROWSER_ACCEPT } }))
  await problem(await request.get('/v1', { headers: { Accept: BROWSER_ACCEPT } }))
  // A client that doesn't ask for HTML, and a method that isn't GET or HEAD.
  await problem(await request.get('/nope.html', { headers: { Accept: 'application/json' } }))
  await problem(await request.post('/nope.html', { headers: { Accept: BROWSER_ACCEPT }, data: {} }))
  const head = await request.head('/nope.html', { headers: { Accept: BROWSER_ACCEPT } })
  expect(head.status()).toBe(404)
  expect(head.headers()['content-type']).toContain('text/html')
})
