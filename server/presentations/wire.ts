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
})

export const zPresentationRequestParams = z.strictObject({ id: z.string().regex(/^pr_[A-Za-z0-9_-]{20,60}$/, 'a presentation request id (pr_…)') })

/** The wallet's `direct_post` (OpenID4VP 1.0 §8.2): `vp_token` is a JSON object keyed by the DCQL credential query id. */
export const zDirectPostResponse = z.object({
  vp_token: z.string().min(2).max(100_000),
  state: z.string().max(256).optional(),
})
