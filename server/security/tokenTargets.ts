import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import type { JWK } from 'jose'
import {
  CredentialError, createSdJwtVcVerifier, signJws, STATUS_LIST_TYP, type SdJwtVcVerifier,
} from '../../credentials/index.ts'
import { AUDIENCE, NONCE, NOW, type World } from '../../credentials/testing/index.ts'
import { createReferenceSigner } from '../../examples/signer/signer.ts'
import { APPROVAL_TOKEN_TYP, verifyApprovalToken } from '../approvals/index.ts'
import { createApiClient } from '../clients/index.ts'
import { signJwt } from '../keys/index.ts'
import { createSoftAuthenticator, signUp, TestClient } from '../testing/index.ts'
import { createOffer, credentialRequest, ISSUER, makeHolder, nonce, submitSubject, tokenRequest, type KycWorld } from '../testing/kycHarness.ts'
import { partsOf } from './forge.ts'

/**
 * Every kind of JWS Sigil verifies, as a target for the attacks in jwt.test.ts, each with its real verifier:
 * access tokens (Bearer on the API), approval tokens (Sigil's redeem check and the reference signer in
 * examples/signer), OpenID4VCI key proofs (POST /credential), and, in credentials/, status list tokens, KB-JWTs and
 * the SD-JWT VC issuer JWT. Test-only.
 */

export type Claims = Record<string, unknown>

export interface Target {
  name: string
  typ: string
  /** The public key a confused verifier would use as an HMAC secret. */
  publicJwk: JWK
  /** Fresh honest claims. */
  claims(): Promise<Claims>
  /** Signs with the honest key (Sigil's for its tokens, the holder's for proofs and KB-JWTs). */
  sign(payload: Claims): Promise<string>
  /** The honest header (typ, kid or jwk), without alg. */
  header(): Record<string, unknown>
  /** 'accepted', or what the refusal said. */
  verdict(token: string): Promise<string>
  /** The claims changed so the token has expired. */
  expire(c: Claims): Claims
}

const refusal = (err: unknown): string => {
  const e = err as { code?: string; status?: number }
  return `refused ${e.code ?? String(err)}`
}

async function accessTokenTarget(w: KycWorld): Promise<Target> {
  const seconds = () => Math.floor(w.app.clock.now() / 1000)
  const browser = new TestClient(w.app.url)
  await signUp(browser, createSoftAuthenticator(), 'jwt-access')
  const api = new TestClient(w.app.url, '')
  const signer = w.app.deps.keys.signer()
  return {
    name: 'access token', typ: 'at+jwt', publicJwk: signer.publicJwk,
    async claims() {
      const t = await browser.post('/v1/sessions/token')
      assert.equal(t.status, 200)
      return partsOf(t.body.access_token).payload
    },
    sign: (payload) => signJwt(signer, 'at+jwt', payload),
    header: () => ({ typ: 'at+jwt', kid: signer.kid }),
    async verdict(token) {
      const r = await api.get('/v1/me', { authorization: `Bearer ${token}` })
      return r.status === 200 ? 'accepted' : `refused ${r.status} ${r.body?.code}`
    },
    expire: (c) => ({ ...c, iat: seconds() - 600, exp: seconds() - 1 }),
  }
}

async function approvalTargets(w: KycWorld): Promise<Target[]> {
  const seconds = () => Math.floor(w.app.clock.now() / 1000)
  const s = await createApiClient(w.app.deps.store, 'jwt-hsm', ['signing-service'], w.app.clock.now())
  const signer = w.app.deps.keys.signer()
  const reference = createReferenceSigner({
    sigilUrl: w.app.url, issuer: w.app.deps.config.publicUrl, signerId: s.client.id, apiKey: s.key, now: () => new Date(w.app.clock.now()),
  })
  const base = {
    typ: APPROVAL_TOKEN_TYP, publicJwk: signer.publicJwk,
    claims: async () => ({
      iss: w.app.deps.config.publicUrl, aud: s.client.id, sub: `apr_${randomUUID()}`, jti: randomUUID(), iat: seconds(), exp: seconds() + 300,
      intent_digest: `sha256:${'ab'.repeat(32)}`, policy_version: 'v1', approvers: ['u1', 'u2'],
    }),
    sign: (payload: Claims) => signJwt(signer, APPROVAL_TOKEN_TYP, payload),
    header: () => ({ typ: APPROVAL_TOKEN_TYP, kid: signer.kid }),
    expire: (c: Claims) => ({ ...c, iat: seconds() - 600, exp: seconds() - 1 }),
  }
  return [
    { ...base, name: 'approval token (Sigil redeem check)',
      verdict: (token) => verifyApprovalToken(w.app.deps, token, s.client.id).then(() => 'accepted', refusal) },
    { ...base, name: 'approval token (reference signer)',
      verdict: (token) => reference.verifyToken(token).then(() => 'accepted', refusal) },
  ]
}

