import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import diagnostics from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestApp, TestClient, TEST_ORIGIN, type TestApp } from '../../../testing/index.ts'
import { ConfigError, loadConfig } from '../../../config.ts'

/** A sign-in options call whose body is half sent: admitted (the middleware runs on headers) and held in flight. */
function heldRequest(url: string, headers: Record<string, string> = {}): { finish: () => void; response: Promise<{ status: number; body: string }> } {
  const req = http.request(`${url}/v1/passkeys/login/options`, {
    method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': '2', origin: TEST_ORIGIN, ...headers },
  })
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d }).on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
  })
  req.write('{')
  return { finish: () => void req.end('}'), response }
}

async function metric(app: TestApp, line: RegExp): Promise<number | undefined> {
  const text = (await new TestClient(app.url).get('/metrics')).body as string
  const m = line.exec(text)
  return m ? Number(m[1]) : undefined
}

/** Polls /metrics (never shed) until the server has admitted `n` requests; no timing is asserted. */
async function untilInFlight(app: TestApp, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await metric(app, /^sigil_http_requests_in_flight (\d+)$/m) === n) return
    await sleep(10)
  }
  assert.fail(`never saw ${n} requests in flight`)
}

function assertShed(r: { status: number; headers: Headers; body: any }): void {
  assert.equal(r.status, 503, JSON.stringify(r.body))
  assert.equal(r.headers.get('retry-after'), '1')
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/)
  assert.equal(r.body.code, 'overloaded')
}

/**
 * Blocks every turn of the loop for `ms` at its end (the check phase, after timers and I/O), from three turns on
 * when it resolves: each turn then lasts longer than `ms`, but a request read in the next turn has waited only
 * for the work of that turn (the timers phase just before ran the admission monitor's tick).
 */
async function blockEveryTurn(ms: number): Promise<() => void> {
  let stopped = false
  let turns = 0
  let started!: () => void
  const ready = new Promise<void>((resolve) => { started = resolve })
  const turn = (): void => {
    if (stopped) return
    busy(ms)
    if (++turns === 3) started()
    setImmediate(turn)
  }
  setImmediate(turn)
  await ready
  return () => { stopped = true }
}

/** Blocks the loop for `ms` of CPU time (and so at least as much wall time), however busy the machine is. */
function busy(ms: number): void {
  const [t0, c0] = [performance.now(), process.cpuUsage()]
  while (performance.now() - t0 < ms || (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1000 < ms) { /* blocking on purpose */ }
}

test('past the in-flight cap: 503 overloaded with Retry-After; new work gets half the room; admitted requests finish; recovery at once; probes never shed', async () => {
  const app = await startTestApp({ env: { SIGIL_MAX_IN_FLIGHT: '4' } })
  try {
    // Two new sign-ins fill the half of the room kept for new work.
    const held = [heldRequest(app.url), heldRequest(app.url)]
    await untilInFlight(app, 2)
    const c = new TestClient(app.url)
    const excess = await Promise.all([c.post('/v1/passkeys/login/options', {}), c.get('/v1/me'), c.get('/openapi.json')])
    for (const r of excess) assertShed(r)
    // Work under way still gets the other half: a ceremony's /verify (a discoverable sign-in carries no cookie), a cookie.
    assert.equal((await c.post('/v1/passkeys/login/verify', {})).status, 400, 'a /verify is under way')
    assert.equal((await c.get('/v1/me', { cookie: 'sigil_session=unknown' })).status, 401, 'a cookie is under way')
    // Two more under way fill the whole room: now everything is shed.
    held.push(heldRequest(app.url, { cookie: 'sigil_session=unknown' }), heldRequest(app.url, { cookie: 'theme=dark' }))
    await untilInFlight(app, 4)
    assertShed(await c.get('/v1/me', { cookie: 'sigil_session=unknown' }))
    assertShed(await c.post('/v1/passkeys/login/verify', {}))
    for (const probe of ['/healthz', '/readyz', '/metrics']) assert.equal((await c.get(probe)).status, 200, probe)
    assert.equal(await metric(app, /^sigil_http_requests_shed_total\{reason="in_flight"\} (\d+)$/m), 5)

    for (const h of held) h.finish()
    for (const h of held) {
      const r = await h.response
      assert.equal(r.status, 200, r.body)
      assert.ok(JSON.parse(r.body).challenge, 'a real sign-in challenge')
    }
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200, 'the next request is admitted')
    assert.equal(await metric(app, /^sigil_http_requests_in_flight (\d+)$/m), 0)
  } finally {
    await app.close()
  }
})

