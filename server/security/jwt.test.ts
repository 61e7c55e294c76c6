import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose'
import { AUDIENCE, makeWorld, type World } from '../../credentials/testing/index.ts'
import { createApiClient } from '../clients/index.ts'
import { TestClient } from '../testing/index.ts'
import { startKycWorld, type KycWorld } from '../testing/kycHarness.ts'
import { HOSTILE_KIDS, hs256WithPublicKey, keyInjectionHeaders, partsOf, unsigned } from './forge.ts'
import { tokenTargets, type Claims, type Target } from './tokenTargets.ts'

/**
 * Attacks on every JWS Sigil verifies (see tokenTargets.ts), each against the real verifier. Every attack first
 * shows the honest token is accepted, so a refusal means the attack was refused and not that the setup is broken.
 */

let w: KycWorld
let world: World
let attacker: { privateKey: CryptoKey; publicJwk: JWK }
let targets: Target[]

/** Signs with the attacker's own ES256 key and any header he likes. */
async function attackerSigned(header: Record<string, unknown>, payload: Claims): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ ...header, alg: 'ES256' }).sign(attacker.privateKey)
}

before(async () => {
  w = await startKycWorld()
  world = await makeWorld()
  const pair = await generateKeyPair('ES256', { extractable: true })
  attacker = { privateKey: pair.privateKey as CryptoKey, publicJwk: await exportJWK(pair.publicKey) }
  targets = await tokenTargets(w, world)
})
after(() => w.close())

/** The honest token passes: without this, every refusal below would prove nothing. */
async function assertHonestAccepted(t: Target): Promise<Claims> {
  const claims = await t.claims()
  assert.equal(await t.verdict(await t.sign(claims)), 'accepted', `${t.name}: the honest token`)
  return t.claims()
}

async function assertRefused(t: Target, token: string, what: string): Promise<void> {
  const v = await t.verdict(token)
  assert.match(v, /^refused /, `${t.name}, ${what}: ${v}`)
}

test('JWT alg none: an unsigned token of every kind Sigil verifies is refused (none, None, NONE)', async () => {
  for (const t of targets) {
    const claims = await assertHonestAccepted(t)
    for (const alg of ['none', 'None', 'NONE']) await assertRefused(t, unsigned(t.header(), claims, alg), `alg ${alg}`)
    // Also with the honest signature left on: the header no longer matches what was signed.
    const honest = (await t.sign(await t.claims())).split('.')
    await assertRefused(t, `${unsigned(t.header(), partsOf(honest.join('.')).payload)}${honest[2]}`, 'alg none with a signature')
  }
})

test('JWT algorithm confusion: HS256 signed with the verifier\'s public key (PEM or JWK) is refused for every token kind', async () => {
  for (const t of targets) {
    const claims = await assertHonestAccepted(t)
    for (const forged of await hs256WithPublicKey(t.header(), claims, t.publicJwk)) await assertRefused(t, forged, 'HS256 with the public key')
  }
})

test('JWT aud arrays: a token whose aud is an array that does not name this verifier is refused; KB-JWT aud must be a single string', async () => {
  for (const t of targets.filter((x) => x.name !== 'status list token' && x.name !== 'SD-JWT VC issuer JWT')) {
    const claims = await assertHonestAccepted(t)
    const mine = claims.aud
    for (const aud of [['https://attacker.example'], [], [String(mine) + '/'], [[mine]]]) {
      await assertRefused(t, await t.sign({ ...claims, aud }), `aud ${JSON.stringify(aud)}`)
    }
  }
  // RFC 9901 §4.3: the KB-JWT aud is one string; an array, even naming this verifier, is not a KB-JWT.
  const kb = targets.find((x) => x.name === 'KB-JWT')!
  await assertRefused(kb, await kb.sign({ ...await kb.claims(), aud: [AUDIENCE] }), 'aud [verifier]')
  await assertRefused(kb, await kb.sign({ ...await kb.claims(), aud: [AUDIENCE, 'https://other.example'] }), 'aud [verifier, other]')
  // Sigil's own tokens carry a single-string aud, so no token it signs is good at two signing services.
  const approval = targets.find((x) => x.name.startsWith('approval'))!
  assert.equal(typeof (await approval.claims()).aud, 'string')
})