async function proofTarget(w: KycWorld): Promise<Target> {
  const seconds = () => Math.floor(w.app.clock.now() / 1000)
  const holder = await makeHolder()
  let accessToken: string | undefined
  const newAccessToken = async (): Promise<string> => {
    const o = await createOffer(w, await submitSubject(w))
    const code = o.offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code']['pre-authorized_code']
    const r = await tokenRequest(w, { grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': code, ...(o.txCode ? { tx_code: o.txCode } : {}) })
    assert.equal(r.status, 200)
    return (await r.json()).access_token
  }
  return {
    name: 'OpenID4VCI key proof', typ: 'openid4vci-proof+jwt', publicJwk: holder.publicJwk,
    claims: async () => ({ aud: ISSUER, iat: seconds(), nonce: await nonce(w) }),
    sign: (payload) => holder.proof(payload),
    header: () => ({ typ: 'openid4vci-proof+jwt', jwk: holder.publicJwk }),
    async verdict(jwt) {
      accessToken ??= await newAccessToken()
      const r = await credentialRequest(w, accessToken, { credential_configuration_id: 'kyc_sd_jwt', proofs: { jwt: [jwt] } })
      const body = await r.json()
      if (r.status !== 200) return `refused ${r.status} ${body.error}`
      accessToken = undefined // one credential per access token
      return 'accepted'
    },
    expire: (c) => ({ ...c, iat: seconds() - 3600 }),
  }
}

/** The SD-JWT VC verifier a relying app runs offline, with a status fetcher that serves `statusToken`. */
async function verifyWith(world: World, statusToken: () => Promise<string>, presentation: string): Promise<string> {
  const verifier: SdJwtVcVerifier = createSdJwtVcVerifier({ trustedIssuers: world.trustedIssuers, fetchStatusList: () => statusToken() })
  return verifier.verify(presentation, { now: NOW, expectedNonce: NONCE, expectedAudience: AUDIENCE })
    .then(() => 'accepted', (err) => err instanceof CredentialError ? `refused ${err.code}` : `threw ${String(err)}`)
}

async function credentialTargets(world: World): Promise<Target[]> {
  const presentation = await world.present([['given_name']])
  const sdJwt = presentation.slice(0, presentation.lastIndexOf('~') + 1)
  const kbJwt = presentation.slice(presentation.lastIndexOf('~') + 1)
  const seconds0 = Math.floor(NOW.getTime() / 1000)
  const issuerJwt = world.credential.slice(0, world.credential.indexOf('~'))
  const issuerHeader = partsOf(issuerJwt).header
  return [
    {
      name: 'status list token', typ: STATUS_LIST_TYP, publicJwk: world.issuerKey.publicJwk,
      claims: async () => partsOf(await world.statusToken()).payload,
      sign: (payload) => signJws(world.issuer, STATUS_LIST_TYP, payload),
      header: () => ({ typ: STATUS_LIST_TYP, kid: world.issuer.kid }),
      verdict: (token) => verifyWith(world, async () => token, presentation),
      expire: (c) => ({ ...c, iat: seconds0 - 86_400, exp: seconds0 - 3600 }),
    },
    {
      name: 'KB-JWT', typ: 'kb+jwt', publicJwk: world.holderKey.publicJwk,
      claims: async () => partsOf(kbJwt).payload,
      sign: (payload) => signJws(world.holder, 'kb+jwt', payload, { kid: undefined }),
      header: () => ({ typ: 'kb+jwt' }),
      verdict: (token) => verifyWith(world, () => world.statusToken(), sdJwt + token),
      expire: (c) => ({ ...c, iat: seconds0 - 3600 }),
    },
    {
      name: 'SD-JWT VC issuer JWT', typ: String(issuerHeader.typ), publicJwk: world.issuerKey.publicJwk,
      claims: async () => partsOf(issuerJwt).payload,
      sign: (payload) => signJws(world.issuer, String(issuerHeader.typ), payload),
      header: () => ({ ...issuerHeader, alg: undefined }),
      // The holder presents whatever issuer JWT it is given, with the same disclosure and a valid KB-JWT over it.
      verdict: async (jwt) => {
        const forged = jwt + sdJwt.slice(sdJwt.indexOf('~'))
        const kb = await signJws(world.holder, 'kb+jwt', { ...partsOf(kbJwt).payload, sd_hash: createHash('sha256').update(forged).digest('base64url') }, { kid: undefined })
        return verifyWith(world, () => world.statusToken(), forged + kb)
      },
      expire: (c) => ({ ...c, iat: seconds0 - 86_400 * 400, exp: seconds0 - 3600 }),
    },
  ]
}

/** All targets: Sigil's tokens on the KYC test app `w`, and the credentials library's on the offline `world`. */
export async function tokenTargets(w: KycWorld, world: World): Promise<Target[]> {
  return [await accessTokenTarget(w), ...await approvalTargets(w), await proofTarget(w), ...await credentialTargets(world)]
}
