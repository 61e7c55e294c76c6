import type { Store } from '../ports.ts'
import { apiClientsContract } from './apiClients.ts'
import { auditContract } from './audit.ts'
import { challengesContract } from './challenges.ts'
import type { ContractTarget } from './harness.ts'
import { idempotencyContract } from './idempotency.ts'
import { lifecycleContract } from './lifecycle.ts'
import { passkeyRemovalContract } from './passkeyRemoval.ts'
import { passkeysContract } from './passkeys.ts'
import { rateLimitsContract } from './rateLimits.ts'
import { recoveryContract } from './recovery.ts'
import { sessionsContract } from './sessions.ts'
import { usersContract } from './users.ts'
import { outboxContract } from './outbox.ts'
import { webhooksContract } from './webhooks.ts'
import { approvalsContract } from './approvals.ts'
import { kycContract } from './kyc.ts'

export interface StoreContractOptions {
  /**
   * Opens a second connection to the data behind `store`, standing in for another server instance. When
   * given, the concurrency tests spread their calls over both connections.
   */
  peer?: (store: Store) => Promise<Store>
}

/**
 * Registers the whole store contract with node:test. `make` must return a fresh, empty store for every
 * test; the suite closes it. Every adapter runs this same suite.
 */
export function storeContract(name: string, make: () => Promise<Store>, opts: StoreContractOptions = {}): void {
  const target: ContractTarget = { make, peer: opts.peer }
  lifecycleContract(name, target)
  challengesContract(name, target)
  usersContract(name, target)
  passkeysContract(name, target)
  passkeyRemovalContract(name, target)
  sessionsContract(name, target)
  recoveryContract(name, target)
  apiClientsContract(name, target)
  rateLimitsContract(name, target)
  idempotencyContract(name, target)
  auditContract(name, target)
  outboxContract(name, target)
  webhooksContract(name, target)
  approvalsContract(name, target)
  kycContract(name, target)
}
