/**
 * `npx tsx bench/presentations.ts`: presentations verified per second, same machine, same run:
 *   - offline: credentials' verifyPresentation (what a relying app imports), with the checks the server makes:
 *     issuer signature and trust, vct, expiry, strict disclosures, KB-JWT (nonce, aud, sd_hash, fresh iat), only
 *     the asked claims disclosed, and the status list (verified once, then cached for its ttl)
 *   - server: POST /v1/presentations/verify on a Sigil process (SQLite) over HTTP keep-alive: the same checks,
 *     plus API-key lookup, the app's Cedar disclosure policy and an audit-log write per call
 *   - reference: @sd-jwt/sd-jwt-vc verify of the same presentations with Web Crypto callbacks: issuer signature,
 *     KB-JWT (keyBindingNonce, sd_hash), expiry, and its status-list check (the token is handed over from memory,
 *     so it is only re-verified, never fetched); issuer key imported once, holder key per presentation
 * Also both verifiers on presentations without a status list. 64 holders, one credential each, issued with the
 * server's own issuer key (read from the key directory it is started with) for age 18 + sanctions screening.
 * Prints a table; asserts nothing. The machine is shared: figures move with whatever else runs.
 *
 *   tsx bench/presentations.ts [--seconds 3] [--warmup 1] [--concurrency 16] [--quick] [--cpu-prof]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import type { JWK } from 'jose'
import { Pool } from 'undici'
import {
  createLocalSigner, decodeBase64url, didWebFromUrl, encodeBase64url, generateKeyPair, issueKycSdJwtVc, kycVct, presentSdJwtVc, verifyPresentation,
  type ClaimPath, type VerifyPresentationOptions,
} from '../credentials/index.ts'
import { createApiClient } from '../server/clients/index.ts'
import { openKeyRing } from '../server/keys/index.ts'
import { openSqliteStore } from '../server/store/index.ts'
import { freePort, machineBusySeconds, startServer, treeCpuSeconds } from './procs.ts'
import { reportRows } from './report.ts'
import { root } from './targets.ts'
import { closedLoopRate } from './stats.ts'

const { values: args } = parseArgs({ options: {
  seconds: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1' }, concurrency: { type: 'string', default: '16' },
  quick: { type: 'boolean', default: false }, 'cpu-prof': { type: 'boolean', default: false },
} })
const seconds = args.quick ? 1 : Number(args.seconds)
const warmup = args.quick ? 0.5 : Number(args.warmup)
const concurrency = Number(args.concurrency)
if (![seconds, warmup, concurrency].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write('usage: tsx bench/presentations.ts [--seconds 3] [--warmup 1] [--concurrency 16] [--quick] [--cpu-prof]\n')
  process.exit(2)
}
const log = (s: string): void => void process.stderr.write(s + '\n')
const enc = new TextEncoder()

const rate = (name: string, op: () => Promise<unknown>): Promise<number> => closedLoopRate(name, op, { concurrency, warmupSeconds: warmup, seconds })

const SUBJECT = {
  kyc_level: 'standard', trust_framework: 'de_aml', verification_time: '2026-02-27T09:30:00Z',
  given_name: 'Erika', family_name: 'Mustermann', birthdate: '1990-08-12', nationalities: ['DE'],
  address: { street_address: 'Heidestraße 17', locality: 'Köln', postal_code: '51147', country: 'DE' },
  sanctions_screened: true, pep_screened: true,
}
const ASKED = ['age_equal_or_over.18', 'sanctions_screened']
const ASKED_PATHS: ClaimPath[] = ASKED.map((c) => c.split('.'))
const NONCE = 'bench-presentation-nonce-0123'
const POOL = 64

async function main(): Promise<void> {
  // ---- a Sigil process with a key directory this script can read, and a relying app
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-presentations-'))
  const port = await freePort()
  const publicUrl = `http://localhost:${port}`
  const ring = await openKeyRing({ dir, createIfMissing: true, retainSeconds: 600, now: Date.now })
  const store = openSqliteStore({ path: path.join(dir, 'sigil.db') })
  const relyingApp = await createApiClient(store, 'bench-exchange', ['relying-app'], Date.now())
  await store.close()
  const server = await startServer({ name: 'sigil', script: 'server/main.ts', port, cwd: root, readyPath: '/readyz',
    nodeArgs: args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'profiles', 'presentations')}`] : [],
    env: { PORT: String(port), HOST: '127.0.0.1', SIGIL_DATA_DIR: dir, SIGIL_KEYS_DIR: dir, SIGIL_ORIGINS: publicUrl, SIGIL_RP_ID: 'localhost',
      SIGIL_LOG_LEVEL: 'warn', SIGIL_RATE_LIMIT_PER_MINUTE: '100000000', NODE_ENV: 'production',
      // Peak throughput, as the references (which have no admission control) measure it: the utilization limit,
      // which keeps latency down under overload by shedding, is off here (bench/overload.ts measures it).
      SIGIL_ADMISSION_UTILIZATION: '0' } })
  const pool = new Pool(server.url, { connections: concurrency, pipelining: 1 })
  try {
    // ---- credentials as the server issues them: its did:web, its key, its vct and status list 1
    const did = didWebFromUrl(publicUrl.replace(/^http:/, 'https:'))
    const vct = kycVct(publicUrl)
    const active = ring.signer()
    const issuer = { alg: active.alg, kid: `${did}#${active.kid}`, sign: (d: Uint8Array) => active.sign(d) }
    const issuerJwk = ring.jwks().keys[0]!
    const statusUri = `${publicUrl}/status-lists/1`
    const now = new Date()
    const presentations = (withStatus: boolean) => Promise.all(Array.from({ length: POOL }, async (_, i) => {
      const holderKey = await generateKeyPair('ES256')
      const credential = await issueKycSdJwtVc(SUBJECT, { signer: issuer, issuer: did, issuerUrl: publicUrl, holderJwk: holderKey.publicJwk, now,
        ...(withStatus ? { status: { idx: 1000 + i, uri: statusUri } } : {}) })
      return presentSdJwtVc(credential, { disclose: ASKED_PATHS,
        keyBinding: { holder: await createLocalSigner(holderKey.privateJwk), nonce: NONCE, audience: relyingApp.client.id, now } })
    }))
    const withStatus = await presentations(true)
    const bare = await presentations(false)
    const statusToken = await (await fetch(`${server.url}/status-lists/1`)).text()

    // ---- offline: the relying app's own trust list (the issuer's key pinned), status token from its cache
    const offline: Omit<VerifyPresentationOptions, 'now'> = {
      trustedIssuers: [{ issuer: did, vcts: [vct], keys: [issuerJwk] }],
      // Fetched from the server when the cached one has passed its ttl (verifiers refuse an older token), as a
      // relying app would: once a minute, not per presentation.
      fetchStatusList: async () => (await fetch(`${server.url}/status-lists/1`)).text(),
      expectedNonce: NONCE, expectedAudience: relyingApp.client.id, expectedVct: vct, expectedClaims: ASKED_PATHS,
    }
    const verifyOffline = (p: string) => verifyPresentation(p, { ...offline, now: new Date() })

    // ---- server endpoint
    const body = (p: string) => JSON.stringify({ presentation: p, nonce: NONCE, claims: ASKED })
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${relyingApp.key}` }
    const verifyServer = async (p: string) => {
      const res = await pool.request({ path: '/v1/presentations/verify', method: 'POST', headers, body: body(p) })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new Error(`server ${res.statusCode} ${text}`)
    }

    // ---- @sd-jwt/sd-jwt-vc with Web Crypto callbacks
    const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    const importKey = (jwk: JWK) => {
      const { kid: _k, alg: _a, use: _u, ...pub } = jwk
      return crypto.subtle.importKey('jwk', pub as JsonWebKey, ecdsa, false, ['verify'])
    }
    const issuerKey = await importKey(issuerJwk)
    const check = (key: CryptoKey, data: string, sig: string) => crypto.subtle.verify(ecdsa, key, decodeBase64url(sig) as Uint8Array<ArrayBuffer>, enc.encode(data))
    const reference = new SDJwtVcInstance({
      hasher: async (data: string | ArrayBuffer) => new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? enc.encode(data) : data)),
      hashAlg: 'sha-256',
      saltGenerator: () => encodeBase64url(crypto.getRandomValues(new Uint8Array(16))),
      verifier: (data: string, sig: string) => check(issuerKey, data, sig),
      kbVerifier: async (data: string, sig: string, payload: { cnf?: { jwk?: JWK } }) => check(await importKey(payload.cnf!.jwk!), data, sig),
      statusListFetcher: async () => statusToken,
    })
    const verifyReference = (p: string) => reference.verify(p, { currentDate: Math.floor(Date.now() / 1000), keyBindingNonce: NONCE })

    // Every input is valid for all three before anything is timed.
    for (const p of withStatus) await Promise.all([verifyOffline(p), verifyServer(p), verifyReference(p)])
    for (const p of bare) await Promise.all([verifyOffline(p), verifyReference(p)])

    const cycle = (items: string[]) => {
      let i = 0
      return () => items[i++ % items.length]!
    }
    const [a, b] = [cycle(withStatus), cycle(bare)]
    const load0 = os.loadavg()[0]!
    const busy0 = machineBusySeconds()
    const wall0 = performance.now()
    log(`presentations bench: ${seconds} s per figure after ${warmup} s warm-up, ${concurrency} in flight, ${os.cpus().length} cores, load ${load0.toFixed(2)}${args.quick ? ' (--quick)' : ''}`)
    const offlineStatus = await rate('offline verifyPresentation (status)', () => verifyOffline(a()))
    const refStatus = await rate('@sd-jwt/sd-jwt-vc verify (status)', () => verifyReference(a()))
    const cpu0 = treeCpuSeconds(server.child.pid!)
    const t0 = performance.now()
    const serverStatus = await rate('server POST /v1/presentations/verify (status)', () => verifyServer(a()))
    const serverCores = (treeCpuSeconds(server.child.pid!) - cpu0) / ((performance.now() - t0) / 1000)
    const offlineBare = await rate('offline verifyPresentation (no status)', () => verifyOffline(b()))
    const refBare = await rate('@sd-jwt/sd-jwt-vc verify (no status)', () => verifyReference(b()))
    const offlineAgain = await rate('offline verifyPresentation (status, again)', () => verifyOffline(a()))
    const busyCores = (machineBusySeconds() - busy0) / ((performance.now() - wall0) / 1000)

    const rows: [string, number, number][] = [
      ['offline, KB + status list', offlineStatus, refStatus],
      ['offline, KB, no status', offlineBare, refBare],
      ['server endpoint (HTTP), KB + status list', serverStatus, refStatus],
      ['server endpoint (HTTP) vs reference, no status', serverStatus, refBare],
    ]
    process.stdout.write(`\n${'presentations verified/s'.padEnd(44)}${'Sigil'.padStart(8)}  ${'@sd-jwt/sd-jwt-vc'.padStart(18)}  ratio\n`)
    for (const [figure, sigil, ref] of rows) {
      process.stdout.write(`${figure.padEnd(44)}${sigil.toFixed(0).padStart(8)}  ${ref.toFixed(0).padStart(18)}  ${(sigil / ref).toFixed(2)}x\n`)
    }
    const goal = (s: number, r: number) => ({ text: '>= 1.5x sd-jwt-js', met: s >= 1.5 * r })
    const ref = (value: number) => ({ name: '@sd-jwt/sd-jwt-vc', value })
    reportRows([
      { figure: 'presentations verified/s, offline (KB + status)', sigil: offlineStatus, unit: '/s', reference: ref(refStatus), goal: goal(offlineStatus, refStatus) },
      { figure: 'presentations verified/s, offline (KB, no status)', sigil: offlineBare, unit: '/s', reference: ref(refBare), goal: goal(offlineBare, refBare) },
      { figure: 'presentations verified/s, server HTTP (KB + status)', sigil: serverStatus, unit: '/s', reference: ref(refStatus), goal: goal(serverStatus, refStatus) },
      // Like for like on the status list: the reference re-verifies and re-inflates it on every call.
      { figure: 'presentations verified/s, server HTTP vs ref. without status', sigil: serverStatus, unit: '/s', reference: ref(refBare), goal: goal(serverStatus, refBare) },
    ])
    const drift = Math.abs(offlineAgain - offlineStatus) / offlineStatus
    process.stdout.write(`\nOffline verify measured twice: ${offlineStatus.toFixed(0)} and ${offlineAgain.toFixed(0)}/s (${(drift * 100).toFixed(0)} % apart). `
      + `The server used ${serverCores.toFixed(2)} cores during its figure, ${(serverCores / serverStatus * 1000).toFixed(2)} ms of CPU per verification (this process, sending, shares the machine). `
      + `Machine: ${os.cpus().length} cores, load ${load0.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}, ${busyCores.toFixed(2)} cores busy on average.\n`)
  } finally {
    await pool.close()
    await server.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
