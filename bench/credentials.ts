/**
 * `npx tsx bench/credentials.ts`: credential throughput in one process, same machine, same run:
 *   - SD-JWT VC issued/s: Sigil (issueKycSdJwtVc: schema check + packing + ES256) vs @sd-jwt/sd-jwt-vc issue
 *   - SD-JWT VC verified/s, KB-JWT and status list included: Sigil's verifier (keys imported once, status list
 *     cached for its ttl) vs @sd-jwt/sd-jwt-vc verify (keyBindingNonce set; its statusListFetcher returns the
 *     token from memory, so it is only re-verified, never fetched)
 *   - the same Sigil verify vs a JWT-VC verified/s with did-jwt-vc verifyCredential (did:web resolved from memory,
 *     did-resolver cache on)
 * Verification cycles through 64 presentations of 64 holders. The reference gets Web Crypto callbacks (signer,
 * hasher, verifier); it imports the issuer key once and the holder key per presentation (as its README's
 * callbacks do). Each figure runs `--seconds` after `--warmup`, `--concurrency` operations in flight. Prints a
 * table; asserts nothing.
 *
 *   tsx bench/credentials.ts [--seconds 3] [--warmup 1] [--concurrency 16]
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { verifyCredential } from 'did-jwt-vc'
import { Resolver } from 'did-resolver'
import type { JWK } from 'jose'
import {
  createDidWebDocument, createLocalSigner, createResolver, createSdJwtVcVerifier, createStatusList, createStatusListToken,
  decodeBase64url, didWebDriver, encodeBase64url, generateKeyPair, issueKycJwtVc, issueKycSdJwtVc, kycVct, parseKycSubject, presentSdJwtVc,
} from '../credentials/index.ts'
import { reportRows } from './report.ts'
import { machineBusySeconds } from './procs.ts'
import { closedLoopRate } from './stats.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
  },
})
const seconds = Number(args.seconds)
const warmup = Number(args.warmup)
const concurrency = Number(args.concurrency)
if (![seconds, warmup, concurrency].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write('usage: tsx bench/credentials.ts [--seconds 3] [--warmup 1] [--concurrency 16]\n')
  process.exit(2)
}

const enc = new TextEncoder()
const log = (s: string): void => void process.stderr.write(s + '\n')

const rate = (name: string, op: () => Promise<unknown>): Promise<number> => closedLoopRate(name, op, { concurrency, warmupSeconds: warmup, seconds })

// ---- setup: one issuer (did:web, ES256); 64 holders (ES256, as phone wallets mostly are), one credential each
const NOW = new Date('2026-03-01T12:00:00Z')
const ISSUER_URL = 'https://sigil.example'
const DID = 'did:web:sigil.example'
const VCT = kycVct(ISSUER_URL)
const NONCE = 'bench-nonce'
const AUDIENCE = 'https://relying.example'
const STATUS_URI = `${ISSUER_URL}/status-lists/1`
const SUBJECT = {
  kyc_level: 'standard', trust_framework: 'de_aml', verification_time: '2026-02-27T09:30:00Z',
  given_name: 'Erika', family_name: 'Mustermann', birthdate: '1990-08-12', nationalities: ['DE'],
  address: { street_address: 'Heidestraße 17', locality: 'Köln', postal_code: '51147', country: 'DE' },
  sanctions_screened: true, pep_screened: true,
}

const issuerKey = await generateKeyPair('ES256')
const issuer = await createLocalSigner(issuerKey.privateJwk, { kid: `${DID}#${issuerKey.kid}` })
const list = createStatusList(100_000, 2) // 25 kB of statuses: a list big enough to hide any one holder
const statusToken = await createStatusListToken({ signer: issuer, uri: STATUS_URI, issuer: DID, list, now: NOW, ttlSeconds: 3600 })
const POOL = 64

/** POOL holders, each with its own credential and presentation (age 18 + sanctions screening, KB-JWT). */
async function presentations(withStatus: boolean): Promise<string[]> {
  return Promise.all(Array.from({ length: POOL }, async (_, i) => {
    const holderKey = await generateKeyPair('ES256')
    const credential = await issueKycSdJwtVc(SUBJECT, {
      signer: issuer, issuer: DID, issuerUrl: ISSUER_URL, holderJwk: holderKey.publicJwk, now: NOW,
      ...(withStatus ? { status: { idx: i, uri: STATUS_URI } } : {}),
    })
    return presentSdJwtVc(credential, {
      disclose: [['age_equal_or_over', '18'], ['sanctions_screened']],
      keyBinding: { holder: await createLocalSigner(holderKey.privateJwk), nonce: NONCE, audience: AUDIENCE, now: NOW },
    })
  }))
}
const withStatus = await presentations(true)
const withoutStatus = await presentations(false)
const cycle = <T>(items: T[]) => {
  let i = 0
  return () => items[i++ % items.length]!
}
const holderKey = await generateKeyPair('ES256')
const issueOptions = { signer: issuer, issuer: DID, issuerUrl: ISSUER_URL, holderJwk: holderKey.publicJwk, now: NOW, status: { idx: 4711, uri: STATUS_URI } }
const didDocument = createDidWebDocument(DID, [issuerKey.publicJwk])
const fetchDid = async () => ({ status: 200, json: async () => didDocument })

