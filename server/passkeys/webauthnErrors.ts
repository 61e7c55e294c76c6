import { ProblemError } from '../errors.ts'

/** SimpleWebAuthn throws plain Errors; their messages are mapped to our stable codes here, in one place. */
const RULES: [RegExp, string, string][] = [
  [/counter value/i, 'counter_regression', 'The authenticator counter went backwards: the passkey may have been cloned.'],
  [/origin/i, 'origin_mismatch', 'The response was made for another origin.'],
  [/RP ID|rpIdHash/i, 'rp_id_mismatch', 'The response was made for another relying party.'],
  [/User verification|could not be verified/i, 'user_verification_required', 'The authenticator did not verify the user (PIN or biometrics).'],
  [/not present|presence/i, 'user_presence_required', 'The authenticator did not confirm user presence.'],
  [/challenge/i, 'challenge_mismatch', 'The response answers another challenge.'],
  [/response type/i, 'client_data_type_mismatch', 'The response is for another kind of ceremony.'],
  [/public key alg/i, 'algorithm_unsupported', 'The passkey uses an algorithm Sigil does not accept (ES256, EdDSA, RS256).'],
  [/Attestation Format|attestation/i, 'attestation_invalid', 'The attestation statement is not valid.'],
]

export function webauthnProblem(err: unknown, status = 400): ProblemError {
  if (err instanceof ProblemError) return err
  const message = err instanceof Error ? err.message : String(err)
  for (const [re, code, detail] of RULES) {
    if (re.test(message)) return new ProblemError(code, code === 'counter_regression' ? 401 : status, { detail, cause: err })
  }
  return new ProblemError('webauthn_verification_failed', status, { detail: 'The passkey response could not be verified.', cause: err })
}
