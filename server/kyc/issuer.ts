import { createDidWebDocument, didWebFromUrl, kycTypeMetadata, kycVct, type Signer } from '../../credentials/index.ts'
import type { AppDeps } from '../deps.ts'

/** Validity of an issued KYC credential. */
export const CREDENTIAL_VALIDITY_SECONDS = 365 * 24 * 3600

/** Credential configurations offered (OpenID4VCI 1.0 §12.2.4): the SD-JWT VC, and the legacy W3C JWT-VC form. */
export const KYC_SD_JWT = 'kyc_sd_jwt'
export const KYC_JWT_VC = 'kyc_jwt_vc'
export const CONFIGURATION_IDS = [KYC_SD_JWT, KYC_JWT_VC] as const
export type ConfigurationId = (typeof CONFIGURATION_IDS)[number]

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code'
export const PROOF_ALGS = ['ES256', 'EdDSA'] as const

/** Who Sigil is as an issuer: its URL (credential issuer identifier), its did:web, and the signer with a DID URL kid. */
export interface IssuerIdentity {
  /** The credential issuer identifier (`config.publicUrl`): also the proof JWT `aud`. */
  url: string
  /** did:web of that URL, the `iss` of every credential and status list. */
  did: string
  vct: string
  signer: Signer
}

/**
 * The issuer DID is the did:web of the public URL. did:web always resolves over https (did:web §3.2), so an http
 * development URL (`http://localhost:8080`) names `did:web:localhost%3A8080`, which resolves once TLS is in front.
 */
export function issuerIdentity(deps: AppDeps): IssuerIdentity {
  const url = deps.config.publicUrl
  const did = didWebFromUrl(url.replace(/^http:/, 'https:'))
  const signer = deps.keys.signer()
  return {
    url, did, vct: kycVct(url),
    signer: { alg: signer.alg, kid: `${did}#${signer.kid}`, sign: (data) => signer.sign(data) },
  }
}

/**
 * `/.well-known/did.json`: the active key and every key retired less than a credential's lifetime ago, so a key
 * rotation does not make the credentials it signed unverifiable. (A rotation after a key compromise is different:
 * revoke what the key signed, and remove the key from the key file.)
 */
export function didDocument(deps: AppDeps) {
  return createDidWebDocument(issuerIdentity(deps).did, deps.keys.publishedFor(CREDENTIAL_VALIDITY_SECONDS).keys)
}

/** `/.well-known/jwt-vc-issuer` (SD-JWT VC draft §5): the issuer URL and its keys, kept as long as in did.json. */
export function jwtVcIssuerMetadata(deps: AppDeps) {
  return { issuer: deps.config.publicUrl, jwks: deps.keys.publishedFor(CREDENTIAL_VALIDITY_SECONDS) }
}

const display = [{ name: 'KYC credential', locale: 'en-US', description: 'Identity verified by a regulated KYC process' }]

/** `/.well-known/openid-credential-issuer` (OpenID4VCI 1.0 §12.2). */
export function credentialIssuerMetadata(deps: AppDeps) {
  const { url, vct } = issuerIdentity(deps)
  const proof = { proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...PROOF_ALGS] } } }
  const binding = { cryptographic_binding_methods_supported: ['jwk'], credential_signing_alg_values_supported: ['ES256'] }
  const claims = kycTypeMetadata(url).claims.map((c) => ({ path: c.path, display: c.display.map((d) => ({ name: d.label, locale: d.locale })) }))
  return {
    credential_issuer: url,
    authorization_servers: [url],
    credential_endpoint: `${url}/credential`,
    nonce_endpoint: `${url}/nonce`,
    display: [{ name: deps.config.rpName, locale: 'en-US' }],
    credential_configurations_supported: {
      [KYC_SD_JWT]: {
        format: 'dc+sd-jwt', vct, scope: 'kyc', ...binding, ...proof,
        credential_metadata: { display, claims },
      },
      [KYC_JWT_VC]: {
        format: 'jwt_vc_json', scope: 'kyc_jwt_vc',
        credential_definition: { type: ['VerifiableCredential', vct] },
        cryptographic_binding_methods_supported: ['did:jwk'], credential_signing_alg_values_supported: ['ES256'], ...proof,
        credential_metadata: { display },
      },
    },
  }
}

/** `/.well-known/oauth-authorization-server` (RFC 8414): only the pre-authorized code grant, anonymous access. */
export function authorizationServerMetadata(deps: AppDeps) {
  const url = deps.config.publicUrl
  return {
    issuer: url,
    token_endpoint: `${url}/token`,
    grant_types_supported: [PRE_AUTHORIZED_GRANT],
    'pre-authorized_grant_anonymous_access_supported': true,
    token_endpoint_auth_methods_supported: ['none'],
    response_types_supported: [],
  }
}
