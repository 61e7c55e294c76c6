import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { ApiClientRecord, Store } from '../store/index.ts'
import { domainEvent } from '../audit/index.ts'

/** Prefix of every API key, so a leaked key is recognisable by secret scanners. */
export const API_KEY_PREFIX = 'sigil_sk_'

export const API_CLIENT_ROLES = ['wallet-backend', 'signing-service', 'relying-app', 'webhook-admin', 'kyc-vendor'] as const
export type ApiClientRole = (typeof API_CLIENT_ROLES)[number]

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('base64url')

/** Creates a client; the key is returned once and only its hash is stored. */
export async function createApiClient(store: Store, name: string, roles: ApiClientRole[], now: number): Promise<{ client: ApiClientRecord; key: string }> {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url')
  const client: ApiClientRecord = { id: randomUUID(), name, roles, keyHash: hashApiKey(key), createdAt: now, revokedAt: null }
  await store.apiClients.create(client, [domainEvent('client.created', client.id, now, { roles })])
  return { client, key }
}