test('JWT expired: an honestly signed but expired token of every kind is refused', async () => {
  for (const t of targets) {
    const claims = await assertHonestAccepted(t)
    await assertRefused(t, await t.sign(t.expire(claims)), 'expired')
  }
})

test('JWT kid injection: a kid naming a file, a URL or the attacker\'s key, and jku/x5u/jwk headers, are never followed', async () => {
  for (const t of targets) {
    const claims = await assertHonestAccepted(t)
    const honest = t.header()
    for (const kid of HOSTILE_KIDS) await assertRefused(t, await attackerSigned({ ...honest, kid }, claims), `kid ${JSON.stringify(kid)}`)
    // The honest kid (or none), with the attacker's key offered in every header that can carry one.
    for (const extra of keyInjectionHeaders(attacker.publicJwk)) {
      if (t.name === 'OpenID4VCI key proof') {
        // A proof's key *is* its jwk header (proof of possession): a key named any other way is refused.
        if (Object.keys(extra).length === 1 && 'jwk' in extra) continue
        const { jwk: _jwk, ...byReference }: Record<string, unknown> = { ...honest, ...extra }
        await assertRefused(t, await attackerSigned(byReference, claims), `key by reference ${JSON.stringify(Object.keys(extra))}`)
        continue
      }
      await assertRefused(t, await attackerSigned({ ...honest, ...extra, kid: honest.kid }, claims), `header ${JSON.stringify(Object.keys(extra))}`)
    }
  }
})

test('JWT oversized tokens: access tokens over 4 kB, approval tokens and key proofs over 8 kB, presentations over 64 kB are refused before verification', async () => {
  const [access, approval, , proof] = targets
  const pad = (n: number) => 'x'.repeat(n)
  // Honestly signed, so only the size can be the reason.
  const bigAccess = await access!.sign({ ...await access!.claims(), pad: pad(4200) })
  assert.equal(await access!.verdict(bigAccess), 'refused 401 unauthenticated')
  const api = new TestClient(w.app.url, '')
  const huge = await api.get('/v1/me', { authorization: `Bearer ${pad(20_000)}` })
  assert.ok(huge.status === 401 || huge.status === 431, `20 kB Authorization header: ${huge.status}`)

  const hsm = await createApiClient(w.app.deps.store, 'jwt-hsm-big', ['signing-service'], w.app.clock.now())
  const bigApproval = await approval!.sign({ ...await approval!.claims(), pad: pad(9000) })
  const redeem = await api.post('/v1/approvals/apr_x/redeem', { token: bigApproval }, { authorization: `Bearer ${hsm.key}` })
  assert.equal(redeem.status, 400, JSON.stringify(redeem.body))
  assert.equal(redeem.body.code, 'request_invalid')
  assert.match(String(redeem.body.field), /token/, 'the token is what is refused')

  assert.match(await proof!.verdict(await proof!.sign({ ...await proof!.claims(), pad: pad(9000) })), /^refused 400 /)

  const app = await createApiClient(w.app.deps.store, 'jwt-rp', ['relying-app'], w.app.clock.now())
  const rp = { authorization: `Bearer ${app.key}` }
  const bigPresentation = await api.post('/v1/presentations/verify', { presentation: pad(64_100), nonce: 'n'.repeat(16), claims: ['age_over_18'] }, rp)
  assert.equal(bigPresentation.status, 400, JSON.stringify(bigPresentation.body))
  const overBodyLimit = await api.post('/v1/presentations/verify', { presentation: pad(200_000), nonce: 'n'.repeat(16), claims: ['age_over_18'] }, rp)
  assert.equal(overBodyLimit.status, 413, JSON.stringify(overBodyLimit.body))
})
