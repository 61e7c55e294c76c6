import { randomBytes } from 'node:crypto'
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
/** Of `intervalMs`: a checkpoint signed less than this long ago (or ahead) is fresh; a claim to sign lasts as long. */
const FRESH = 0.9

export interface CreateCheckpointerOptions {
  /** `audit-anchor.json` in the data directory (auditAnchorFile). */
  anchorFile?: string
  /**
   * How often every process of the deployment calls run(): a run then signs only when the newest checkpoint is not
   * fresh (see createCheckpointer). Absent: every run signs (`sigil audit checkpoint`).
   */
  intervalMs?: number
}

/**
 * Signs the last entry of the audit chain (JWS over its seq and hash, and the previous checkpoint's) and appends the
 * signature as an entry of its own, also when nothing was appended since: an auditor then knows that a log whose
 * newest checkpoint is old was cut back. An auditor holding a checkpoint can prove that no entry up to it was
 * changed, removed or reordered, even by someone able to rewrite the store and recompute every hash, since they lack
 * the key.
 *
 * That holds only if the signer never signs a rewritten chain: before signing, every entry from the newest checkpoint
 * that verifies with this deployment's keys (on the first call) or from the last entry it checked (later calls) up to
 * the head must link by recomputed hash, every checkpoint on the way must verify, and the entries it checked and the
 * checkpoint it appended must still be there unchanged. Otherwise it throws CheckpointRefusedError (the caller logs
 * it) and signs nothing, at this and every later call.
 *
 * Every process of a deployment (each of `SIGIL_WORKERS`, each instance on one store) calls run() every
 * `intervalMs`; the deployment signs once per interval. After the check above, which every run does (a process that
 * does not sign still refuses a rewritten chain), a run signs nothing when the newest checkpoint's `iat` is within
 * 0.9 × `intervalMs` of this process's clock (the tenth allows for clock skew and timer drift), whatever was
 * appended since: entries wait at most an interval for a checkpoint, as with one process. The process that signed
 * it finds it an interval old at its next run and signs again; when that process stops, another takes over at its
 * next run (a gap under two intervals). A run that is due first claims the signature after that checkpoint in the
 * idempotency store (atomic across processes; released when signing fails, lapsing after 0.9 × `intervalMs`): of
 * runs due at once, one signs. Two checkpoints in one interval remain possible, and harmless, when a claimer stalls
 * longer than that between claim and append, and beside `sigil audit checkpoint` (no `intervalMs`: always signs).
 *
 * `anchorFile` (the data directory's `audit-anchor.json`, outside the store) remembers the last entry covered by a
 * checkpoint this process appended or checked, so that a process starting on a store stripped of its checkpoints
 * and re-hashed still refuses: the entry it names must be there with that hash. Processes that do not sign write
 * it too, so every host's file is kept; workers sharing a data directory may set it back to an earlier checked
 * entry (still in the chain) until the next checkpoint. A log restored on purpose from an older backup is refused
 * the same way until the file is removed (the error says so). Without the file (first start, another host) only
 * the store's own checkpoints anchor the check; the auditor's `--expect-checkpoint` covers the rest.
 */
