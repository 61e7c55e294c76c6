import path from 'node:path'
import { parseArgs } from 'node:util'
import type { JSONWebKeySet } from 'jose'
import { ConfigError, loadConfig } from './config.ts'
import { initKeys, KEY_ACTIVATION_DELAY_SECONDS, rotateKeys } from './keys/index.ts'
import fs from 'node:fs'
import { createLogger, keyRetainSeconds, keysDirOf, openKeys, openStore } from './runtime.ts'
import { auditAnchorFile, AuditVerificationError, CheckpointRefusedError, createCheckpointer, domainEvent, verifyAuditExport } from './audit/index.ts'
import { API_CLIENT_ROLES, createApiClient, type ApiClientRole } from './clients/index.ts'
import { acceptsPasskey, effectivePolicy, loadAttestationPolicies } from './passkeys/index.ts'
import { verifyEvidence } from './approvals/index.ts'
import { ProblemError } from './errors.ts'
import { redactRedisUrl } from './store/index.ts'

/** Roles Sigil knows; approval groups named by policies (treasury, risk, policy-admin…) are roles too. */
const USER_ROLES = ['compliance', 'auditor', 'approver', 'treasury', 'risk', 'policy-admin']
const ROLE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

const HELP = `Usage: npm run sigil -- <command>

  keys init                               create the first key set (in SIGIL_KEYS_DIR, else the data directory); refuses to replace one
  keys list                               the keys in the key set, each pending (published, not signing yet), active or retired
  keys history                            every public key ever used, retired ones included (for audit verify --jwks)
  keys rotate [--now]                     a new key, published at once and signing ${KEY_ACTIVATION_DELAY_SECONDS} s later (once caches of the JWKS
                                          hold it), when the current one retires; it stays published until what it signed
                                          expires. --now: the new key signs at once (a compromised key: SECURITY.md)
  clients create --name NAME --role ROLE  create an API client (roles: ${API_CLIENT_ROLES.join(', ')}); prints the key once
  clients list                            list API clients
  clients revoke ID                       revoke an API client's key
  users roles HANDLE [--set a,b]          show or set a user's roles and approval groups (${USER_ROLES.join(', ')}, or any group a policy names)
  evidence verify FILE [--rp-id ID] [--jwks FILE]
                                          re-check an approval evidence bundle offline: the server's signature (keys: --jwks,
                                          else this deployment's key history), intent digest, policy, every passkey signature, quorum
  audit export [--after SEQ]              the audit log as NDJSON on stdout
  audit checkpoint                        sign the head of the audit chain now; refused (exit 1) when the chain no longer
                                          links to the newest signed checkpoint
  audit verify FILE [--jwks FILE] [--max-unsigned N] [--after SEQ [--prev-hash HASH]] [--expect-checkpoint SEQ:HASH]
                                          check an NDJSON export offline: hashes, links, gaps, signed checkpoints
                                          (keys: --jwks, else this deployment's key history); the export must start
                                          the chain (seq 1), or with --after at SEQ+1 (linking to HASH); with
                                          --max-unsigned, fail when more than N entries come after the last signed checkpoint;
                                          with --expect-checkpoint (the lastCheckpoint of an earlier verify), fail when
                                          that entry is gone, changed or no longer signed (the log was cut back)
  webhooks list                           webhook subscriptions (no secrets)
  webhooks deliveries ID [--state S]      recent deliveries of a subscription (S: pending, delivered, dead)
  webhooks replay ID [--delivery DLV]     deliver dead deliveries again (all of the subscription, or one)
  outbox status                           events not yet handed to subscriptions
`

