import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { presentSdJwtVc, signJws, type ClaimPath } from '../../credentials/index.ts'
import { createApiClient } from '../clients/index.ts'
import { TestClient } from '../testing/index.ts'
import { createOffer, receiveCredential, startKycWorld, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

/**
 * A dishonest holder against the server's verifier (POST /v1/presentations/verify): a real credential Sigil issued
 * over OpenID4VCI, edited by its holder, who signs a fresh, valid KB-JWT over whatever it presents. Whatever the
 * holder changes must be refused: the disclosures are the issuer's word, not the holder's.
 */

/** Real KYC data of a subject who is not sanctions-screened: what a dishonest holder would like to hide. */
const KYC_UNSCREENED = {
  kyc_level: 'standard', trust_framework: 'de_aml', verification_time: '2026-11-20T10:00:00Z', given_name: 'Max', family_name: 'Muster',
  birthdate: '1990-01-01', nationalities: ['DE'], address: { street_address: 'Weg 1', locality: 'Köln', postal_code: '50667', country: 'DE' },
  sanctions_screened: false, pep_screened: true,
}
let w: KycWorld
let rp: Record<string, string>
let appId: string
let holding: Awaited<ReturnType<typeof receiveCredential>>
before(async () => {
  w = await startKycWorld()
  const c = await createApiClient(w.app.deps.store, 'sdjwt-rp', ['relying-app'], w.app.clock.now())
  rp = { authorization: `Bearer ${c.key}` }
  appId = c.client.id
  holding = await receiveCredential(w, (await createOffer(w, await submitSubject(w, KYC_UNSCREENED))).offerUri)
})
after(() => w.close())

const NONCE = 'sdjwt-nonce-0123456789'
const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const unb64u = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString())

/** The holder's key-binding JWT with `sd_hash` over `sdJwt` (ending in `~`), for this app and nonce. */
async function kbJwt(sdJwt: string): Promise<string> {
  return signJws(holding.holder.signer, 'kb+jwt', {
    iat: Math.floor(w.app.clock.now() / 1000), aud: appId, nonce: NONCE, sd_hash: createHash('sha256').update(sdJwt).digest('base64url'),
  }, { kid: undefined })
}

/** The issuer JWT and the disclosures an honest presentation of `disclose` carries. */
async function honest(disclose: ClaimPath[]): Promise<{ jwt: string; disclosures: string[] }> {
  const p = await presentSdJwtVc(holding.credential, { disclose, keyBinding: { holder: holding.holder.signer, nonce: NONCE, audience: appId, now: new Date(w.app.clock.now()) } })
  const [jwt, ...rest] = p.split('~')
  return { jwt: jwt!, disclosures: rest.slice(0, -1) }
}

async function verify(jwt: string, disclosures: string[], claims: string[], kb?: (sdJwt: string) => Promise<string>) {
  const sdJwt = `${jwt}~${disclosures.map((d) => `${d}~`).join('')}`
  const r = await new TestClient(w.app.url).post('/v1/presentations/verify', { presentation: sdJwt + await (kb ?? kbJwt)(sdJwt), nonce: NONCE, claims }, rp)
  return { status: r.status, reason: r.body.reason ?? r.body.code, body: r.body }
}

test('SD-JWT honest presentation of the credential under attack is accepted (control)', async () => {
  const { jwt, disclosures } = await honest([['sanctions_screened']])
  const r = await verify(jwt, disclosures, ['sanctions_screened'])
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.deepEqual(r.body.claims, { sanctions_screened: false })
})

test('SD-JWT tampered disclosure: the holder flips sanctions_screened to true, re-encodes it and signs a valid KB-JWT: refused', async () => {
  const { jwt, disclosures } = await honest([['sanctions_screened']])
  const [salt, name] = unb64u(disclosures[0]!)
  assert.equal(name, 'sanctions_screened')
  const r = await verify(jwt, [b64u([salt, name, true])], ['sanctions_screened'])
  assert.equal(r.status, 422, JSON.stringify(r.body))
  assert.equal(r.reason, 'disclosure_unreferenced')
  // A made-up disclosure with a fresh salt fares no better.
  const invented = await verify(jwt, [b64u([randomBytes(16).toString('base64url'), 'sanctions_screened', true])], ['sanctions_screened'])
  assert.equal(invented.reason, 'disclosure_unreferenced')
})

test('SD-JWT duplicate disclosure: one genuine disclosure sent twice is refused', async () => {
  const { jwt, disclosures } = await honest([['sanctions_screened']])
  const r = await verify(jwt, [disclosures[0]!, disclosures[0]!], ['sanctions_screened'])
  assert.equal(r.status, 422, JSON.stringify(r.body))
  assert.equal(r.reason, 'disclosure_duplicated')
})

test('SD-JWT _sd inside a disclosure: a holder-made disclosure that hides digests under _sd or ... is refused', async () => {
  const { jwt, disclosures } = await honest([['sanctions_screened']])
  const salt = () => randomBytes(16).toString('base64url')
  for (const forged of [[salt(), '_sd', [disclosures[0]]], [salt(), 'extra', { _sd: ['x'] }], [salt(), '...', true]]) {
    const r = await verify(jwt, [...disclosures, b64u(forged)], ['sanctions_screened'])
    assert.equal(r.status, 422, `${JSON.stringify(forged)}: ${JSON.stringify(r.body)}`)
    assert.match(r.reason, /^disclosure_(unreferenced|reserved_name|malformed)$/)
  }
})

test('SD-JWT wrong sd_hash: a KB-JWT over other disclosures, or over the issuer JWT alone, is refused', async () => {
  const { jwt, disclosures } = await honest([['sanctions_screened'], ['pep_screened']])
  const claims = ['sanctions_screened', 'pep_screened']
  // A KB-JWT from a presentation that disclosed less, moved onto one that discloses more.
  const narrower = `${jwt}~${disclosures[0]}~`
  const r = await verify(jwt, disclosures, claims, () => kbJwt(narrower))
  assert.equal(r.status, 422, JSON.stringify(r.body))
  assert.equal(r.reason, 'sd_hash_mismatch')
  const bare = await verify(jwt, disclosures, claims, () => kbJwt(`${jwt}~`))
  assert.equal(bare.reason, 'sd_hash_mismatch')
})
