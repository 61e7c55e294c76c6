import type { Api } from '../route.ts'
import { newAccountOptions, verifyNewAccount } from '../../passkeys/index.ts'
import { loginOptions, verifyLogin } from '../../passkeys/index.ts'
import { zCreationOptions, zEmptyRequest, zLoginVerifyRequest, zRegisterOptionsRequest, zRegisterVerifyRequest, zRequestOptions, zSignedIn } from '../../passkeys/index.ts'
import { signIn } from '../signIn.ts'
import { domainEvent } from '../../audit/index.ts'
import { clientBucket } from '../middleware/rateLimit.ts'

const VERIFY_ERRORS = ['challenge_unknown', 'challenge_expired', 'client_data_malformed', 'cross_origin_forbidden', 'credential_id_mismatch', 'origin_mismatch',
  'rp_id_mismatch', 'user_presence_required', 'user_verification_required', 'challenge_mismatch', 'client_data_type_mismatch',
  'webauthn_verification_failed', 'rate_limited']

/** What checking an assertion can answer (passkeys/login.ts verifyAssertion), wherever one is checked. */
export const ASSERTION_ERRORS = [...VERIFY_ERRORS, 'credential_unknown', 'signature_invalid', 'counter_regression', 'attestation_policy_violation']

export function passkeyRoutes(api: Api): void {
  api.add({
    method: 'post', path: '/v1/passkeys/register/options', operationId: 'registerOptions', tag: 'Passkeys', auth: 'none', rateLimit: true, ceremony: 'register-options', secretResponse: true,
    summary: 'Start creating an account: WebAuthn creation options for a new handle',
    description: 'Discoverable credential and user verification are required; ES256, EdDSA and RS256 are accepted. The challenge is kept server-side for SIGIL_CHALLENGE_SECONDS and verifies once.',
    body: zRegisterOptionsRequest, response: zCreationOptions, errors: ['request_invalid', 'handle_unavailable', 'rate_limited'],
    handler: ({ deps, body }) => newAccountOptions(deps, body.handle, body.displayName, body.authenticatorType),
  })
  api.add({
    method: 'post', path: '/v1/passkeys/register/verify', operationId: 'registerVerify', tag: 'Passkeys', auth: 'none', ceremony: 'register', secretResponse: true,
    summary: 'Finish creating an account: verify the new passkey, create the account and sign in',
    body: zRegisterVerifyRequest, response: zSignedIn, status: 201,
    errors: [...VERIFY_ERRORS, 'algorithm_unsupported', 'attestation_invalid', 'attestation_policy_violation', 'handle_unavailable', 'credential_already_registered'],
    handler: async ({ deps, req, res, body }) => {
      const { user, passkey } = await verifyNewAccount(deps, body.response)
      return signIn(deps, req, res, user, 'full', passkey.id, undefined, { type: 'account.created', actor: user.id, subject: user.id, data: { passkey: passkey.id, aaguid: passkey.aaguid } })
    },
  })
  api.add({
    method: 'post', path: '/v1/passkeys/login/options', operationId: 'loginOptions', tag: 'Passkeys', auth: 'none', rateLimit: 'counted', ceremony: 'login-options',
    summary: 'Start a sign-in: discoverable request options (empty allowCredentials; works with conditional mediation)',
    body: zEmptyRequest, response: zRequestOptions, errors: ['rate_limited'],
    handler: ({ deps, limit }) => loginOptions(deps, limit!), // rateLimit 'counted': always set
  })
  api.add({
    method: 'post', path: '/v1/passkeys/login/verify', operationId: 'loginVerify', tag: 'Passkeys', auth: 'none', ceremony: 'login', secretResponse: true,
    summary: 'Finish a sign-in: verify the assertion and open a session',
    description: 'An unknown credential answers 401 credential_unknown with `credentialId`, so the browser can signal it (signalUnknownCredential).',
    body: zLoginVerifyRequest, response: zSignedIn,
    errors: [...ASSERTION_ERRORS, 'user_handle_mismatch', 'user_handle_missing'],
    handler: async ({ deps, req, res, body }) => {
      const { user, passkey } = await verifyLogin(deps, body.response, clientBucket(req.ip))
      return signIn(deps, req, res, user, 'full', passkey.id, [domainEvent('login', user.id, deps.now(), { passkey: passkey.id, method: 'passkey' })],
        { type: 'login', actor: user.id, subject: passkey.id, data: { method: 'passkey' } })
    },
  })
}
