import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { clientAuthenticationAnonymous, type Jwk } from '@openid4vc/oauth2'
import { Openid4vciClient } from '@openid4vc/openid4vci'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { createResolver, type Signer } from '../../credentials/index.ts'
import { createApiClient } from '../clients/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TestClient, type TestApp } from './index.ts'

/** The issuer's public URL in these tests: https, so did:web and the wallet library's https checks apply as in production. */
export const ISSUER = 'https://issuer.test'

export const KYC_DATA = {
  kyc_level: 'standard', trust_framework: 'de_aml', verification_time: '2026-11-20T10:00:00Z',
  given_name: 'Erika', family_name: 'Mustermann', birthdate: '1984-08-12', nationalities: ['DE'],
  address: { street_address: 'Heidestraße 17', locality: 'Köln', postal_code: '51147', country: 'DE' },
  sanctions_screened: true, pep_screened: true,
}

export interface KycWorld {
  app: TestApp
  officer: TestClient
  vendorKey: string
  /** fetch that sends https://issuer.test/… to the test server. */
  fetch: typeof fetch
  resolver: ReturnType<typeof createResolver>
  close(): Promise<void>
}

export async function startKycWorld(env: Record<string, string> = {}): Promise<KycWorld> {
  let t = Date.now()
  // An https public URL (a production-like issuer), so loopback webhook receivers need the operator's opt-in.
  const app = await startTestApp({ clock: { now: () => t, advance: (ms) => { t += ms } },
    env: { SIGIL_PUBLIC_URL: ISSUER, SIGIL_WEBHOOK_ALLOW_PRIVATE: 'true', ...env } })
  const officer = new TestClient(app.url)
  // A hardware key (attested, device-bound): the compliance role accepts nothing else, sign-in and session alike.
  const signed = await signUp(officer, createSoftAuthenticator({ attestation: 'packed-self' }), 'officer')
  await app.deps.store.users.setRoles(signed.user.id, ['compliance'])
  const vendor = await createApiClient(app.deps.store, 'vendor', ['kyc-vendor'], t)
  const rewrite: typeof fetch = (input, init) => fetch(String(input instanceof Request ? input.url : input).replace(ISSUER, app.url), init)
  return { app, officer, vendorKey: vendor.key, fetch: rewrite, resolver: createResolver({ fetch: rewrite }), close: () => app.close() }
}

export async function submitSubject(w: KycWorld, data: Record<string, unknown> = KYC_DATA): Promise<string> {
  const r = await new TestClient(w.app.url).post('/v1/kyc/subjects', { data }, { authorization: `Bearer ${w.vendorKey}` })
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body.subjectRef
}

export async function createOffer(w: KycWorld, subjectRef: string, over: Record<string, unknown> = {}) {
  const r = await w.officer.post('/v1/kyc/offers', { subjectRef, ...over })
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body as { id: string; offer: any; offerUri: string; qrSvg: string; txCode?: string; expiresAt: string }
}

/** A holder: an ES256 key pair in the wallet, as a JWK for proofs and a Signer for key-binding JWTs. */
export async function makeHolder() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = await exportJWK(publicKey) as JWK
  const signer: Signer = {
    alg: 'ES256', kid: 'holder',
    sign: async (data) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey as CryptoKey, data as Uint8Array<ArrayBuffer>)),
  }
  const proof = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: publicJwk, ...header }).sign(privateKey)
  return { privateKey, publicJwk, signer, proof }
}

/** The independent wallet: @openid4vc/openid4vci with jose and node:crypto callbacks (none of Sigil's code). */
export function walletClient(w: KycWorld, privateKey: CryptoKey) {
  return new Openid4vciClient({
    callbacks: {
      fetch: w.fetch,
      hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
      generateRandom: (n) => new Uint8Array(randomBytes(n)),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer, { header, payload }) => {
        assert.equal(signer.method, 'jwk')
        const jwt = await new SignJWT(payload).setProtectedHeader(header as never).sign(privateKey)
        return { jwt, signerJwk: (signer as { publicJwk: Jwk }).publicJwk }
      },
    },
  })
}

/** Form POST to /token, as a wallet sends it. */
export function tokenRequest(w: KycWorld, params: Record<string, string>) {
  return fetch(`${w.app.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) })
}

export function credentialRequest(w: KycWorld, accessToken: string, body: unknown) {
  return fetch(`${w.app.url}/credential`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify(body) })
}

export async function nonce(w: KycWorld): Promise<string> {
  return (await (await fetch(`${w.app.url}/nonce`, { method: 'POST' })).json()).c_nonce
}

/** Runs the whole pre-authorized code flow with the independent wallet library; returns the credential. */
/** A fresh subject, an offer for it, and a holder's wallet that collected the credential. */
export async function issuedToHolder(w: KycWorld) {
  return receiveCredential(w, (await createOffer(w, await submitSubject(w))).offerUri)
}

/** An API client with the relying-app role: its id (the presentations' audience) and its Authorization header. */
export async function relyingApp(w: KycWorld, name = 'exchange'): Promise<{ id: string; headers: Record<string, string> }> {
  const c = await createApiClient(w.app.deps.store, name, ['relying-app'], Date.now())
  return { id: c.client.id, headers: { authorization: `Bearer ${c.key}` } }
}

export async function receiveCredential(w: KycWorld, offerUri: string, txCode?: string) {
  const now = () => new Date(w.app.clock.now())
  const holder = await makeHolder()
  const wallet = walletClient(w, holder.privateKey)
  const offer = await wallet.resolveCredentialOffer(offerUri)
  const md = await wallet.resolveIssuerMetadata(offer.credential_issuer)
  const { accessTokenResponse } = await wallet.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer: offer, issuerMetadata: md, ...(txCode ? { txCode } : {}) })
  const { c_nonce } = await wallet.requestNonce({ issuerMetadata: md })
  const configurationId = offer.credential_configuration_ids[0]!
  const { jwt } = await wallet.createCredentialRequestJwtProof({ issuerMetadata: md, credentialConfigurationId: configurationId, nonce: c_nonce,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: holder.publicJwk as never }, issuedAt: now() })
  const res = await wallet.retrieveCredentials({ issuerMetadata: md, accessToken: accessTokenResponse.access_token, credentialConfigurationId: configurationId,
    proofs: { jwt: [jwt] } })
  const credentials = res.credentialResponse.credentials as { credential: string }[]
  assert.equal(credentials.length, 1)
  return { credential: credentials[0]!.credential, holder }
}