// ---- Sigil
const sigilVerifier = createSdJwtVcVerifier({
  trustedIssuers: [{ issuer: DID, vcts: [VCT] }],
  resolver: createResolver({ fetch: fetchDid }),
  fetchStatusList: async () => statusToken,
})
const verifyOptions = { now: NOW, expectedNonce: NONCE, expectedAudience: AUDIENCE }

// ---- @sd-jwt/sd-jwt-vc, with Web Crypto callbacks
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const importKey = (jwk: JWK) => {
  const { kid: _k, alg: _a, ...pub } = jwk
  return crypto.subtle.importKey('jwk', pub as JsonWebKey, ecdsa, false, ['verify'])
}
const issuerCryptoKey = await importKey(issuerKey.publicJwk)
const check = (key: CryptoKey, data: string, sig: string) => crypto.subtle.verify(ecdsa, key, decodeBase64url(sig) as Uint8Array<ArrayBuffer>, enc.encode(data))
const reference = new SDJwtVcInstance({
  hasher: async (data: string | ArrayBuffer) => new Uint8Array(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? enc.encode(data) : data)),
  hashAlg: 'sha-256',
  saltGenerator: () => encodeBase64url(crypto.getRandomValues(new Uint8Array(16))),
  signer: async (data: string) => encodeBase64url(await issuer.sign(enc.encode(data))),
  signAlg: 'ES256',
  verifier: (data: string, sig: string) => check(issuerCryptoKey, data, sig),
  kbVerifier: async (data: string, sig: string, payload: { cnf?: { jwk?: JWK } }) => check(await importKey(payload.cnf!.jwk!), data, sig),
  statusListFetcher: async () => statusToken,
})
const currentDate = Math.floor(NOW.getTime() / 1000)
for (const p of [...withStatus, ...withoutStatus]) await reference.verify(p, { currentDate, keyBindingNonce: NONCE }) // same inputs are valid for both

const subject = parseKycSubject(SUBJECT, { now: NOW })
const { kid: _kid, alg: _alg, ...cnfJwk } = holderKey.publicJwk
const referencePayload = {
  iss: DID, vct: VCT, iat: currentDate, exp: currentDate + 365 * 86_400, cnf: { jwk: cnfJwk },
  status: { status_list: { idx: 4711, uri: STATUS_URI } }, ...subject,
}
const referenceFrame = {
  _sd: ['given_name', 'family_name', 'birthdate', 'nationalities', 'sanctions_screened', 'pep_screened'], _sd_decoy: 3,
  address: { _sd: ['street_address', 'locality', 'postal_code', 'country'], _sd_decoy: 1 },
  age_equal_or_over: { _sd: ['18', '21'], _sd_decoy: 1 },
}

// ---- did-jwt-vc
const jwtVcs = await Promise.all(Array.from({ length: POOL }, () => issueKycJwtVc(SUBJECT, { signer: issuer, issuerDid: DID, issuerUrl: ISSUER_URL, now: NOW })))
const cachedResolver = new Resolver(didWebDriver({ fetch: fetchDid }), { cache: true })
const policies = { now: currentDate }

