import { generateAuthenticationOptions, verifyAuthenticationResponse } from '@simplewebauthn/server'
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import type { z } from 'zod'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { hitLimit, type CountedClientLimit } from '../rateLimits.ts'
import type { CeremonyRecord, PasskeyRecord, UserRecord } from '../store/index.ts'
import { finishCeremony, requireSameId, startCeremony } from './ceremony.ts'
import { webauthnProblem } from './webauthnErrors.ts'
// SimpleWebAuthn verifies with node:crypto's synchronous calls from here on (see webCrypto.ts).
import './webCrypto.ts'
import { effectivePolicy, enforceAttestationPolicy } from './attestationPolicy.ts'
import { domainEvent } from '../audit/index.ts'
import type { zAuthenticationResponse } from './wire.ts'

type AuthenticationResponse = z.output<typeof zAuthenticationResponse>

/**
 * Discoverable login: no allowCredentials, so the options say nothing about which accounts exist. `limit` is the
 * per-client limit on options, counted with the challenge.
 */
export async function loginOptions(deps: AppDeps, limit: CountedClientLimit): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({
    rpID: deps.config.rpId,
    userVerification: 'required',
    timeout: deps.config.challengeSeconds * 1000,
  })
  await startCeremony(deps, 'login', options.challenge, {}, limit)
  return options
}

/** Re-verification of a signed-in user before a sensitive action: only that user's passkeys are allowed. */
export async function reauthOptions(deps: AppDeps, user: UserRecord): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await deps.store.passkeys.listByUser(user.id)
  const options = await generateAuthenticationOptions({
    rpID: deps.config.rpId,
    userVerification: 'required',
    timeout: deps.config.challengeSeconds * 1000,
    allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports })),
  })
  await startCeremony(deps, 'reauth', options.challenge, { userId: user.id })
  return options
}

/** Per account and client, so a stranger who knows a credential id cannot lock its owner out. */
const ACCOUNT_LOGINS_PER_MINUTE = 30
/** Per approver and client. */
const APPROVALS_PER_MINUTE = 300

/**
 * Verifies an assertion for the ceremony it answers. Counter rule (WebAuthn §6.1.1): 0 and 0 is normal for
 * synced passkeys; otherwise the new counter must exceed the stored one, or the passkey may be cloned:
 * refused and audited. The counter and backup state are written with a compare-and-set.
 */
