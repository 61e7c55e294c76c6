import fs from 'node:fs'
import path from 'node:path'
import { createLocalJWKSet } from 'jose'
import type { AppDeps } from '../deps.ts'
import { signJwt, verifySigned } from '../keys/index.ts'
import { AUDIT_GENESIS, auditEntryHash, type AuditEntry } from '../store/index.ts'

export const CHECKPOINT_TYP = 'sigil-audit-checkpoint+jwt'
export const CHECKPOINT_TYPE = 'audit.checkpoint'

/** An entry of the chain as a checkpoint names it. */
export interface CheckpointMark {
  seq: number
  hash: string
}

export interface CheckpointClaims {
  iss: string
  iat: number
  /** The entry the checkpoint vouches for, and through the hash chain for every entry before it. */
  seq: number
  hash: string
  /**
   * What the checkpoint before it covers (the newest one in the log up to `seq`), or null when there was none: the
   * signer checked every link from there to `seq`. Absent in checkpoints written before it was added.
   */
  prev?: CheckpointMark | null
}

/** Where a deployment keeps the last entry it signed, outside the store: `audit-anchor.json` in the data directory. */
export const auditAnchorFile = (config: { dataDir: string }): string => path.join(config.dataDir, 'audit-anchor.json')

/** The checkpointer found the chain changed since it was last signed, and signs nothing. */
export class CheckpointRefusedError extends Error {
  readonly code = 'audit_chain_broken'
  /** The entry where the chain stops matching what was signed or checked. */
  readonly seq: number
  constructor(seq: number, reason: string) {
    super(`audit checkpoint refused at seq ${seq}: ${reason}. The audit log was changed outside Sigil; nothing is signed until it is restored (from a verified export or backup) and the server restarted`)
    this.name = 'CheckpointRefusedError'
    this.seq = seq
  }
}

const PAGE = 1000

/**
 * Signs the last entry of the audit chain (JWS over its seq and hash, and the previous checkpoint's) and appends the
 * signature as an entry of its own, at every call, also when nothing was appended since: an auditor then knows that
 * a log whose newest checkpoint is old was cut back. An auditor holding a checkpoint can prove that no entry up to
 * it was changed, removed or reordered, even by someone able to rewrite the store and recompute every hash, since
 * they lack the key.
 *
 * That holds only if the signer never signs a rewritten chain: before signing, every entry from the newest checkpoint
 * that verifies with this deployment's keys (on the first call) or from the last entry it checked (later calls) up to
 * the head must link by recomputed hash, every checkpoint on the way must verify, and the entries it checked and the
 * checkpoint it appended must still be there unchanged. Otherwise it throws CheckpointRefusedError (the caller logs
 * it) and signs nothing, at this and every later call.
 *
 * `anchorFile` (the data directory's `audit-anchor.json`, outside the store) remembers the last entry signed, so
 * that a process starting on a store stripped of its checkpoints and re-hashed still refuses: the entry it names must
 * be there with that hash. A log restored on purpose from an older backup is refused the same way until the file is
 * removed (the error says so). Without the file (first start, another host) only the store's own checkpoints anchor
 * the check; the auditor's `--expect-checkpoint` covers the rest.
 */