// ---- run
const load0 = os.loadavg()[0]!
const busy0 = machineBusySeconds()
const wall0 = performance.now()
log(`credentials bench: ${seconds} s per figure after ${warmup} s warm-up, ${concurrency} in flight, ${os.cpus().length} cores, load ${load0.toFixed(2)}`)
const sigilIssue = await rate('Sigil issue', () => issueKycSdJwtVc(SUBJECT, issueOptions))
const refIssue = await rate('@sd-jwt/sd-jwt-vc issue', () => reference.issue(referencePayload, referenceFrame as never, { header: { typ: 'dc+sd-jwt', kid: issuer.kid } }))
const nextStatus = cycle(withStatus)
const nextBare = cycle(withoutStatus)
const nextJwtVc = cycle(jwtVcs)
const sigilVerify = await rate('Sigil verify (status)', () => sigilVerifier.verify(nextStatus(), verifyOptions))
const refVerify = await rate('@sd-jwt/sd-jwt-vc verify (status)', () => reference.verify(nextStatus(), { currentDate, keyBindingNonce: NONCE }))
const sigilBare = await rate('Sigil verify (no status)', () => sigilVerifier.verify(nextBare(), verifyOptions))
const refBare = await rate('@sd-jwt/sd-jwt-vc verify (no status)', () => reference.verify(nextBare(), { currentDate, keyBindingNonce: NONCE }))
const jwtVerify = await rate('did-jwt-vc verifyCredential', () => verifyCredential(nextJwtVc(), cachedResolver, { policies }))
const sigilVerify2 = await rate('Sigil verify (status, again)', () => sigilVerifier.verify(nextStatus(), verifyOptions))
const busyCores = (machineBusySeconds() - busy0) / ((performance.now() - wall0) / 1000)

const rows: [string, number, string, number][] = [
  ['SD-JWT VC issued/s', sigilIssue, '@sd-jwt/sd-jwt-vc', refIssue],
  ['SD-JWT VC verified/s, KB + status list', sigilVerify, '@sd-jwt/sd-jwt-vc', refVerify],
  ['SD-JWT VC verified/s, KB, no status', sigilBare, '@sd-jwt/sd-jwt-vc', refBare],
  ['verified/s (KB + status) vs JWT-VC', sigilVerify, 'did-jwt-vc', jwtVerify],
]
const pad = (s: string, n: number) => s.padEnd(n)
const num = (n: number) => n.toFixed(0).padStart(8)
process.stdout.write(`\n${pad('figure', 40)}${'Sigil'.padStart(8)}  ${pad('reference', 20)}${'ref'.padStart(8)}  ratio\n`)
for (const [figure, sigil, refName, ref] of rows) {
  process.stdout.write(`${pad(figure, 40)}${num(sigil)}  ${pad(refName, 20)}${num(ref)}  ${(sigil / ref).toFixed(2)}x\n`)
}
reportRows([
  { figure: 'SD-JWT VC issued/s', sigil: sigilIssue, unit: '/s', reference: { name: '@sd-jwt/sd-jwt-vc', value: refIssue } },
  { figure: 'SD-JWT VC verified/s (KB, cached status list)', sigil: sigilVerify, unit: '/s', reference: { name: '@sd-jwt/sd-jwt-vc', value: refVerify },
    goal: { text: '>= 1.5x sd-jwt-js', met: sigilVerify >= 1.5 * refVerify } },
  { figure: 'SD-JWT VC verified/s (KB, no status)', sigil: sigilBare, unit: '/s', reference: { name: '@sd-jwt/sd-jwt-vc', value: refBare } },
  { figure: 'verified/s vs JWT-VC verify', sigil: sigilVerify, unit: '/s', reference: { name: 'did-jwt-vc', value: jwtVerify },
    goal: { text: '>= 15x did-jwt-vc', met: sigilVerify >= 15 * jwtVerify } },
])
const drift = Math.abs(sigilVerify2 - sigilVerify) / sigilVerify
process.stdout.write(`\nSigil verify measured twice: ${sigilVerify.toFixed(0)} and ${sigilVerify2.toFixed(0)}/s (${(drift * 100).toFixed(0)} % apart). `
  + `Machine: ${os.cpus().length} cores, load ${load0.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)}, ${busyCores.toFixed(2)} cores busy on average during the run.\n`)
