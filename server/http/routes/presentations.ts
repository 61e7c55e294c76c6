import { verifyForApp, zVerifyPresentationRequest, zVerifyPresentationResponse } from '../../presentations/index.ts'
import { ProblemError } from '../problem.ts'
import type { Api } from '../route.ts'

export function presentationRoutes(api: Api): void {
  api.add({
    method: 'post', path: '/v1/presentations/verify', operationId: 'verifyPresentation', tag: 'Verification', auth: 'client', roles: ['relying-app'],
    summary: 'Check an SD-JWT VC presentation statelessly: only claims the app\'s disclosure policy allows, bound to its nonce and audience',
    description: 'Refused with 403 disclosure_forbidden (and audited) when the app asks for a claim its policy does not allow. The answer holds only the claims asked for; nothing is stored.',
    body: zVerifyPresentationRequest, response: zVerifyPresentationResponse,
    errors: ['unauthenticated', 'client_role_forbidden', 'request_invalid', 'disclosure_forbidden', 'presentation_invalid'],
    handler: async ({ deps, principal, body }) => {
      if (principal.kind !== 'client') throw new ProblemError('unauthenticated', 401)
      return verifyForApp(deps, principal.client, body)
    },
  })
}
