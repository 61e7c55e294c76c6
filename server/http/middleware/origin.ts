import type { Request } from 'express'
import type { AppDeps, Principal } from '../../deps.ts'
import type { AuthMode } from './auth.ts'
import { ProblemError } from '../problem.ts'

/**
 * CSRF defence for calls a browser can make with ambient credentials (the session cookie) or that set one
 * (sign-up, sign-in, recovery: always checked). Calls authenticated by an Authorization header cannot be
 * forged cross-site and skip it. A missing Origin is refused: browsers always send it on POST, PATCH and DELETE.
 */
export function checkOrigin(deps: AppDeps, req: Request, principal: Principal, mode: AuthMode): void {
  if (mode !== 'none' && req.headers.authorization !== undefined && principal.kind !== 'none') return
  const origin = req.headers.origin
  if (!origin) throw new ProblemError('origin_required', 403, { detail: 'An Origin header is required.', field: 'origin' })
  if (!deps.config.origins.includes(origin) && !deps.config.relatedOrigins.includes(origin)) {
    throw new ProblemError('origin_forbidden', 403, { detail: `Origin ${origin.slice(0, 100)} is not allowed.`, field: 'origin' })
  }
}