export function createCheckpointer(deps: Pick<AppDeps, 'store' | 'keys' | 'config' | 'now'>, opts: CreateCheckpointerOptions = {}) {
  /** The last entry checked to link back to a trusted checkpoint (or to the start). */
  let tip: CheckpointMark | undefined
  /** What the newest trusted checkpoint up to `tip` covers; null: none. */
  let anchor: CheckpointMark | null = null
  /** The checkpoint entry this checkpointer appended last. */
  let own: CheckpointMark | undefined
  /** The newest checkpoint entry up to `tip`, and when it was signed (ms; NaN when its claims have no `iat`). */
  let newest: (CheckpointMark & { signedAt: number }) | undefined
  /** What this process last wrote to the anchor file. */
  let written: CheckpointMark | undefined

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
    // A random name: containers sharing the data directory may all be pid 1.
    const tmp = `${opts.anchorFile}.${randomBytes(8).toString('hex')}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(mark) + '\n', { mode: 0o600 })
    fs.renameSync(tmp, opts.anchorFile)
    written = mark
  }

  /**
   * Whether this run signs: always without `intervalMs`; else when the newest checkpoint is not fresh and this run
   * claimed the signature after it (keyed by that checkpoint's seq and hash, so never reused; scope `system:`, which
   * no request's Idempotency-Key has). Gives the claim, to release should signing fail; undefined: not this run.
   */
  const takeTurn = async (now: number): Promise<{ claim?: string } | undefined> => {
    if (opts.intervalMs === undefined) return {}
    if (newest && Math.abs(now - newest.signedAt) < FRESH * opts.intervalMs) return undefined
    const claim = `system:auditCheckpoint:${newest ? `${newest.seq}:${newest.hash}` : 'none'}`
    const begun = await deps.store.idempotency.begin(claim, 'audit-checkpoint', now, Math.ceil(FRESH * opts.intervalMs))
    return begun.state === 'new' ? { claim } : undefined
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
      if (!(err instanceof CheckpointRefusedError)) throw err
      let refusal: unknown = err
      if (!refreshedThisRun) {
        refreshedThisRun = true
        await deps.keys.refresh()
        try {
          return await verifiedClaims(e, createLocalJWKSet(deps.keys.history()))
        } catch (again) {
          refusal = again
        }
      }
      // While this process cannot read the key file, a checkpoint signed with a key rotated in since is unknown
      // here, not forged: the run fails (outcome failed, tried again next interval) instead of a tamper alarm.
      const failing = deps.keys.failure?.()
      if (failing && refusal instanceof CheckpointRefusedError) {
        throw new Error(`the checkpoint at seq ${e.seq} cannot be checked while the key file does not load (${failing.error})`)
      }
      throw refusal
    }
  }

  async function start(): Promise<void> {
    const kept = readAnchor()
    if (kept) {
      await unchanged(kept, `entry ${kept.seq}, signed before this process started (${opts.anchorFile}; remove the file if the log was restored from a backup on purpose),`)
    }
    // Read back from the head, not through the whole log (millions of entries at start-up, in every process).
    const last = await deps.store.audit.latestOfType(CHECKPOINT_TYPE)
    if (last) {
      const claims = await verify(last)
      await unchanged(claims, `entry ${claims.seq}, signed by the checkpoint at seq ${last.seq},`)
      tip = anchor = { seq: claims.seq, hash: claims.hash }
    } else tip = { seq: 0, hash: AUDIT_GENESIS }
    // The anchor file names the later entry when the store lost checkpoints this deployment wrote.
    if (kept && kept.seq > tip.seq) tip = anchor = kept
  }

  return {
    /** The checkpoint appended; undefined when the log is empty or another process's checkpoint is fresh. */
    async run(): Promise<AuditEntry | undefined> {
      refreshedThisRun = false
      if (!tip) await start()
      else {
        if (tip.seq > 0) await unchanged(tip, `entry ${tip.seq}, checked before,`)
        if (own) await unchanged(own, `the checkpoint appended at seq ${own.seq}`)
      }
      let head = tip!
      let trusted = anchor
      let latest = newest
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
            latest = { seq: e.seq, hash: e.hash, signedAt: claims.iat * 1000 }
          }
          head = { seq: e.seq, hash: e.hash }
        }
        if (page.length < PAGE) break
      }
      tip = head
      anchor = trusted
      newest = latest
      if (head.seq === 0) return undefined
      const now = deps.now()
      const turn = await takeTurn(now)
      if (!turn) {
        // Another process signed (or is signing): remember what its checkpoint covers, checked above.
        if (anchor && anchor.seq > (written?.seq ?? 0)) writeAnchor(anchor)
        return undefined
      }
      let entry: AuditEntry
      try {
        const claims: CheckpointClaims = { iss: deps.config.publicUrl, iat: Math.floor(now / 1000), seq: head.seq, hash: head.hash, prev: trusted }
        const jws = await signJwt(deps.keys.signer(), CHECKPOINT_TYP, { ...claims })
        entry = await deps.store.audit.append({ type: CHECKPOINT_TYPE, actor: 'system', subject: String(head.seq), data: { seq: head.seq, hash: head.hash, jws } }, deps.now())
      } catch (err) {
        // Another process may sign at its next run rather than when the claim lapses.
        if (turn.claim) await deps.store.idempotency.abandon(turn.claim).catch(() => undefined)
        throw err
      }
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
