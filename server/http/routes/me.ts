import { z } from 'zod'
import { sessionPrincipal as me, type Api } from '../route.ts'
import { ProblemError } from '../problem.ts'
import { addPasskeyOptions, verifyAddPasskey } from '../../passkeys/index.ts'
import { reauthOptions, verifyReauth } from '../../passkeys/index.ts'
import { acceptsPasskey, effectivePolicy, generateRecoveryCodes, meetsRolePolicy } from '../../passkeys/index.ts'
import type { PasskeyRecord } from '../../store/index.ts'
import {
  zAddPasskeyOptionsRequest, zCreationOptions, zEmptyRequest, zLoginVerifyRequest, zPasskey, zPasskeyIdParams, zPasskeyList,
  zPublicUser, zRecoveryCodes, zRegisterVerifyRequest, zRenamePasskeyRequest, zRequestOptions, zSessionInfo, zSessionRefParams,
} from '../../passkeys/index.ts'
import { passkeyView, sessionView, userView } from '../views.ts'
import { signIn } from '../signIn.ts'
import { clientBucket } from '../middleware/rateLimit.ts'
import { domainEvent } from '../../audit/index.ts'
import { ASSERTION_ERRORS } from './passkeys.ts'
import { createSessions } from '../../sessions/index.ts'


const zMe = z.object({
  user: zPublicUser.extend({ webauthnUserId: z.string().describe('WebAuthn user.id (base64url), for the Signal API') }),
  rpId: z.string().describe('WebAuthn relying-party id, for the Signal API'),
  session: zSessionInfo,
  passkeyCount: z.number().int(),
  recoveryCodesRemaining: z.number().int(),
})

