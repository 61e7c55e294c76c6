import { z } from 'zod'

const B64URL = /^[A-Za-z0-9_-]+$/
export const zB64url = (max: number) => z.string().min(1).max(max).regex(B64URL, 'must be base64url without padding')

export const zHandle = z.string().trim().toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, '3-32 characters: letters, digits, dot, dash, underscore; starting with a letter or digit')
  .describe('Unique account handle, case-insensitive')

export const zDisplayName = z.string().transform((s) => s.normalize('NFC').trim()).pipe(z.string().min(1).max(64)
  .refine((s) => !/[\p{Cc}\p{Cs}\p{Co}\p{Zl}\p{Zp}]|(?![\u200c\u200d])\p{Cf}/u.test(s), 'must not contain control, format (bidi), surrogate, private-use or line-separator characters'))
  .meta({ minLength: 1, maxLength: 64, description: '1-64 characters after NFC normalization and trimming; no control, format (bidi; ZWJ and ZWNJ are allowed), surrogate, private-use or line-separator characters' })

export const zPasskeyName = zDisplayName.describe('A name the user chooses for the passkey')

const zAuthenticatorType = z.enum(['securityKey', 'localDevice', 'remoteDevice'])
  .describe('Hint for the browser (WebAuthn L3 hints): security-key, client-device or hybrid')

export const zRegisterOptionsRequest = z.strictObject({
  handle: zHandle,
  displayName: zDisplayName,
  authenticatorType: zAuthenticatorType.optional(),
})

export const zAddPasskeyOptionsRequest = z.strictObject({
  authenticatorType: zAuthenticatorType.optional(),
})

const zTransports = z.array(z.string().max(32)).max(10)

export const zRegistrationResponse = z.object({
  id: zB64url(1366),
  rawId: zB64url(1366),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: zB64url(8192),
    attestationObject: zB64url(32768),
    transports: zTransports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: zB64url(8192).optional(),
    authenticatorData: zB64url(16384).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
})

export const zAuthenticationResponse = z.object({
  id: zB64url(1366),
  rawId: zB64url(1366),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: zB64url(8192),
    authenticatorData: zB64url(16384),
    signature: zB64url(2048),
    userHandle: zB64url(128).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
})

export const zRegisterVerifyRequest = z.strictObject({ response: zRegistrationResponse })
export const zLoginVerifyRequest = z.strictObject({ response: zAuthenticationResponse })
export const zEmptyRequest = z.strictObject({})

export const zRecoveryVerifyRequest = z.strictObject({
  handle: zHandle,
  code: z.string().trim().toUpperCase().regex(/^[0-9A-Z]{4}(-?[0-9A-Z]{4}){3}$/, 'a recovery code such as ABCD-EFGH-JKMN-PQRS'),
})

/** `POST /v1/recovery/credential/options`: a nonce and audience for the key-binding JWT; nothing to disclose. */
export const zRecoveryCredentialOptions = z.object({
  nonce: z.string().describe('Single use: the KB-JWT `nonce`'),
  audience: z.string().describe('The KB-JWT `aud`'),
  vct: z.string().describe('The credential type to present: Sigil\'s KYC credential'),
  claims: z.array(z.string()).describe('Selectively disclosable claims to disclose: none'),
  expiresAt: z.iso.datetime(),
})

/** `POST /v1/recovery/credential/verify`: the account's handle and a presentation over the nonce from the options step. */
export const zRecoveryCredentialVerifyRequest = z.strictObject({
  handle: zHandle,
  nonce: zB64url(128),
  presentation: z.string().min(10).max(64_000).regex(/^[A-Za-z0-9_\-.~]+$/, 'an SD-JWT presentation (issuer JWT~disclosures~KB-JWT)'),
})

export const zRenamePasskeyRequest = z.strictObject({ name: zPasskeyName })
export const zPasskeyIdParams = z.object({ id: zB64url(1366) })
export const zSessionRefParams = z.object({ ref: zB64url(64) })

export const zPublicUser = z.object({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  createdAt: z.iso.datetime(),
})

export const zPasskey = z.object({
  id: z.string().describe('Credential id, base64url'),
  name: z.string(),
  authenticatorName: z.string().nullable().describe('From the AAGUID, when known'),
  aaguid: z.string(),
  synced: z.boolean().describe('Backup eligible: a synced (multi-device) passkey'),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
})

export const zSessionInfo = z.object({
  ref: z.string(),
  kind: z.enum(['full', 'recovery']),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  verifiedAt: z.iso.datetime().nullable(),
  userAgent: z.string(),
  current: z.boolean(),
})

export const zSignedIn = z.object({ user: zPublicUser, session: zSessionInfo })
export const zPasskeyList = z.object({ passkeys: z.array(zPasskey) })
export const zRecoveryCodes = z.object({ codes: z.array(z.string()).length(10), createdAt: z.iso.datetime() })
export const zCreationOptions = z.record(z.string(), z.unknown()).describe('PublicKeyCredentialCreationOptionsJSON')
export const zRequestOptions = z.record(z.string(), z.unknown()).describe('PublicKeyCredentialRequestOptionsJSON')