async function verifyAssertion(deps: AppDeps, kind: 'login' | 'reauth' | 'approval', response: AuthenticationResponse, client: string, sessionUser?: UserRecord): Promise<{ user: UserRecord; passkey: PasskeyRecord; ceremony: CeremonyRecord }> {
  requireSameId(response)
  const sessionUserId = sessionUser?.id
  // Independent calls go out together (one batch of SQLite's group commit or one round trip to Redis, not two); the
  // challenge is consumed whatever the passkey lookup finds, and its refusal comes first, as if the two ran in order.
  // With a signed-in user the owner is known: only the passkey is read, and it must be theirs.
  const [consumed, found] = await Promise.allSettled([
    finishCeremony(deps, kind, response.response.clientDataJSON, sessionUserId),
    sessionUser === undefined
      ? deps.store.passkeys.getWithOwner(response.id)
      : deps.store.passkeys.get(response.id).then((passkey) => passkey && { passkey, user: passkey.userId === sessionUser.id ? sessionUser : undefined }),
  ])
  if (consumed.status === 'rejected') throw consumed.reason
  if (found.status === 'rejected') throw found.reason
  const ceremony = consumed.value
  const passkey = found.value?.passkey
  const user = found.value?.user
  if (!passkey || !user || (sessionUserId !== undefined && passkey.userId !== sessionUserId)) {
    throw new ProblemError('credential_unknown', 401, {
      detail: 'This passkey is not registered here (it may have been removed).', field: 'response.id', extra: { credentialId: response.id },
    })
  }
  // Discoverable login (empty allowCredentials) must name the user (WebAuthn L3 §7.2 step 6).
  if (kind === 'login' && response.response.userHandle === undefined) {
    throw new ProblemError('user_handle_missing', 400, { detail: 'A discoverable sign-in response must carry userHandle.', field: 'response.response.userHandle' })
  }
  if (response.response.userHandle !== undefined && response.response.userHandle !== user.webauthnUserId) {
    throw new ProblemError('user_handle_mismatch', 400, { detail: 'The response names another user than the passkey belongs to.', field: 'response.response.userHandle' })
  }
  let info
  try {
    const v = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: [...deps.config.origins, ...deps.config.relatedOrigins],
      expectedRPID: deps.config.rpId,
      // SimpleWebAuthn compares counters before it checks the signature: given the stored counter, it would report a
      // "clone" for any forged response with a low counter (the credential id and user handle are in evidence
      // bundles), and the answer would reveal the stored counter. So it gets 0 (no comparison), and the counter is
      // judged below, once the signature has verified.
      credential: { id: passkey.id, publicKey: passkey.publicKey, counter: 0, transports: passkey.transports as never },
      requireUserVerification: true,
    })
    if (!v.verified) throw new ProblemError('signature_invalid', 401, { detail: 'The passkey signature did not verify.', field: 'response.response.signature' })
    info = v.authenticationInfo
  } catch (err) {
    throw webauthnProblem(err, 401)
  }
  // A counter of 0 on both sides is a passkey without one (synced passkeys); otherwise it must move forward.
  if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) {
    await auditCloneSuspect(deps, passkey, user)
    throw new ProblemError('counter_regression', 401, { detail: 'The authenticator counter went backwards: the passkey may have been cloned.' })
  }
  // A role granted after the passkey was registered may demand more of it (a hardware key for compliance). Not for a
  // re-verification: any of the user's passkeys makes their session fresh, so that someone given such a role can add
  // a key it accepts whenever they are signed in; the session acts in the role only once a passkey the role accepts
  // has verified it (assertSessionMeetsRolePolicy; the reauth route records only such a passkey).
  if (kind !== 'reauth') enforceAttestationPolicy(effectivePolicy(deps.attestationPolicies, user.roles), { fmt: passkey.attestationFmt, aaguid: passkey.aaguid, deviceType: passkey.deviceType }, 'assertion')
  // The per-account limit counts this attempt in the same round trip as the counter's compare-and-set. Before
  // this point every attempt has spent a challenge, which only the per-client limit on options hands out, so
  // counting here (after the signature) bounds nothing less; a genuine assertion over the limit still moves the
  // counter, as the authenticator did.
  const limit = kind === 'approval'
    // Approvals come from a signed-in session with a challenge bound to one request, and an approver may
    // legitimately sign many in a busy minute: they get their own, larger bucket.
    ? hitLimit(deps, `approval-assertion:${passkey.userId}:${client}`, APPROVALS_PER_MINUTE)
    : hitLimit(deps, `assertion:${passkey.userId}:${client}`, ACCOUNT_LOGINS_PER_MINUTE)
  const now = deps.now()
  const [moved, limited] = await Promise.allSettled([
    deps.store.passkeys.recordUse(passkey.id, { userId: passkey.userId, expectedCounter: passkey.counter, counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: now }),
    limit,
  ])
  if (moved.status === 'rejected') throw moved.reason
  if (!moved.value) {
    // Another assertion of this passkey won the race with an equal or higher counter.
    await auditCloneSuspect(deps, passkey, user)
    throw new ProblemError('counter_regression', 401, { detail: 'The authenticator counter went backwards: the passkey may have been cloned.' })
  }
  if (limited.status === 'rejected') throw limited.reason
  return { user, passkey: { ...passkey, counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: now }, ceremony }
}

async function auditCloneSuspect(deps: AppDeps, passkey: PasskeyRecord, user: UserRecord): Promise<void> {
  await deps.store.audit.append({ type: 'passkey.counter_regression', actor: user.id, subject: passkey.id, data: { storedCounter: passkey.counter } }, deps.now())
  await deps.store.outbox.publish([domainEvent('passkey.clone_suspected', passkey.id, deps.now(), { user: user.id })])
  deps.log.warn({ event: 'passkey.counter_regression', userId: user.id }, 'possible cloned passkey')
}

export const verifyLogin = (deps: AppDeps, response: AuthenticationResponse, client: string) => verifyAssertion(deps, 'login', response, client)
export const verifyReauth = (deps: AppDeps, user: UserRecord, response: AuthenticationResponse, client: string) => verifyAssertion(deps, 'reauth', response, client, user)

/**
 * Request options for approving or rejecting a signing request: `challenge` is the approval challenge
 * (bound to the request, its intent digest, policy version, decision and a fresh nonce), only the approver's
 * own passkeys are allowed, user verification is required. `data` is kept with the ceremony.
 */
export async function approvalAssertionOptions(deps: AppDeps, user: UserRecord, challenge: string, data: Record<string, unknown>): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const bytes = Buffer.from(challenge, 'base64url')
  // The challenge is known before the passkeys are, so both go to the store in one round trip.
  const [passkeys] = await Promise.all([
    deps.store.passkeys.listByUser(user.id),
    startCeremony(deps, 'approval', bytes.toString('base64url'), { userId: user.id, data }),
  ])
  return generateAuthenticationOptions({
    rpID: deps.config.rpId,
    userVerification: 'required',
    timeout: deps.config.challengeSeconds * 1000,
    allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports })),
    challenge: bytes,
  })
}

/** Verifies an approver's assertion over an approval challenge that this user started; consumes it once. */
export const verifyApprovalAssertion = (deps: AppDeps, user: UserRecord, response: AuthenticationResponse, client: string) =>
  verifyAssertion(deps, 'approval', response, client, user)
