import type { AppDeps } from '../deps.ts'
import { signJwt } from '../keys/index.ts'
import type { AuditEntry } from '../store/index.ts'

export const CHECKPOINT_TYP = 'sigil-audit-checkpoint+jwt'
export const CHECKPOINT_TYPE = 'audit.checkpoint'

export interface CheckpointClaims {
  iss: string
  iat: number
  /** The entry the checkpoint vouches for, and through the hash chain for every entry before it. */
  seq: number
  hash: string
}

/**
 * Signs the head of the audit chain (JWS over its seq and hash) and appends the signature as an entry of its
 * own. An auditor holding a checkpoint can prove that no entry up to it was changed, removed or reordered,
 * even by someone able to rewrite the whole store and recompute every hash, since they lack the key.
 */
export function createCheckpointer(deps: Pick<AppDeps, 'store' | 'keys' | 'config' | 'now'>) {
  let scanned = 0
  let head: AuditEntry | undefined
  let lastCheckpointed = 0
  return {
    async run(): Promise<AuditEntry | undefined> {
      for (;;) {
        const page = await deps.store.audit.list({ afterSeq: scanned, limit: 1000 })
        for (const e of page) {
          if (e.type === CHECKPOINT_TYPE) lastCheckpointed = Math.max(lastCheckpointed, (e.data as { seq?: number }).seq ?? 0)
          else head = e
        }
        scanned = page.at(-1)?.seq ?? scanned
        if (page.length < 1000) break
      }
      if (!head || head.seq <= lastCheckpointed) return undefined
      const claims: CheckpointClaims = { iss: deps.config.publicUrl, iat: Math.floor(deps.now() / 1000), seq: head.seq, hash: head.hash }
      const jws = await signJwt(deps.keys.signer(), CHECKPOINT_TYP, { ...claims })
      lastCheckpointed = head.seq
      return deps.store.audit.append({ type: CHECKPOINT_TYPE, actor: 'system', subject: String(head.seq), data: { seq: head.seq, hash: head.hash, jws } }, deps.now())
    },
  }
}
