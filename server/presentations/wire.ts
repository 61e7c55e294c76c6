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
