import { z } from 'zod'

/** `POST /v1/presentations/verify`: a presentation the relying app received, and what it asked the holder for. */
export const zVerifyPresentationRequest = z.strictObject({
  /** The SD-JWT VC presentation: issuer JWT, disclosures and key-binding JWT (`…~…~kb-jwt`). */
  presentation: z.string().min(10).max(64_000).regex(/^[A-Za-z0-9_\-.~]+$/, 'an SD-JWT presentation'),
  /** The nonce the app gave the holder; the key-binding JWT must carry it. */
  nonce: z.string().min(16).max(128),
  /** The audience the holder bound the presentation to; defaults to the app's client id. */
  audience: z.string().min(1).max(256).optional(),
  /** Claim paths the app asked for, dotted (`age_equal_or_over.18`); anything else disclosed is refused. */
  claims: z.array(z.string().regex(/^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64}){0,4}$/, 'a claim path such as age_equal_or_over.18')).min(1).max(32),
})

export const zVerifyPresentationResponse = z.object({
  verified: z.literal(true),
  issuer: z.string(),
  vct: z.string(),
  /** Only the claims asked for, as disclosed. */
  claims: z.record(z.string(), z.unknown()),
  status: z.enum(['valid', 'unchecked']),
})

/** `POST /v1/presentations/requests`: the claims a relying app wants from the holder's KYC credential. */
export const zCreatePresentationRequest = z.strictObject({
  claims: z.array(z.string().regex(/^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64}){0,4}$/, 'a claim path such as age_equal_or_over.18')).min(1).max(32),
  expiresInSeconds: z.number().int().min(60).max(3600).default(600),
  /**
   * How the wallet answers (OpenID4VP 1.0 §8.2, §8.3): `direct_post` posts `vp_token` in the clear over TLS;
   * `direct_post.jwt` encrypts it (JWE, ECDH-ES with A128GCM or A256GCM) to a key made for this request alone.
   */
  responseMode: z.enum(['direct_post', 'direct_post.jwt']).default('direct_post'),
})

export const zCreatePresentationResponse = z.object({
  id: z.string(),
  /** The signed request object (JAR, `typ: oauth-authz-req+jwt`), also served once at `requestUri`. */
  request: z.string(),
  /** Where the wallet fetches the request object (RFC 9101 §5.2, GET, single use). */
  requestUri: z.string(),
  /** `openid4vp://?client_id=…&request=<JWT>`: the request by value. */
  deepLink: z.string(),
  /** `openid4vp://?client_id=…&request_uri=…`: the request by reference, a short link for QR codes. */
  deepLinkByReference: z.string(),
  /** QR code (SVG) of `deepLinkByReference`. */
  qrSvg: z.string(),
  dcqlQuery: z.record(z.string(), z.unknown()),
  responseMode: z.enum(['direct_post', 'direct_post.jwt']),
  nonce: z.string(),
  expiresAt: z.iso.datetime(),
})

export const zPresentationRequestParams = z.strictObject({ id: z.string().regex(/^pr_[A-Za-z0-9_-]{20,60}$/, 'a presentation request id (pr_…)') })

/**
 * The wallet's answer at the response URI: `direct_post` (OpenID4VP 1.0 §8.2) sends `vp_token`, a JSON object keyed by
 * the DCQL credential query id, and `state`; `direct_post.jwt` (§8.3.1) sends only `response`, a compact JWE of them.
 */
export const zDirectPostResponse = z.object({
  vp_token: z.string().min(2).max(100_000).optional(),
  state: z.string().max(256).optional(),
  response: z.string().min(10).max(140_000).regex(/^[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){4}$/, 'a compact JWE').optional(),
}).refine((b) => (b.vp_token === undefined) !== (b.response === undefined), { message: 'send either vp_token or response', path: ['vp_token'] })

/** The payload of a `direct_post.jwt` response once decrypted: the same parameters as a direct_post. */
export const zEncryptedResponsePayload = z.object({
  vp_token: z.record(z.string(), z.unknown()),
  state: z.string().max(256).optional(),
})
