import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { Store, SessionRecord, UserRecord, ApiClientRecord } from './store/index.ts'
import type { KeyRing } from './keys/index.ts'
import type { Metrics } from './http/index.ts'
import type { AttestationPolicies } from './passkeys/index.ts'

/** Everything the app needs from outside; tests build it with an in-memory store and a fake clock. */
export interface AppDeps {
  config: Config
  store: Store
  keys: KeyRing
  log: Logger
  metrics: Metrics
  /** Epoch milliseconds. */
  now: () => number
  attestationPolicies: AttestationPolicies
  /** The outbox dispatcher, told after each mutating request so events go out without waiting for its poll. */
  outbox?: { kick(): void }
}

export type Principal =
  | { kind: 'none' }
  | { kind: 'session'; session: SessionRecord; user: UserRecord; via: 'cookie' | 'token' }
  | { kind: 'client'; client: ApiClientRecord }
