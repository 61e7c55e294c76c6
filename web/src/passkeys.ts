import {
  startAuthentication, startRegistration,
  type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser'
import { ApiError, post, type ApprovalDecision, type ApprovalView, type Passkey, type SessionInfo, type SignedIn } from './api.ts'
import { rememberRpId, rememberUser, rpIdFor } from './identity.ts'
import { signalUnknownCredential } from './signals.ts'

/**
 * The passkey ceremonies, each the same three steps: options from the server, the browser's WebAuthn call,
 * the response back to the server. Only one WebAuthn call runs at a time in a page (SimpleWebAuthn aborts
 * the earlier one), so background requests (autofill, conditional create) check `isCurrent` before calling
 * the browser and never replace something the person started.
 */

let generation = 0
/** Starts a ceremony; returns a function that says whether it is still the newest one. */
function begin(): () => boolean {
  const mine = ++generation
  return () => mine === generation
}

export class Superseded extends Error {
  constructor() {
    super('Another passkey request replaced this one')
    this.name = 'AbortError'
  }
}

export async function signUp(handle: string, displayName: string): Promise<SignedIn> {
  begin()
  const optionsJSON = await post<PublicKeyCredentialCreationOptionsJSON>('/v1/passkeys/register/options', { handle, displayName })
  rememberRpId(optionsJSON.rp.id)
  const response = await startRegistration({ optionsJSON })
  const signedIn = await post<SignedIn>('/v1/passkeys/register/verify', { response })
  rememberUser(signedIn.user.id, optionsJSON.user.id)
  return signedIn
}

async function verifyAssertion<T>(path: string, optionsJSON: PublicKeyCredentialRequestOptionsJSON, autofill: boolean): Promise<{ result: T; userHandle: string | undefined }> {
  const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill })
  try {
    return { result: await post<T>(path, { response }), userHandle: response.response.userHandle }
  } catch (err) {
    if (err instanceof ApiError && err.code === 'credential_unknown') {
      const id = typeof err.problem.credentialId === 'string' ? err.problem.credentialId : response.id
      await signalUnknownCredential(rpIdFor(optionsJSON.rpId), id)
    }
    throw err
  }
}

/**
 * Discoverable sign-in. With `autofill`, the request waits for the person to pick a passkey from the
 * username field's suggestions (conditional mediation); without, the browser shows its passkey dialog.
 */
export async function signIn(opts: { autofill: boolean }): Promise<SignedIn> {
  const isCurrent = begin()
  const optionsJSON = await post<PublicKeyCredentialRequestOptionsJSON>('/v1/passkeys/login/options', {})
  rememberRpId(optionsJSON.rpId)
  if (!isCurrent()) throw new Superseded()
  const { result, userHandle } = await verifyAssertion<SignedIn>('/v1/passkeys/login/verify', optionsJSON, opts.autofill)
  rememberUser(result.user.id, userHandle)
  return result
}

/** Re-verification before a sensitive action (remove a passkey, new recovery codes, add a passkey). */
export async function reauthenticate(accountId: string): Promise<void> {
  begin()
  const optionsJSON = await post<PublicKeyCredentialRequestOptionsJSON>('/v1/me/reauth/options', {})
  const { userHandle } = await verifyAssertion<{ verifiedAt: string }>('/v1/me/reauth/verify', optionsJSON, false)
  rememberUser(accountId, userHandle)
}

/**
 * Runs a call that needs a recent user verification. When the server answers `reauthentication_required`,
 * asks for a passkey (after telling the person why through `onReauth`) and runs the call once more.
 */
export async function withFreshVerification<T>(accountId: string, call: () => Promise<T>, onReauth: () => void): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'reauthentication_required') throw err
    onReauth()
    await reauthenticate(accountId)
    return call()
  }
}

export interface AddPasskeyResult {
  passkey: Passkey
  /** Present when a recovery session became a full one. */
  session?: SessionInfo
}

/**
 * Adds a passkey to the signed-in account. `conditional` asks the browser to create it without a dialog
 * if the person's password manager allows (conditional create, WebAuthn L3 `mediation: 'conditional'`);
 * such a background attempt never asks for re-verification and gives way to anything the person starts.
 */
export async function addPasskey(accountId: string, opts: { conditional?: boolean; onReauth?: () => void } = {}): Promise<AddPasskeyResult> {
  const isCurrent = begin()
  const options = () => post<PublicKeyCredentialCreationOptionsJSON>('/v1/me/passkeys/options', {})
  const optionsJSON = opts.conditional ? await options() : await withFreshVerification(accountId, options, opts.onReauth ?? (() => {}))
  rememberRpId(optionsJSON.rp.id)
  rememberUser(accountId, optionsJSON.user.id)
  if (opts.conditional && !isCurrent()) throw new Superseded()
  const response = await startRegistration({ optionsJSON, useAutoRegister: opts.conditional === true })
  return post<AddPasskeyResult>('/v1/me/passkeys/verify', { response })
}

/**
 * Approves or rejects a signing request. The server binds the challenge to the request's digest and to the
 * decision, and offers only this account's passkeys with user verification required, so the assertion is
 * this person's answer to exactly this transaction. Resolves with the request's updated state.
 */
export async function decideApproval(approvalId: string, decision: ApprovalDecision): Promise<ApprovalView> {
  begin()
  const base = `/v1/approvals/${encodeURIComponent(approvalId)}`
  const optionsJSON = await post<PublicKeyCredentialRequestOptionsJSON>(`${base}/options`, { decision })
  rememberRpId(optionsJSON.rpId)
  const { result } = await verifyAssertion<ApprovalView>(`${base}/${decision === 'approve' ? 'verify' : 'reject'}`, optionsJSON, false)
  return result
}
