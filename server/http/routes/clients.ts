import { z } from 'zod'
import type { Api } from '../route.ts'
import { ProblemError } from '../problem.ts'

export function clientRoutes(api: Api): void {
  api.add({
    method: 'get', path: '/v1/clients/me', operationId: 'getClient', tag: 'API clients', auth: 'client',
    summary: 'The API client behind the key in use, with its roles (clients are created with `npm run sigil -- clients create`)',
    response: z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()), createdAt: z.iso.datetime() }),
    errors: ['unauthenticated'],
    handler: async ({ principal }) => {
      if (principal.kind !== 'client') throw new ProblemError('unauthenticated', 401)
      const c = principal.client
      return { id: c.id, name: c.name, roles: c.roles, createdAt: new Date(c.createdAt).toISOString() }
    },
  })
}
