import { z } from 'zod'
import type { RouteDef } from './route.ts'

const zProblem = z.object({
  type: z.string(), title: z.string(), status: z.number().int(), code: z.string(),
  detail: z.string().optional(), field: z.string().optional(), requestId: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
})

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' })

const SECURITY: Record<string, Record<string, string[]>[]> = {
  none: [],
  session: [{ sessionCookie: [] }, { accessToken: [] }],
  'session-or-recovery': [{ sessionCookie: [] }, { accessToken: [] }],
  client: [{ apiKey: [] }],
  'session-or-client': [{ sessionCookie: [] }, { accessToken: [] }, { apiKey: [] }],
}

const COMMON_ERRORS = ['request_invalid', 'body_malformed', 'body_too_large', 'content_type_unsupported', 'origin_required',
  'origin_forbidden', 'idempotency_key_invalid', 'idempotency_key_reused', 'idempotency_request_in_progress', 'internal']

/** OpenAPI 3.1 built from the same route definitions and zod schemas that validate requests. */
export function buildOpenApi(routes: RouteDef[], info: { version: string; serverUrl: string; cookieName: string }) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}')
    const parameters: unknown[] = []
    if (r.params) {
      const ps = schema(r.params, 'input') as { properties?: Record<string, unknown> }
      for (const [name, s] of Object.entries(ps.properties ?? {})) parameters.push({ name, in: 'path', required: true, schema: s })
    }
    if (r.method !== 'get') {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 },
        description: 'Retries with the same key and body get the first answer (24 h); a different body gets 422.' })
    }
    const status = String(r.status ?? 200)
    paths[path] ??= {}
    paths[path][r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      security: SECURITY[r.auth],
      ...(r.roles ? { 'x-sigil-roles': r.roles } : {}),
      ...(r.fresh ? { 'x-sigil-fresh-verification': true } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      responses: {
        [status]: status === '204' || !r.response
          ? { description: 'Done' }
          : { description: 'Success', content: { 'application/json': { schema: schema(r.response, 'output') } } },
        '4XX': {
          description: `Problem (RFC 9457). Codes: ${[...new Set([...(r.errors ?? []), ...COMMON_ERRORS])].join(', ')}`,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    }
  }
  const plain = (summary: string, tag: string, type = 'application/json') => ({ get: { summary, tags: [tag], security: [], responses: { 200: { description: 'OK', content: { [type]: {} } } } } })
  Object.assign(paths, {
    '/healthz': plain('Liveness: the process is up', 'Operations'),
    '/readyz': { get: { ...plain('Readiness: the store is reachable', 'Operations').get, responses: { 200: { description: 'Ready' }, 503: { description: 'store_unavailable' } } } },
    '/metrics': plain('Prometheus metrics', 'Operations', 'text/plain'),
    '/openapi.json': plain('This document', 'Operations'),
    '/.well-known/jwks.json': plain('Public signing keys (active and retired ones still needed to verify)', 'Keys', 'application/jwk-set+json'),
    '/.well-known/webauthn': plain('Related origins for WebAuthn (WebAuthn L3 related origin requests)', 'Keys'),
    ...protocolEndpoints(),
  })
  return {
    openapi: '3.1.0',
    info: { title: 'Sigil API', version: info.version, description: 'Passkey accounts, signing approval and KYC credentials. Errors are application/problem+json with a stable `code`.' },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      schemas: { Problem: schema(zProblem, 'output') },
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: info.cookieName },
        accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (typ at+jwt, ES256)' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'API key (sigil_sk_…) created with `npm run sigil -- clients create`' },
      },
    },
  }
}

/**
 * The endpoints that speak a protocol other than ours (OpenID4VCI, OAuth 2.0, Token Status List, OpenID4VP
 * direct_post): their wire formats and errors are the protocols' (OAuth `{ error, error_description }`, not
 * problem+json), so they are described here rather than generated from a route definition.
 */