test('a blocked event loop sheds with 503 overloaded while probes still answer, and stops once it runs freely', async () => {
  const app = await startTestApp({ env: { SIGIL_MAX_EVENT_LOOP_DELAY_MS: '100' } })
  const c = new TestClient(app.url)
  // Every turn of the loop blocks for 150 ms, and so does the turn that reads each request (the request-start
  // channel runs just before the app sees it): the previous turn and the current one both ran past 100 ms.
  const onRequest = (): void => busy(150)
  let unblock = (): void => undefined
  try {
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200, 'a free loop sheds nothing')
    unblock = await blockEveryTurn(150)
    diagnostics.subscribe('http.server.request.start', onRequest)
    assertShed(await c.post('/v1/passkeys/login/options', {}))
    assertShed(await c.get('/v1/me'))
    assert.equal((await c.get('/healthz')).status, 200, 'probes are never shed')
  } finally {
    unblock()
    diagnostics.unsubscribe('http.server.request.start', onRequest)
  }
  try {
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200, 'the first request after the loop is free is admitted')
    assert.equal(await metric(app, /^sigil_http_requests_shed_total\{reason="event_loop"\} (\d+)$/m), 2)
  } finally {
    await app.close()
  }
})

test('requests under way (a cookie or Authorization) are shed by the loop only past 2.5 times the delay', async () => {
  const app = await startTestApp({ env: { SIGIL_MAX_EVENT_LOOP_DELAY_MS: '100' } })
  const c = new TestClient(app.url)
  // The turn that reads a request runs `block` ms of CPU: a delay between `block` and twice that (if the machine is
  // busy and the process gets only half a core), which stays within 100..250 for 120 and past 250 for 350.
  let block = 120
  const onRequest = (): void => busy(block)
  let unblock = (): void => undefined
  try {
    assert.equal((await c.get('/v1/me')).status, 401)
    unblock = await blockEveryTurn(150)
    diagnostics.subscribe('http.server.request.start', onRequest)
    assertShed(await c.post('/v1/passkeys/login/options', {}))
    assert.equal((await c.get('/v1/me', { cookie: 'sigil_session=unknown' })).status, 401, 'a cookie: admitted past the delay')
    assert.equal((await c.get('/v1/me', { authorization: 'Bearer unknown' })).status, 401, 'an Authorization header: admitted past the delay')
    block = 350
    assertShed(await c.get('/v1/me', { cookie: 'sigil_session=unknown' }))
  } finally {
    unblock()
    diagnostics.unsubscribe('http.server.request.start', onRequest)
    await app.close()
  }
})

test('sustained overload thins out new work read late in a turn, admits work under way, and stops once the loop is free', async () => {
  const app = await startTestApp({ env: { SIGIL_MAX_EVENT_LOOP_DELAY_MS: '100' } })
  const c = new TestClient(app.url)
  // Every turn runs past the limit (windows over it, two and more running); each request is read 40 ms into its turn
  // (under the limit, so the per-turn cap alone would shed nothing, and past a quarter of it, so not a calm turn).
  const onRequest = (): void => busy(40)
  let unblock = (): void => undefined
  try {
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200)
    unblock = await blockEveryTurn(120)
    diagnostics.subscribe('http.server.request.start', onRequest)
    await sleep(600)
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((await c.post('/v1/passkeys/login/options', {})).status)
    const shed = statuses.filter((s) => s === 503).length
    // The share admitted falls by a third per window, to 2 % at least: well under half are let through.
    assert.ok(shed >= 14, `new work shed ${shed} of 20 (${statuses.join(' ')})`)
    assert.deepEqual(statuses.filter((s) => s !== 503 && s !== 200), [])
    for (let i = 0; i < 5; i++) {
      assert.equal((await c.get('/v1/me', { cookie: 'sigil_session=unknown' })).status, 401, 'work under way is admitted')
    }
  } finally {
    unblock()
    diagnostics.unsubscribe('http.server.request.start', onRequest)
  }
  try {
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200, 'the first request after the loop is free is admitted')
  } finally {
    await app.close()
  }
})

test('one long turn alone (a burst, a GC pause) sheds nothing', async () => {
  const app = await startTestApp({ env: { SIGIL_MAX_EVENT_LOOP_DELAY_MS: '100' } })
  const c = new TestClient(app.url)
  const onRequest = (): void => busy(150)
  try {
    assert.equal((await c.get('/v1/me')).status, 401)
    // Only the turn that reads the request is long; the turn before it was not.
    await sleep(50)
    diagnostics.subscribe('http.server.request.start', onRequest)
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200)
  } finally {
    diagnostics.unsubscribe('http.server.request.start', onRequest)
    await app.close()
  }
})

