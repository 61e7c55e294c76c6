import { z } from 'zod'
import type { RouteDef } from './route.ts'
import { zCredentialRequest } from '../kyc/wire.ts'

const zProblem = z.object({
  type: z.string(), title: z.string(), status: z.number().int(), code: z.string(),
  detail: z.string().optional(), field: z.string().optional(), requestId: z.string().optional(),
  // Members some codes add (RFC 9457 §3.2 extension members); others may be added later: ignore what you do not know.
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('`request_invalid`: every bad field (at most 20)'),
  retryAfter: z.number().int().optional().describe('`rate_limited`: seconds to wait, as the Retry-After header'),
  maxAgeSeconds: z.number().int().optional().describe('`reauthentication_required`: how recent a user verification must be'),
  credentialId: z.string().optional().describe('`credential_unknown`: the credential id the browser offered (signal it to the authenticator, WebAuthn L3 signalUnknownCredential)'),
  reason: z.string().optional().describe('`presentation_invalid`: the verifier\'s failure code (`nonce_mismatch`, `credential_revoked`, …)'),
  refused: z.array(z.object({ claim: z.string(), reasons: z.array(z.string()) })).optional().describe('`disclosure_forbidden`: each claim the app may not ask for, and the policies that decided'),
  problems: z.array(z.unknown()).optional().describe('`policy_invalid`: the Cedar validation problems (at most 50)'),
  policyIds: z.array(z.string()).optional().describe('`kyc_issuance_forbidden`: the policies that decided'),
  credentialStatus: z.string().optional().describe('`kyc_credential_status_conflict`: the credential\'s current status'),
}).catchall(z.unknown())

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' })

const SECURITY: Record<string, Record<string, string[]>[]> = {
  none: [],
  session: [{ sessionCookie: [] }, { accessToken: [] }],
  'session-or-recovery': [{ sessionCookie: [] }, { accessToken: [] }],
  client: [{ apiKey: [] }],
  'session-or-client': [{ sessionCookie: [] }, { accessToken: [] }, { apiKey: [] }],
}

/** What any call can get (a request that cannot be read). */
const ANY_ERRORS = ['request_invalid']
/** What a mutating call can get besides: its body, the CSRF check, the Idempotency-Key. */
const MUTATING_ERRORS = ['body_malformed', 'body_too_large', 'content_type_unsupported', 'body_encoding_unsupported',
  'idempotency_key_invalid', 'idempotency_key_reused', 'idempotency_request_in_progress']
const ORIGIN_ERRORS = ['origin_required', 'origin_forbidden']
/** 5xx: the store or the process, for every call; `internal` is a bug. */
const SERVER_ERRORS = ['store_unavailable', 'overloaded', 'internal']

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }

