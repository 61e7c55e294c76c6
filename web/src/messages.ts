import { WebAuthnError } from '@simplewebauthn/browser'
import { ApiError } from './api.ts'

/**
 * Plain words for every problem `code` the API returns (see the 4XX descriptions in /openapi.json and
 * server/passkeys/webauthnErrors.ts). The server's `detail` is for developers; people read these.
 */
const PROBLEMS: Record<string, string> = {
  request_invalid: 'Some of what you entered isn’t valid. Check the highlighted field and try again.',
  handle_unavailable: 'That username is already taken. Try another one.',
  rate_limited: 'Too many attempts in a short time. Wait a minute, then try again.',
  body_malformed: 'The app sent a request the server couldn’t read. Reload the page and try again.',
  body_too_large: 'The app sent a request the server couldn’t read. Reload the page and try again.',
  body_encoding_unsupported: 'The app sent a request the server couldn’t read. Reload the page and try again.',
  content_type_unsupported: 'The app sent a request the server couldn’t read. Reload the page and try again.',
  origin_required: 'This page’s address isn’t allowed to change your account. Open Sigil from its usual address.',
  origin_forbidden: 'This page’s address isn’t allowed to change your account. Open Sigil from its usual address.',
  idempotency_key_invalid: 'That request was already sent. Reload the page to see where things stand.',
  idempotency_key_reused: 'That request was already sent. Reload the page to see where things stand.',
  idempotency_request_in_progress: 'That request is still being processed. Wait a moment and reload the page.',
  idempotency_replay_unavailable: 'Those codes were already shown once and can’t be shown again. Generate new codes if you didn’t save them.',
  internal: 'Something went wrong on our side. Try again in a moment.',
  store_unavailable: 'Sigil is temporarily unavailable. Try again in a moment.',
  not_found: 'The server doesn’t offer this yet. Reload the page; if it keeps happening, the app and server may be out of date.',
  challenge_unknown: 'That passkey request is no longer valid (it was used or replaced). Try again.',
  challenge_expired: 'That took too long and the request expired. Try again.',
  client_data_malformed: 'Your passkey’s response couldn’t be read. Try again, or use another passkey.',
  credential_id_mismatch: 'Your passkey’s response couldn’t be read. Try again, or use another passkey.',
  client_data_type_mismatch: 'Your passkey answered a different kind of request. Try again.',
  challenge_mismatch: 'Your passkey answered an older request. Try again.',
  webauthn_verification_failed: 'Your passkey’s response couldn’t be verified. Try again, or use another passkey.',
  attestation_invalid: 'Your authenticator’s proof of origin didn’t check out. Try another device or security key.',
  attestation_policy_violation: 'This kind of authenticator isn’t allowed for your account. Use an approved security key.',
  algorithm_unsupported: 'This authenticator signs with an algorithm Sigil doesn’t accept. Try another device or security key.',
  origin_mismatch: 'Your passkey answered for a different web address. Open Sigil from its usual address and try again.',
  rp_id_mismatch: 'That passkey belongs to a different website. Choose a passkey saved for Sigil.',
  user_presence_required: 'Your authenticator didn’t confirm you were there. Try again and touch or unlock it when asked.',
  user_verification_required: 'Your device didn’t verify it’s you. Try again and unlock it with your fingerprint, face, PIN or screen lock.',
  credential_already_registered: 'This passkey is already registered with Sigil.',
  credential_unknown: 'That passkey isn’t registered with Sigil any more (it may have been removed). Choose another passkey, or use a recovery code.',
  user_handle_mismatch: 'That passkey doesn’t belong to the account it names. Choose another passkey.',
  signature_invalid: 'Your passkey’s signature didn’t check out. Try again, or use another passkey.',
  counter_regression: 'For your safety this passkey was refused: it may have been copied. Use another passkey or a recovery code, then remove this one.',
  unauthenticated: 'Your session has ended. Sign in again to continue.',
  recovery_session_restricted: 'Add a new passkey first to finish signing in.',
  reauthentication_required: 'Confirm it’s you with a passkey to continue.',
  passkey_not_found: 'That passkey no longer exists. The list has been refreshed.',
  last_passkey: 'This is your only passkey. Add another one before you remove it, so you can still sign in.',
  session_not_found: 'That session had already ended.',
  recovery_failed: 'That username and recovery code don’t match an unused code. Check both and try again.',
  client_role_forbidden: 'Your account isn’t allowed to do that.',
  role_forbidden: 'Your account isn’t allowed to do that.',
  approval_not_found: 'There’s no such approval request, or it isn’t one you can see. Check the link you followed.',
  approval_not_eligible: 'You can’t decide on this request: you aren’t in any group whose approval it needs.',
  approval_already_decided: 'You’ve already decided on this request. Its current state is shown below.',
  approval_not_pending: 'This request is no longer waiting for approvals. Its current state is shown below.',
  approval_expired: 'This request has expired, so nothing can be approved or signed. The wallet has to ask again.',
  approval_decision_mismatch: 'Your passkey answered for a different decision than the one you chose. Try again.',
  approval_initiator_forbidden: 'You created this request, so your approval can’t count: someone else has to approve it (separation of duties).',
  beneficiary_kyc_not_required: 'This request doesn’t need the beneficiary to verify their identity.',
  beneficiary_kyc_already_verified: 'The beneficiary has already verified their identity for this request.',
  kyc_data_invalid: 'Some of the KYC data isn’t valid. Check the highlighted field and try again.',
  kyc_issuance_forbidden: 'The issuance policy doesn’t let your account do this. Issuing KYC credentials needs the compliance role.',
  kyc_subject_not_found: 'There’s no KYC data for that subject reference (it may have been dropped after 30 days). Enter the verified data again.',
  kyc_subject_erased: 'A credential was already issued for this subject, and its KYC data was erased. To issue again, enter the verified data again.',
  kyc_credential_not_found: 'That credential no longer exists. Look up the subject again.',
  kyc_credential_status_conflict: 'That credential’s status changed in the meantime. Its current status is shown below.',
  network: 'Can’t reach Sigil. Check your connection and try again.',
}