test('with a latency target, slow answers bring the in-flight limit down (to 8, half of it for new work) and fast ones raise it again', async () => {
  const app = await startTestApp({ env: { SIGIL_MAX_IN_FLIGHT: '64', SIGIL_ADMISSION_LATENCY_MS: '20' } })
  const c = new TestClient(app.url)
  try {
    // Three answers, each held in flight well past the 20 ms target: a window of slow answers.
    const slow = [heldRequest(app.url), heldRequest(app.url), heldRequest(app.url)]
    await untilInFlight(app, 3)
    await sleep(150)
    for (const h of slow) h.finish()
    for (const h of slow) assert.equal((await h.response).status, 200)
    await sleep(120)
    // The next request closes that window: the limit falls to 8 (Little's law gives less; 8 is the floor), 4 for new work.
    const held = [heldRequest(app.url), heldRequest(app.url), heldRequest(app.url), heldRequest(app.url)]
    await untilInFlight(app, 4)
    assertShed(await c.post('/v1/passkeys/login/options', {}))
    assert.equal(await metric(app, /^sigil_http_requests_shed_total\{reason="latency"\} (\d+)$/m), 1)
    assert.equal((await c.get('/v1/me', { cookie: 'sigil_session=unknown' })).status, 401, 'work under way still fits under 8')
    for (const h of held) h.finish()
    for (const h of held) await h.response
    // Fast windows raise the limit by a tenth each (at least one): new work is admitted again.
    let admitted = 0
    for (let i = 0; i < 40 && admitted < 8; i++) {
      const rs = await Promise.all(Array.from({ length: 6 }, () => c.post('/v1/passkeys/login/options', {})))
      admitted = rs.filter((r) => r.status === 200).length
      await sleep(110)
    }
    assert.ok(admitted >= 6, `new work admitted again (${admitted} of 6)`)
  } finally {
    await app.close()
  }
})

test('a saturated loop with requests queued brings in the utilization limit: new work is shed, work under way admitted, lifted once calm', async () => {
  const app = await startTestApp()
  const c = new TestClient(app.url)
  let unblock = (): void => undefined
  const held: ReturnType<typeof heldRequest>[] = []
  try {
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200)
    // 40 requests in flight (a queue) while every turn is busy for 30 ms (well under the 150 ms loop signal): 30 new
    // ones and 10 under way (40 new at once on a busy loop would bring the limit in before they were all admitted).
    for (let i = 0; i < 40; i++) held.push(heldRequest(app.url, i < 10 ? { cookie: 'sigil_session=unknown' } : {}))
    await untilInFlight(app, 40)
    unblock = await blockEveryTurn(30)
    // A request under way ends the window in which the loop was partly idle (and is admitted); the next window is
    // saturated from its start with 40 in flight, and the request that ends it sets the limit at half of them (20).
    assert.equal((await c.get('/v1/me', { cookie: 'sigil_session=unknown' })).status, 401)
    // Windows end on arrivals, and one that ran past 200 ms counts as idle (a loaded CI machine can stretch a sleep):
    // ask a few times, a window apart, for the first new request after a saturated window.
    let r = await c.post('/v1/passkeys/login/options', {})
    for (let i = 0; i < 10 && r.status !== 503; i++) { await sleep(60); r = await c.post('/v1/passkeys/login/options', {}) }
    assertShed(r)
    assert.ok((await metric(app, /^sigil_http_requests_shed_total\{reason="utilization"\} (\d+)$/m) ?? 0) >= 1)
    assert.equal((await c.get('/v1/me', { cookie: 'sigil_session=unknown' })).status, 401, 'work under way is admitted')
  } finally {
    unblock()
    for (const h of held) h.finish()
    for (const h of held) await h.response
  }
  try {
    // Calm windows in which new work does not reach the limit lift it.
    let status = 0
    for (let i = 0; i < 20 && status !== 200; i++) {
      await sleep(60)
      status = (await c.post('/v1/passkeys/login/options', {})).status
    }
    assert.equal(status, 200, 'new work admitted again once the loop is calm')
    assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200)
  } finally {
    await app.close()
  }
})

test('a burst of new work on an idle process is admitted whole', async () => {
  const app = await startTestApp()
  try {
    const c = new TestClient(app.url)
    for (let i = 0; i < 20; i++) assert.equal((await c.post('/v1/passkeys/login/options', {})).status, 200)
    await sleep(200)
    const statuses = await Promise.all(Array.from({ length: 40 }, () => new TestClient(app.url).post('/v1/passkeys/login/options', {}).then((r) => r.status)))
    assert.deepEqual(statuses.filter((s) => s !== 200), [])
  } finally {
    await app.close()
  }
})

test('admission limits come from the environment, with defaults that leave ordinary traffic alone', () => {
  assert.deepEqual(loadConfig({}).admission, { maxInFlight: 256, maxEventLoopDelayMs: 150, latencyTargetMs: 0, utilization: 0.97 })
  assert.deepEqual(loadConfig({ SIGIL_MAX_IN_FLIGHT: '8', SIGIL_MAX_EVENT_LOOP_DELAY_MS: '50', SIGIL_ADMISSION_LATENCY_MS: '60', SIGIL_ADMISSION_UTILIZATION: '0' }).admission,
    { maxInFlight: 8, maxEventLoopDelayMs: 50, latencyTargetMs: 60, utilization: 0 })
  assert.throws(() => loadConfig({ SIGIL_MAX_IN_FLIGHT: '0', SIGIL_MAX_EVENT_LOOP_DELAY_MS: 'soon' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map((i) => i.split(':')[0]).sort(), ['SIGIL_MAX_EVENT_LOOP_DELAY_MS', 'SIGIL_MAX_IN_FLIGHT'])
    return true
  })
})