function fail(message: string): never {
  process.stderr.write(`sigil: ${message}\n`)
  process.exit(2)
}

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { name: { type: 'string' }, role: { type: 'string', multiple: true }, set: { type: 'string' }, jwks: { type: 'string' }, after: { type: 'string' }, state: { type: 'string' }, 'rp-id': { type: 'string' }, delivery: { type: 'string' }, 'max-unsigned': { type: 'string' }, 'prev-hash': { type: 'string' }, 'expect-checkpoint': { type: 'string' }, now: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  })
  const [area, action, arg] = positionals
  if (values.help || !area) return void process.stdout.write(HELP)
  const config = loadConfig()
  const log = createLogger('warn', 2)
  const out = (v: unknown): void => void process.stdout.write(JSON.stringify(v, null, 2) + '\n')
  // This deployment's key history, for checks run where the keys are; elsewhere the check needs --jwks.
  const keyHistoryHere = async () => {
    try {
      return (await openKeys(config, log, { create: false })).history()
    } catch {
      return fail(`no signing keys here (${keysDirOf(config)}): pass the key history with --jwks FILE (npm run sigil -- keys history, or GET /v1/audit/keys)`)
    }
  }

  if (area === 'keys') {
    if (action === 'rotate') {
      // Never creates a key set (a rotation where there is none is a wrong SIGIL_KEYS_DIR); prints the file it rotated.
      // --now: the current key is compromised; signing services may refuse the new key's tokens until their cached
      // JWKS expires (PUBLISHED_KEYS_MAX_AGE_SECONDS).
      try {
        return out(await rotateKeys(keysDirOf(config), Date.now(), keyRetainSeconds(config), {
          ...(values.now ? { activationDelaySeconds: 0 } : {}),
          onStaleLock: ({ lock, since }) => log.warn({ lock, since }, 'taking over a key file lock left by a rotation that did not finish'),
        }))
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err))
      }
    }
    if (action === 'init') {
      try {
        const { kid, file } = await initKeys(keysDirOf(config), Date.now())
        return out({ kid, file })
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err))
      }
    }
    if (action === 'list') return out({ keys: (await openKeys(config, log, { create: false })).status() })
    if (action === 'history') return out((await openKeys(config, log, { create: false })).history())
    fail(`unknown keys command "${action ?? ''}"`)
  }
  if (area === 'evidence' && action === 'verify') {
    if (!arg) fail('evidence verify needs the bundle file')
    let bundle: unknown
    try {
      bundle = JSON.parse(fs.readFileSync(arg, 'utf8'))
    } catch (err) {
      fail(`cannot read ${arg}: ${err instanceof Error ? err.message : String(err)}`)
    }
    try {
      // The server's signature over the whole bundle: with --jwks it is required; without, it is checked against this
      // deployment's key history when the keys are here and the bundle carries one (bundles made before it do not),
      // and otherwise reported as not checked.
      const signed = typeof (bundle as { serverSignature?: unknown } | null)?.serverSignature === 'string'
      const jwks = values.jwks ? readJwks(values.jwks)
        : signed ? await openKeys(config, log, { create: false }).then((k) => k.history(), () => undefined) : undefined
      const r = await verifyEvidence(bundle, { ...(jwks ? { jwks } : {}), ...(values['rp-id'] ? { expectedRPID: values['rp-id'] } : {}) })
      return out({ ok: true, requestId: r.requestId, digest: r.digest, policyVersion: r.policyVersion, serverSignature: r.serverSignature, requirements: r.requirements,
        approvedBy: r.quorum.groups.map((g) => ({ group: g.group, quorum: g.quorum, approvedBy: g.approvedBy })),
        ...(r.conditions.length > 0 ? { conditions: r.conditions } : {}) })
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err
      out({ ok: false, code: err.code, field: err.field, error: err.detail })
      process.exit(1)
    }
  }
  if (area === 'audit' && action === 'verify') {
    if (!arg) fail('audit verify needs the export file')
    const max = values['max-unsigned'] === undefined ? undefined : Number(values['max-unsigned'])
    if (max !== undefined && !(Number.isSafeInteger(max) && max >= 0)) fail('--max-unsigned needs a whole number')
    const after = values.after === undefined ? undefined : afterSeq(values.after)
    if (values['prev-hash'] !== undefined && after === undefined) fail('--prev-hash goes with --after: the hash of entry SEQ, which the first entry must link to')
    const expected = values['expect-checkpoint'] === undefined ? undefined : /^(\d{1,15}):(sha256:[0-9a-f]{64})$/.exec(values['expect-checkpoint'])
    if (expected === null) fail('--expect-checkpoint needs SEQ:HASH, the seq and hash of lastCheckpoint from an earlier audit verify')
    const jwks = values.jwks ? readJwks(values.jwks) : await keyHistoryHere()
    try {
      const r = await verifyAuditExport(fs.readFileSync(arg, 'utf8'), jwks, { ...(after !== undefined ? { after } : {}),
        ...(values['prev-hash'] !== undefined ? { expectedPrevHash: values['prev-hash'] } : {}),
        ...(expected ? { expectedCheckpoint: { seq: Number(expected[1]), hash: expected[2]! } } : {}) })
      if (max !== undefined && r.unsignedEntries > max) {
        out({ ok: false, ...r, error: `${r.unsignedEntries} entries are not covered by a signed checkpoint (at most ${max} allowed)` })
        process.exit(1)
      }
      return out({ ok: true, ...r, ...(r.unsignedEntries > 0 ? { note: `${r.unsignedEntries} entries after seq ${r.signedThrough ?? 0} are not covered by a signed checkpoint: a change or a cut tail there cannot be seen` } : {}) })
    } catch (err) {
      if (!(err instanceof AuditVerificationError)) throw err
      out({ ok: false, code: err.code, line: err.line, seq: err.seq, error: err.message })
      process.exit(1)
    }
  }
  // Which store a command works on, on stderr (stdout stays machine-readable): an operator of a Redis deployment
  // who forgot SIGIL_STORE would otherwise write to a new local SQLite file without noticing.
  process.stderr.write(`sigil: store ${config.store === 'redis' && config.redis ? `redis ${redactRedisUrl(config.redis.url)} prefix ${config.redis.prefix}` : `sqlite ${path.join(config.dataDir, 'sigil.db')}`}\n`)
  const store = await openStore(config)
  try {
    if (area === 'clients' && action === 'create') {
      if (!values.name) fail('clients create needs --name')
      const roles = values.role ?? []
      const bad = roles.filter((r) => !(API_CLIENT_ROLES as readonly string[]).includes(r))
      if (!roles.length || bad.length) fail(`--role must be one or more of ${API_CLIENT_ROLES.join(', ')}${bad.length ? ` (got ${bad.join(', ')})` : ''}`)
      const { client, key } = await createApiClient(store, values.name, roles as ApiClientRole[], Date.now())
      await store.audit.append({ type: 'client.created', actor: 'cli', subject: client.id, data: { roles } }, Date.now())
      return out({ id: client.id, name: client.name, roles: client.roles, key, note: 'The key is shown once; store it now.' })
    }
    if (area === 'clients' && action === 'list') {
      return out((await store.apiClients.list()).map(({ keyHash: _k, ...c }) => ({ ...c, createdAt: new Date(c.createdAt).toISOString(), revokedAt: c.revokedAt && new Date(c.revokedAt).toISOString() })))
    }
    if (area === 'clients' && action === 'revoke') {
      if (!arg) fail('clients revoke needs the client id')
      if (!(await store.apiClients.revoke(arg, Date.now(), [domainEvent('client.revoked', arg, Date.now())]))) fail(`no active client ${arg}`)
      await store.audit.append({ type: 'client.revoked', actor: 'cli', subject: arg }, Date.now())
      return out({ revoked: arg })
    }
    if (area === 'audit' && action === 'export') {
      let after = values.after === undefined ? 0 : afterSeq(values.after)
      for (;;) {
        const page = await store.audit.list({ afterSeq: after, limit: 1000 })
        for (const e of page) process.stdout.write(JSON.stringify(e) + '\n')
        if (page.length < 1000) return
        after = page.at(-1)!.seq
      }
    }
    if (area === 'audit' && action === 'checkpoint') {
      try {
        const entry = await createCheckpointer({ store, keys: await openKeys(config, log), config, now: Date.now }, { anchorFile: auditAnchorFile(config) }).run()
        return out(entry ? { checkpoint: entry.seq, covers: entry.data.seq } : { checkpoint: null, note: 'the audit log is empty' })
      } catch (err) {
        if (!(err instanceof CheckpointRefusedError)) throw err
        out({ checkpoint: null, code: err.code, seq: err.seq, error: err.message })
        process.exitCode = 1
        return
      }
    }
    if (area === 'users' && action === 'roles') {
      if (!arg) fail('users roles needs a handle')
      const user = await store.users.getByHandle(arg.toLowerCase())
      if (!user) fail(`no user ${arg}`)
      if (values.set !== undefined) {
        const roles = values.set.split(',').map((r) => r.trim()).filter(Boolean)
        const bad = roles.filter((r) => !ROLE_NAME.test(r))
        if (bad.length) fail(`role names are lower-case letters, digits, - and _: ${bad.join(', ')}`)
        await store.users.setRoles(user.id, roles, [domainEvent('user.roles_changed', user.id, Date.now(), { roles })])
        await store.audit.append({ type: 'user.roles_changed', actor: 'cli', subject: user.id, data: { roles } }, Date.now())
        // Sign-in enforces the roles' attestation policy: say which passkeys will stop working.
        const policy = effectivePolicy(loadAttestationPolicies(config.attestationPolicyFile), roles)
        const refused = (await store.passkeys.listByUser(user.id)).filter((p) => !acceptsPasskey(policy, p)).map((p) => p.name)
        return out({ handle: user.handle, roles, ...(refused.length ? { warning: 'These passkeys do not meet the policy of the new roles and will be refused at sign-in; the user must add a compliant one first.', refusedPasskeys: refused } : {}) })
      }
      return out({ handle: user.handle, roles: user.roles })
    }
    if (area === 'webhooks' && action === 'list') {
      return out((await store.webhooks.listSubscriptions()).map(({ secret: _s, ...w }) => ({ ...w,
        createdAt: new Date(w.createdAt).toISOString(), disabledAt: w.disabledAt && new Date(w.disabledAt).toISOString() })))
    }
    if (area === 'webhooks' && action === 'deliveries') {
      if (!arg) fail('webhooks deliveries needs the subscription id')
      const state = values.state
      if (state !== undefined && !['pending', 'delivered', 'dead'].includes(state)) fail('--state must be pending, delivered or dead')
      if (!(await store.webhooks.getSubscription(arg))) fail(`no webhook subscription ${arg}`)
      const list = await store.webhooks.listDeliveries({ subscriptionId: arg, state: state as 'dead' | undefined, limit: 100 })
      return out(list.map((d) => ({ id: d.id, event: d.event.id, type: d.event.type, state: d.state, attempts: d.attempts,
        lastStatus: d.lastStatus, lastError: d.lastError, createdAt: new Date(d.createdAt).toISOString() })))
    }
    if (area === 'webhooks' && action === 'replay') {
      if (!arg) fail('webhooks replay needs the subscription id')
      if (!(await store.webhooks.getSubscription(arg))) fail(`no webhook subscription ${arg}`)
      return out({ replayed: await store.webhooks.replay({ subscriptionId: arg, deliveryId: values.delivery }, Date.now()) })
    }
    if (area === 'outbox' && action === 'status') return out({ pending: await store.outbox.pending() })
    fail(`unknown command "${positionals.join(' ')}"; see --help`)
  } finally {
    await store.close()
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  fail(err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err))
})

/** --after: the sequence number of an entry. */
function afterSeq(value: string): number {
  if (!/^\d{1,15}$/.test(value)) fail('--after must be the sequence number of an entry (a whole number)')
  return Number(value)
}

/** A JWKS file for `audit verify --jwks`: a missing or malformed file is named. */
function readJwks(file: string): JSONWebKeySet {
  let parsed: unknown
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    fail(`--jwks ${file}: ${err instanceof SyntaxError ? 'not valid JSON' : (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { keys?: unknown }).keys)) fail(`--jwks ${file}: not a JWK set ({"keys": [...]})`)
  return parsed as JSONWebKeySet
}
