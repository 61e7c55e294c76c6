import type { JWK } from 'jose'
import { encodeBase64urlJson } from '../encoding/index.ts'
import { signJws } from '../jws/index.ts'
import { createLocalSigner, generateKeyPair, type GeneratedKeyPair, type LocalSigner } from '../keys/index.ts'
import { issueKycSdJwtVc, kycVct } from '../kyc/index.ts'
import { presentSdJwtVc, sha256Base64url, splitSdJwt, type ClaimPath } from '../sdjwt/index.ts'
import { createStatusList, createStatusListToken, setStatus, type StatusList } from '../statusList/index.ts'
import type { TrustedIssuerList } from '../trust/index.ts'

/** Test helpers: real keys and signatures, nothing mocked. Test-only; not exported from credentials/. */

export const NOW = new Date('2026-03-01T12:00:00Z')
export const ISSUER = 'https://sigil.example'
export const VCT = kycVct(ISSUER)
export const STATUS_URI = 'https://sigil.example/status-lists/1'
export const NONCE = 'n-0S6_WzA2Mj'
export const AUDIENCE = 'https://relying.example'

export const SUBJECT = {
  kyc_level: 'standard',
  trust_framework: 'de_aml',
  verification_time: '2026-02-27T09:30:00Z',
  given_name: 'Erika',
  family_name: 'Mustermann',
  birthdate: '1990-08-12',
  nationalities: ['DE'],
  address: { street_address: 'Heidestraße 17', locality: 'Köln', postal_code: '51147', country: 'DE' },
  sanctions_screened: true,
  pep_screened: true,
}

export interface World {
  issuerKey: GeneratedKeyPair
  issuer: LocalSigner
  holderKey: GeneratedKeyPair
  holder: LocalSigner
  trustedIssuers: TrustedIssuerList
  credential: string
  statusList: StatusList
  /** Signs the current status list as a token (call again after setStatus). */
  statusToken(now?: Date): Promise<string>
  /** Serves statusToken() and counts fetches. */
  fetchStatusList: ((uri: string) => Promise<string>) & { calls: number }
  present(disclose: readonly ClaimPath[], kb?: Partial<{ nonce: string; audience: string; now: Date; holder: LocalSigner }>): Promise<string>
}

/** An issuer (ES256 by default), a holder (EdDSA by default), a KYC credential at status index 3, and a status list. */
export async function makeWorld(options: { issuerAlg?: 'ES256' | 'EdDSA'; holderAlg?: 'ES256' | 'EdDSA' } = {}): Promise<World> {
  const issuerKey = await generateKeyPair(options.issuerAlg ?? 'ES256')
  const holderKey = await generateKeyPair(options.holderAlg ?? 'EdDSA')
  const issuer = await createLocalSigner(issuerKey.privateJwk)
  const holder = await createLocalSigner(holderKey.privateJwk)
  const statusList = createStatusList(1024, 2)
  const credential = await issueKycSdJwtVc(SUBJECT, {
    signer: issuer, issuer: ISSUER, issuerUrl: ISSUER, holderJwk: holderKey.publicJwk, now: NOW,
    status: { idx: 3, uri: STATUS_URI },
  })
  const statusToken = (now = NOW) => createStatusListToken({ signer: issuer, uri: STATUS_URI, issuer: ISSUER, list: statusList, now, ttlSeconds: 300, validitySeconds: 86_400 })
  const fetchStatusList = Object.assign(async (uri: string) => {
    fetchStatusList.calls++
    if (uri !== STATUS_URI) throw new Error('404')
    return statusToken()
  }, { calls: 0 })
  return {
    issuerKey, issuer, holderKey, holder, credential, statusList, statusToken, fetchStatusList,
    trustedIssuers: [{ issuer: ISSUER, vcts: [VCT], keys: [issuerKey.publicJwk] }],
    present: (disclose, kb = {}) => presentSdJwtVc(credential, {
      disclose,
      keyBinding: { holder: kb.holder ?? holder, nonce: kb.nonce ?? NONCE, audience: kb.audience ?? AUDIENCE, now: kb.now ?? NOW },
    }),
  }
}

export { setStatus }

/** A disclosure from its array form, with its digest. */
export async function disclosure(arr: unknown[]): Promise<{ encoded: string; digest: string }> {
  const encoded = encodeBase64urlJson(arr)
  return { encoded, digest: sha256Base64url(encoded) }
}

/**
 * A hand-built SD-JWT VC, validly signed by `signer`: for cases the issuing code would never produce.
 * `disclosures` are appended as given; `payload` gets iss, vct, iat, exp, cnf unless it sets them.
 */
export async function craftSdJwt(signer: LocalSigner, payload: Record<string, unknown>, disclosures: string[],
  options: { holderJwk?: JWK; header?: Record<string, unknown> } = {}): Promise<string> {
  const iat = Math.floor(NOW.getTime() / 1000)
  const full = {
    iss: ISSUER, vct: VCT, iat, exp: iat + 3600, _sd_alg: 'sha-256',
    ...(options.holderJwk ? { cnf: { jwk: options.holderJwk } } : {}),
    ...payload,
  }
  const jwt = await signJws(signer, 'dc+sd-jwt', full, options.header ?? {})
  return `${jwt}~${disclosures.map((d) => `${d}~`).join('')}`
}

/** Replaces the disclosure list of a presentation (keeping the KB-JWT as is). */
export function withDisclosures(presentation: string, f: (ds: string[]) => string[]): string {
  const { jwt, disclosures, kbJwt } = splitSdJwt(presentation)
  return `${jwt}~${f(disclosures).map((d) => `${d}~`).join('')}${kbJwt ?? ''}`
}