/** Words for a field the server named in `request_invalid`. */
const FIELDS: Record<string, string> = {
  handle: 'Use 3–32 characters: lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit.',
  displayName: 'Enter a name of 1–64 characters.',
  name: 'Enter a name of 1–64 characters.',
  code: 'Enter a recovery code like ABCD-EFGH-JKMN-PQRS.',
}

export function fieldMessage(field: string): string | undefined {
  return FIELDS[field]
}

export function problemMessage(err: ApiError): string {
  if (err.code === 'rate_limited' && typeof err.problem.retryAfter === 'number') {
    const s = err.problem.retryAfter
    return `Too many attempts in a short time. Try again in ${s < 60 ? `${s} seconds` : 'a minute'}.`
  }
  if (err.code === 'request_invalid' && err.field && FIELDS[err.field]) return FIELDS[err.field]!
  return PROBLEMS[err.code] ?? (err.status >= 500 ? PROBLEMS.internal! : `Something went wrong (${err.code}). Try again.`)
}

/** `decide`: approving or rejecting a signing request with a passkey. */
export type Ceremony = 'create' | 'get' | 'decide'

/** The name of the DOMException behind an error, whether thrown by the browser or wrapped by SimpleWebAuthn. */
export function browserErrorName(err: unknown): string | undefined {
  if (err instanceof WebAuthnError) {
    if (err.code === 'ERROR_CEREMONY_ABORTED') return 'AbortError'
    const cause = err.cause as { name?: string } | undefined
    return cause?.name ?? err.name
  }
  if (err instanceof Error) return err.name
  return undefined
}

/** True when a WebAuthn call was aborted by the app itself (another request replaced it). */
export function isAbort(err: unknown): boolean {
  return browserErrorName(err) === 'AbortError'
}

/** Words for what the browser or authenticator refused, by DOMException name (WebAuthn L3 §5.1.3, §5.1.4). */
export function browserMessage(err: unknown, ceremony: Ceremony): string {
  if (err instanceof Error && /not supported in this browser/i.test(err.message)) return UNSUPPORTED
  switch (browserErrorName(err)) {
    case 'NotAllowedError':
      return ceremony === 'create'
        ? 'No passkey was created. The request was cancelled or timed out, or your device couldn’t verify it’s you (fingerprint, face, PIN or screen lock). Try again.'
        : ceremony === 'decide'
          ? 'Nothing was recorded. The passkey request was cancelled or timed out, or your device couldn’t verify it’s you. Try again, with one of your own passkeys.'
          : 'You weren’t signed in. The request was cancelled or timed out, or your device couldn’t verify it’s you. Try again, or choose another passkey.'
    case 'InvalidStateError':
      return 'This device or security key already holds a passkey for your account. Use a different device, phone or security key.'
    case 'AbortError':
      return 'The passkey request was cancelled.'
    case 'ConstraintError':
      return 'This authenticator can’t create a passkey that checks it’s you. Use a device with a screen lock, a phone, or a security key with a PIN.'
    case 'NotSupportedError':
      return 'None of your authenticators support the kind of passkey Sigil needs. Try a phone or a newer security key.'
    case 'SecurityError':
      return 'Passkeys don’t work on this web address. Open Sigil at its configured address (over HTTPS).'
    case 'UnknownError':
      return 'Your authenticator ran into a problem. Try again, or use another device.'
    default:
      return ceremony === 'create' ? 'The passkey couldn’t be created. Try again.'
        : ceremony === 'decide' ? 'The passkey check didn’t work, so nothing was recorded. Try again.'
          : 'Signing in with a passkey didn’t work. Try again.'
  }
}

export const UNSUPPORTED = 'This browser doesn’t support passkeys. Use a recent version of Chrome, Safari, Edge or Firefox.'

/** One message for anything a passkey flow can throw. */
export function errorMessage(err: unknown, ceremony: Ceremony): string {
  if (err instanceof ApiError) return problemMessage(err)
  return browserMessage(err, ceremony)
}