/** OpenAPI 3.1 built from the same route definitions and zod schemas that validate requests. */
export function buildOpenApi(routes: RouteDef[], info: { version: string; serverUrl: string; cookieName: string }) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}')
    const mutating = r.method !== 'get'
    const parameters: unknown[] = []
    if (r.params) {
      const ps = schema(r.params, 'input') as { properties?: Record<string, unknown> }
      for (const [name, s] of Object.entries(ps.properties ?? {})) parameters.push({ name, in: 'path', required: true, schema: s })
    }
    if (r.query) {
      const qs = schema(r.query, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] }
      for (const [name, s] of Object.entries(qs.properties ?? {})) {
        parameters.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema: s, ...(s.description ? { description: s.description } : {}) })
      }
    }
    // The CSRF check (middleware/origin.ts): calls that need no sign-in (sign-up, sign-in, recovery) always; calls
    // made with the session cookie too; calls with an Authorization header never.
    const originAlways = mutating && r.auth === 'none'
    const originWithCookie = mutating && (r.auth === 'session' || r.auth === 'session-or-recovery' || r.auth === 'session-or-client')
    if (originAlways || originWithCookie) {
      parameters.push({ name: 'Origin', in: 'header', required: originAlways, schema: { type: 'string' },
        description: originAlways
          ? 'Required: one of SIGIL_ORIGINS (or its related origins). Browsers send it; other clients must set it (403 `origin_required` / `origin_forbidden`).'
          : 'Required when the call is authenticated by the session cookie (browsers send it); not needed with an Authorization header.' })
    }
    if (mutating) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
        description: r.secretResponse
          ? 'Optional. The answer holds a secret shown once and is not kept: a retry with the same key after the first went through gets 409 `idempotency_replay_unavailable` instead of running twice; while the first is still running, 409 `idempotency_request_in_progress`; a different body gets 422.'
          : 'Optional. Retries with the same key and body get the first answer (24 h), marked `Idempotent-Replayed: true`; while the first is still running, 409 `idempotency_request_in_progress`; a different body gets 422.' })
    }
    const status = String(r.status ?? 200)
    // A recovery session (after a recovery code) may only add a passkey: every other session operation refuses it.
    const auth = r.auth === 'session' || r.auth === 'session-or-client' ? ['recovery_session_restricted'] : []
    // A session acting in a role whose attestation policy it was not verified under (assertSessionMeetsRolePolicy).
    if (r.roles && r.auth !== 'client') auth.push('attestation_policy_violation')
    const codes = [...new Set([...(r.errors ?? []), ...ANY_ERRORS, ...(mutating ? MUTATING_ERRORS : []),
      ...(originAlways || originWithCookie ? ORIGIN_ERRORS : []), ...(r.rateLimit ? ['rate_limited'] : []),
      ...(r.secretResponse ? ['idempotency_replay_unavailable'] : []), ...auth])].filter((c) => !SERVER_ERRORS.includes(c))
    const serverCodes = [...new Set([...(r.errors ?? []).filter((c) => ['approval_busy', 'approval_requirements_invalid'].includes(c)), ...SERVER_ERRORS])]
    paths[path] ??= {}
    paths[path][r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      security: SECURITY[r.auth],
      ...(r.roles ? { 'x-sigil-roles': r.roles } : {}),
      ...(r.fresh ? { 'x-sigil-fresh-verification': true } : {}),
      ...(r.auth === 'session-or-recovery' ? { 'x-sigil-recovery-session': true } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      responses: {
        [status]: status === '204'
          ? { description: 'Done' }
          : r.responseType
            ? { description: 'Success', content: { [r.responseType]: {} } }
            : r.response
              ? { description: 'Success', content: { 'application/json': { schema: schema(r.response, 'output') } } }
              : { description: 'Done' },
        '4XX': { description: `Problem (RFC 9457). Codes: ${codes.join(', ')}`, content: problemContent },
        '5XX': { description: `Problem (RFC 9457). Codes: ${serverCodes.join(', ')}; 503 answers carry Retry-After`, content: problemContent },
      },
    }
  }
  const plain = (summary: string, tag: string, type = 'application/json') => ({ get: { summary, tags: [tag], security: [], responses: { 200: { description: 'OK', content: { [type]: {} } } } } })
  Object.assign(paths, {
    '/healthz': plain('Liveness: the process is up', 'Operations'),
    '/readyz': { get: { ...plain('Readiness: the store is reachable, and the key file has not been failing to load for 330 s or more (until then the last good key set is used)', 'Operations').get, responses: { 200: { description: 'Ready', content: { 'application/json': {} } }, 503: { description: 'store_unavailable, keys_unavailable', content: { 'application/json': {} } } } } },
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
        credentialAccessToken: { type: 'http', scheme: 'bearer', description: 'OpenID4VCI access token from POST /token (opaque, single credential, 5 minutes)' },
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
      responses: { 200: { description: 'OK', content: { 'application/statuslist+jwt': {} } }, 304: { description: 'Not modified (If-None-Match)' },
        '4XX': { description: 'Unknown list', content: problemContent } },
    } },
    '/token': { post: {
      summary: 'OpenID4VCI token endpoint: pre-authorized code (and PIN) for an access token (the `c_nonce` comes from /nonce)', tags: ['KYC credentials'], security: [],
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
      security: [{ credentialAccessToken: [] }],
      parameters: [secretOnce],
      requestBody: { required: true, content: { 'application/json': { schema: schema(zCredentialRequest, 'input') } } },
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
