export { API_CLIENT_ROLES, API_KEY_PREFIX, createApiClient, hashApiKey } from './apiKeys.ts'
export type { ApiClientRole } from './apiKeys.ts'