export function createCheckpointer(deps: Pick<AppDeps, 'store' | 'keys' | 'config' | 'now'>, opts: { anchorFile?: string } = {}) {
  /** The last entry checked to link back to a trusted checkpoint (or to the start). */
  let tip: CheckpointMark | undefined
  /** What the newest trusted checkpoint up to `tip` covers; null: none. */
  let anchor: CheckpointMark | null = null
  /** The checkpoint entry this checkpointer appended last. */
  let own: CheckpointMark | undefined

  const entryAt = async (seq: number): Promise<AuditEntry | undefined> => {
    const [e] = await deps.store.audit.list({ afterSeq: seq - 1, limit: 1 })
    return e?.seq === seq ? e : undefined
  }
  /** The entry at mark.seq still is the one checked: same content, same hash. */
  const unchanged = async (mark: CheckpointMark, what: string): Promise<void> => {
    const e = await entryAt(mark.seq)
    if (!e) throw new CheckpointRefusedError(mark.seq, `${what} is gone`)
    if (e.hash !== mark.hash || auditEntryHash(e) !== mark.hash) throw new CheckpointRefusedError(mark.seq, `${what} was changed`)
  }

  /** The mark the anchor file holds, if there is one; a file that cannot be read as one refuses (it was written by us). */
  const readAnchor = (): CheckpointMark | undefined => {
    if (!opts.anchorFile) return undefined
    let text: string
    try {
      text = fs.readFileSync(opts.anchorFile, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    let mark: Partial<CheckpointMark> | undefined
    try {
      mark = JSON.parse(text) as Partial<CheckpointMark>
    } catch {
      mark = undefined
    }
    if (!mark || !Number.isSafeInteger(mark.seq) || mark.seq! < 1 || typeof mark.hash !== 'string') {
      throw new CheckpointRefusedError(0, `${opts.anchorFile} is not an anchor this checkpointer wrote`)
    }
    return { seq: mark.seq!, hash: mark.hash }
  }
  const writeAnchor = (mark: CheckpointMark): void => {
    if (!opts.anchorFile) return
    fs.mkdirSync(path.dirname(opts.anchorFile), { recursive: true, mode: 0o700 })
    const tmp = `${opts.anchorFile}.${process.pid}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(mark) + '\n', { mode: 0o600 })
    fs.renameSync(tmp, opts.anchorFile)
  }

  /**
   * A checkpoint's claims, verified with the key history; on a refusal the key file is read again once per run and
   * the check repeated: another worker or instance may have rotated the key and signed with the new one before this
   * process's periodic refresh (a false tamper alarm otherwise).
   */
  let refreshedThisRun = false
  const verify = async (e: AuditEntry): Promise<CheckpointClaims> => {
    try {
      return await verifiedClaims(e, createLocalJWKSet(deps.keys.history()))
    } catch (err) {
      if (refreshedThisRun || !(err instanceof CheckpointRefusedError)) throw err
      refreshedThisRun = true
      await deps.keys.refresh()
      return verifiedClaims(e, createLocalJWKSet(deps.keys.history()))
    }
  }

  async function start(): Promise<void> {
    const kept = readAnchor()
    if (kept) {
      await unchanged(kept, `entry ${kept.seq}, signed before this process started (${opts.anchorFile}; remove the file if the log was restored from a backup on purpose),`)
    }
    // Read back from the head, not through the whole log (millions of entries at start-up, in every process).
    const newest = await deps.store.audit.latestOfType(CHECKPOINT_TYPE)
    if (newest) {
      const claims = await verify(newest)
      await unchanged(claims, `entry ${claims.seq}, signed by the checkpoint at seq ${newest.seq},`)
      tip = anchor = { seq: claims.seq, hash: claims.hash }
    } else tip = { seq: 0, hash: AUDIT_GENESIS }
    // The anchor file names the later entry when the store lost checkpoints this deployment wrote.
    if (kept && kept.seq > tip.seq) tip = anchor = kept
  }

  return {
    async run(): Promise<AuditEntry | undefined> {
      refreshedThisRun = false
      if (!tip) await start()
      else {
        if (tip.seq > 0) await unchanged(tip, `entry ${tip.seq}, checked before,`)
        if (own) await unchanged(own, `the checkpoint appended at seq ${own.seq}`)
      }
      let head = tip!
      let trusted = anchor
      for (;;) {
        const page = await deps.store.audit.list({ afterSeq: head.seq, limit: PAGE })
        for (const e of page) {
          if (e.seq !== head.seq + 1) throw new CheckpointRefusedError(head.seq + 1, 'the entry is missing')
          if (e.prevHash !== head.hash) throw new CheckpointRefusedError(e.seq, 'the entry does not link to the one before it')
          if (auditEntryHash(e) !== e.hash) throw new CheckpointRefusedError(e.seq, 'the entry does not match its hash')
          if (e.type === CHECKPOINT_TYPE) {
            const claims = await verify(e)
            await unchanged(claims, `entry ${claims.seq}, signed by the checkpoint at seq ${e.seq},`)
            trusted = { seq: claims.seq, hash: claims.hash }
          }
          head = { seq: e.seq, hash: e.hash }
        }
        if (page.length < PAGE) break
      }
      tip = head
      anchor = trusted
      if (head.seq === 0) return undefined
      const claims: CheckpointClaims = { iss: deps.config.publicUrl, iat: Math.floor(deps.now() / 1000), seq: head.seq, hash: head.hash, prev: trusted }
      const jws = await signJwt(deps.keys.signer(), CHECKPOINT_TYP, { ...claims })
      const entry = await deps.store.audit.append({ type: CHECKPOINT_TYPE, actor: 'system', subject: String(head.seq), data: { seq: head.seq, hash: head.hash, jws } }, deps.now())
      own = { seq: entry.seq, hash: entry.hash }
      anchor = { seq: head.seq, hash: head.hash }
      writeAnchor(anchor)
      return entry
    },
  }
}

/** The claims of a checkpoint entry whose signature verifies with the keys, naming an entry before it; else a refusal. */
async function verifiedClaims(e: AuditEntry, jwks: ReturnType<typeof createLocalJWKSet>): Promise<CheckpointClaims> {
  const jws = (e.data as { jws?: unknown } | null)?.jws
  let claims: CheckpointClaims | undefined
  if (typeof jws === 'string') {
    try {
      claims = await verifySigned(jws, jwks, CHECKPOINT_TYP) as unknown as CheckpointClaims
    } catch {
      claims = undefined
    }
  }
  if (!claims) throw new CheckpointRefusedError(e.seq, 'a checkpoint whose signature does not verify with this deployment\'s keys')
  if (!Number.isSafeInteger(claims.seq) || claims.seq < 1 || claims.seq >= e.seq || typeof claims.hash !== 'string') {
    throw new CheckpointRefusedError(e.seq, 'a checkpoint that does not name an entry before it')
  }
  return claims
}