export function meRoutes(api: Api): void {
  api.add({
    method: 'get', path: '/v1/me', operationId: 'getMe', tag: 'Account', auth: 'session-or-recovery',
    summary: 'The signed-in user, the current session, and how many ways in the account has',
    response: zMe, errors: ['unauthenticated'],
    handler: async ({ deps, principal }) => {
      const { user, session } = me(principal)
      const [passkeys, remaining] = await Promise.all([deps.store.passkeys.listByUser(user.id), deps.store.recovery.remaining(user.id)])
      return { user: { ...userView(user), webauthnUserId: user.webauthnUserId }, rpId: deps.config.rpId, session: sessionView(session, deps.config.sessionIdleSeconds, session.ref), passkeyCount: passkeys.length, recoveryCodesRemaining: remaining }
    },
  })
  api.add({
    method: 'get', path: '/v1/me/passkeys', operationId: 'listPasskeys', tag: 'Account', auth: 'session',
    summary: 'List my passkeys: name, authenticator, synced or device-bound, created, last used',
    response: zPasskeyList, errors: ['unauthenticated'],
    handler: async ({ deps, principal }) => ({ passkeys: (await deps.store.passkeys.listByUser(me(principal).user.id)).map(passkeyView) }),
  })
  api.add({
    method: 'patch', path: '/v1/me/passkeys/:id', operationId: 'renamePasskey', tag: 'Account', auth: 'session',
    summary: 'Rename one of my passkeys', params: zPasskeyIdParams, body: zRenamePasskeyRequest, response: zPasskey,
    errors: ['unauthenticated', 'request_invalid', 'passkey_not_found'],
    handler: async ({ deps, principal, params, body }) => {
      const { user } = me(principal)
      const event = domainEvent('passkey.renamed', params.id, deps.now(), { user: user.id })
      if (!(await deps.store.passkeys.rename(user.id, params.id, body.name, [event]))) throw new ProblemError('passkey_not_found', 404, { field: 'id' })
      await deps.store.audit.append({ type: 'passkey.renamed', actor: user.id, subject: params.id }, deps.now())
      return passkeyView((await deps.store.passkeys.get(params.id))!)
    },
  })
  api.add({
    method: 'delete', path: '/v1/me/passkeys/:id', operationId: 'removePasskey', tag: 'Account', auth: 'session', fresh: true,
    summary: 'Remove one of my passkeys (needs a fresh verification; the last passkey cannot be removed); signs out my other sessions',
    description: 'Every other session of mine ends with it (and the access tokens they issued): a session opened with a lost or stolen passkey must not outlive its removal. This one, freshly verified, stays.',
    params: zPasskeyIdParams, status: 204, errors: ['unauthenticated', 'reauthentication_required', 'session_cookie_required', 'passkey_not_found', 'last_passkey'],
    handler: async ({ deps, principal, params }) => {
      const { user, session } = me(principal)
      // A role may demand a kind of passkey (a hardware key for compliance staff) that sign-in enforces: the one left
      // must be able to sign in, not merely exist.
      const policy = effectivePolicy(deps.attestationPolicies, user.roles)
      const passkeys = await deps.store.passkeys.listByUser(user.id)
      const signsIn = (p: PasskeyRecord): boolean => acceptsPasskey(policy, p)
      if (passkeys.some((p) => p.id === params.id) && !passkeys.some((p) => p.id !== params.id && signsIn(p))) {
        throw new ProblemError('last_passkey', 409, { field: 'id', detail: passkeys.length > 1
          ? 'Your other passkeys are not of a kind your role accepts for signing in; add one that is before removing this one.'
          : 'Add another passkey before removing your last one.' })
      }
      // The store checks again, atomically, that one of the passkeys that can sign in stays: two removals at once
      // (two tabs, two devices) must not each count on the other's passkey.
      const canSignIn = passkeys.filter(signsIn).map((p) => p.id)
      const r = await deps.store.passkeys.removeKeepingOne(user.id, params.id,
        [domainEvent('passkey.removed', params.id, deps.now(), { user: user.id })],
        canSignIn.length === passkeys.length ? undefined : canSignIn)
      if (r === 'not_found') throw new ProblemError('passkey_not_found', 404, { field: 'id' })
      if (r === 'last_passkey') throw new ProblemError('last_passkey', 409, { detail: 'Add another passkey before removing your last one.', field: 'id' })
      const ended = await deps.store.sessions.deleteAllForUser(user.id, session.idHash)
      await deps.store.audit.append({ type: 'passkey.removed', actor: user.id, subject: params.id, data: { endedSessions: ended } }, deps.now())
      return undefined
    },
  })
  api.add({
    method: 'post', path: '/v1/me/passkeys/options', operationId: 'addPasskeyOptions', tag: 'Account', auth: 'session-or-recovery', fresh: true, rateLimit: true, secretResponse: true,
    summary: 'Start adding a passkey to my account (excludeCredentials lists the ones I have)',
    body: zAddPasskeyOptionsRequest, response: zCreationOptions, errors: ['unauthenticated', 'reauthentication_required', 'session_cookie_required', 'rate_limited'],
    handler: ({ deps, principal, body }) => addPasskeyOptions(deps, me(principal).user, body.authenticatorType),
  })
  api.add({
    method: 'post', path: '/v1/me/passkeys/verify', operationId: 'addPasskeyVerify', tag: 'Account', auth: 'session-or-recovery', ceremony: 'add-passkey', secretResponse: true,
    summary: 'Finish adding a passkey. After a recovery-code sign-in this also turns the restricted session into a full one.',
    body: zRegisterVerifyRequest, status: 201, response: z.object({ passkey: zPasskey, session: zSessionInfo.optional() }),
    errors: ['unauthenticated', 'challenge_unknown', 'challenge_expired', 'attestation_policy_violation', 'credential_already_registered', 'user_verification_required', 'origin_mismatch', 'rp_id_mismatch'],
    handler: async ({ deps, req, res, principal, body }) => {
      const { user, session } = me(principal)
      const passkey = await verifyAddPasskey(deps, user, body.response)
      await deps.store.audit.append({ type: 'passkey.added', actor: user.id, subject: passkey.id, data: { aaguid: passkey.aaguid } }, deps.now())
      if (session.kind === 'recovery') {
        // The new passkey was created with user verification: the account is whole again.
        const signedIn = await signIn(deps, req, res, user, 'full', passkey.id)
        return { passkey: passkeyView(passkey), session: signedIn.session }
      }
      // Created with user verification in this session, and of a kind the user's roles accept (checked above): the
      // session counts as verified by it for those roles (freshness is unchanged). How someone given a role that
      // wants a security key carries on without signing in again.
      await deps.store.sessions.update(session.idHash, { passkeyId: passkey.id })
      return { passkey: passkeyView(passkey) }
    },
  })
  api.add({
    method: 'post', path: '/v1/me/reauth/options', operationId: 'reauthOptions', tag: 'Account', auth: 'session', rateLimit: true,
    summary: 'Start a re-verification before a sensitive action (allowCredentials: my passkeys)',
    body: zEmptyRequest, response: zRequestOptions, errors: ['unauthenticated', 'rate_limited'],
    handler: ({ deps, principal }) => reauthOptions(deps, me(principal).user),
  })
  api.add({
    method: 'post', path: '/v1/me/reauth/verify', operationId: 'reauthVerify', tag: 'Account', auth: 'session', ceremony: 'reauth',
    summary: 'Finish a re-verification: sensitive actions are allowed for SIGIL_FRESH_AUTH_SECONDS',
    body: zLoginVerifyRequest, response: z.object({ verifiedAt: z.iso.datetime() }),
    errors: ['unauthenticated', ...ASSERTION_ERRORS],
    handler: async ({ deps, req, principal, body }) => {
      const { user, session } = me(principal)
      const { passkey } = await verifyReauth(deps, user, body.response, clientBucket(req.ip))
      // Fresh either way; the session becomes this passkey's only if the user's roles accept it, so re-verifying with
      // a synced passkey neither lets the session act in such a role nor takes that from it.
      await createSessions(deps).markVerified(session.idHash, meetsRolePolicy(deps.attestationPolicies, user.roles, passkey) ? passkey.id : undefined)
      return { verifiedAt: new Date(deps.now()).toISOString() }
    },
  })
  api.add({
    method: 'post', path: '/v1/me/recovery-codes', operationId: 'generateRecoveryCodes', tag: 'Account', auth: 'session', fresh: true, secretResponse: true,
    summary: 'Generate 10 new recovery codes (shown once; replaces the earlier ones)',
    body: zEmptyRequest, status: 201, response: zRecoveryCodes, errors: ['unauthenticated', 'reauthentication_required', 'session_cookie_required', 'idempotency_replay_unavailable'],
    handler: async ({ deps, res, principal }) => {
      const { user } = me(principal)
      const codes = await generateRecoveryCodes(deps, user.id)
      await deps.store.audit.append({ type: 'recovery.codes_generated', actor: user.id, subject: user.id }, deps.now())
      res.setHeader('Cache-Control', 'no-store')
      return { codes, createdAt: new Date(deps.now()).toISOString() }
    },
  })
  api.add({
    method: 'get', path: '/v1/me/sessions', operationId: 'listSessions', tag: 'Account', auth: 'session',
    summary: 'List my active sessions', response: z.object({ sessions: z.array(zSessionInfo) }), errors: ['unauthenticated'],
    handler: async ({ deps, principal }) => {
      const { user, session } = me(principal)
      const live = createSessions(deps)
      const all = (await deps.store.sessions.listByUser(user.id)).filter((s) => live.isLive(s))
      return { sessions: all.sort((a, b) => b.lastSeenAt - a.lastSeenAt).map((s) => sessionView(s, deps.config.sessionIdleSeconds, session.ref)) }
    },
  })
  api.add({
    method: 'delete', path: '/v1/me/sessions/:ref', operationId: 'revokeSession', tag: 'Account', auth: 'session',
    summary: 'Sign out one of my sessions', params: zSessionRefParams, status: 204, errors: ['unauthenticated', 'session_not_found'],
    handler: async ({ deps, principal, params }) => {
      const { user } = me(principal)
      const event = domainEvent('session.revoked', params.ref, deps.now(), { user: user.id })
      if (!(await deps.store.sessions.deleteByRef(user.id, params.ref, [event]))) throw new ProblemError('session_not_found', 404, { field: 'ref' })
      await deps.store.audit.append({ type: 'session.revoked', actor: user.id, subject: params.ref }, deps.now())
      return undefined
    },
  })
}