function protocolEndpoints(): Record<string, Record<string, unknown>> {
  const get = (summary: string, tag: string, type: string, description?: string) => ({ get: {
    summary, ...(description ? { description } : {}), tags: [tag], security: [], responses: { 200: { description: 'OK', content: { [type]: {} } } },
  } })
  const oauthError = { description: 'OAuth error (RFC 6749 §5.2 / OpenID4VCI §8.3.1): `{ error, error_description }`', content: { 'application/json': {} } }
  const form = (properties: Record<string, unknown>, required: string[]) => ({ required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties, required } } } })
  const str = { type: 'string' }
  const idempotencyKey = (description: string) => ({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description })
  const secretOnce = idempotencyKey('Optional. The answer holds a secret or the credential and is not kept: a retry with the same key after the first went through gets 409 `idempotency_replay_unavailable` instead of running twice; a different body gets 422.')
  return {
    '/.well-known/did.json': get('The issuer\'s did:web document: the active key and every key retired less than a credential lifetime ago', 'KYC credentials', 'application/did+json'),
    '/.well-known/jwt-vc-issuer': get('SD-JWT VC issuer metadata: the issuer and its keys', 'KYC credentials', 'application/json'),
    '/.well-known/openid-credential-issuer': get('OpenID4VCI 1.0 credential issuer metadata', 'KYC credentials', 'application/json'),
    '/.well-known/oauth-authorization-server': get('OAuth 2.0 authorization server metadata (RFC 8414) for the pre-authorized code grant', 'KYC credentials', 'application/json'),
    '/credentials/kyc/v1': get('SD-JWT VC type metadata of the KYC credential (`vct`)', 'KYC credentials', 'application/json'),
    '/status-lists/{id}': { get: {
      summary: 'A Token Status List as a signed JWT (`typ: statuslist+jwt`), cacheable for its `ttl`', tags: ['KYC credentials'], security: [],
      parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
      responses: { 200: { description: 'OK', content: { 'application/statuslist+jwt': {} } }, '4XX': { description: 'Unknown list (problem+json)' } },
    } },
    '/token': { post: {
      summary: 'OpenID4VCI token endpoint: pre-authorized code (and PIN) for an access token and `c_nonce`', tags: ['KYC credentials'], security: [],
      parameters: [secretOnce],
      requestBody: form({ grant_type: { const: 'urn:ietf:params:oauth:grant-type:pre-authorized_code' }, 'pre-authorized_code': str, tx_code: str }, ['grant_type', 'pre-authorized_code']),
      responses: { 200: { description: 'Access token', content: { 'application/json': {} } }, '4XX': oauthError },
    } },
    '/nonce': { post: {
      summary: 'OpenID4VCI nonce endpoint: a fresh single-use `c_nonce` for a key proof', tags: ['KYC credentials'], security: [],
      parameters: [secretOnce],
      responses: { 200: { description: '`{ c_nonce }`', content: { 'application/json': {} } }, '4XX': oauthError },
    } },
    '/credential': { post: {
      summary: 'OpenID4VCI credential endpoint: the credential, bound to the key in the proof', tags: ['KYC credentials'],
      description: 'Bearer access token from /token. With a signed-in session cookie from this site, the credential is also linked to that account (recovery by credential).',
      security: [{ accessToken: [] }],
      parameters: [secretOnce],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: {
        credential_configuration_id: str, proofs: { type: 'object', properties: { jwt: { type: 'array', items: str } } } } } } } },
      responses: { 200: { description: '`{ credentials: [{ credential }] }`', content: { 'application/json': {} } }, '4XX': oauthError },
    } },
    '/v1/presentations/responses/{id}': { post: {
      summary: 'OpenID4VP response endpoint (`direct_post`: `vp_token` and `state`; `direct_post.jwt`: `response`, a JWE)', tags: ['Verification'], security: [],
      parameters: [{ name: 'id', in: 'path', required: true, schema: str },
        idempotencyKey('Optional. A retry with the same key and body gets the first answer (24 h); a different body gets 422.')],
      requestBody: form({ vp_token: str, state: str, response: str }, []),
      responses: { 200: { description: 'Received; the relying app reads the result', content: { 'application/json': {} } },
        '4XX': { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } },
    } },
  }
}
