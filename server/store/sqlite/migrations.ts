import type { Database } from 'better-sqlite3'

export interface Migration {
  version: number
  sql: string
}

/**
 * Append only: a released migration is never edited, because databases that already applied it would
 * silently diverge from new ones. Sessions, recovery codes and the rest hold a user id without a foreign key
 * so that the Redis adapter, which cannot enforce one, keeps the same contract.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        handle TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        webauthn_user_id TEXT NOT NULL UNIQUE,
        roles TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE passkeys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        public_key BLOB NOT NULL,
        counter INTEGER NOT NULL,
        transports TEXT NOT NULL,
        aaguid TEXT NOT NULL,
        device_type TEXT NOT NULL,
        backed_up INTEGER NOT NULL,
        name TEXT NOT NULL,
        attestation_fmt TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      ) STRICT;
      CREATE INDEX passkeys_user ON passkeys(user_id);
      CREATE TABLE challenges (
        challenge TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT,
        data TEXT,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX challenges_expiry ON challenges(expires_at);
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        ref TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        verified_at INTEGER NOT NULL,
        absolute_expires_at INTEGER NOT NULL,
        user_agent TEXT NOT NULL
      ) STRICT;
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE INDEX sessions_expiry ON sessions(absolute_expires_at);
      CREATE TABLE recovery_salts (
        user_id TEXT PRIMARY KEY,
        salt TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE recovery_codes (
        user_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        used_at INTEGER,
        PRIMARY KEY (user_id, hash)
      ) STRICT;
      CREATE TABLE api_clients (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        roles TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE TABLE rate_limits (
        key TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        reset_at INTEGER NOT NULL,
        PRIMARY KEY (key, window_start)
      ) STRICT;
      CREATE INDEX rate_limits_expiry ON rate_limits(reset_at);
      CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        response_status INTEGER,
        response_content_type TEXT,
        response_body TEXT
      ) STRICT;
      CREATE INDEX idempotency_expiry ON idempotency(expires_at);
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        at INTEGER NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL
      ) STRICT;
      CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        description TEXT NOT NULL,
        event_types TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        disabled_at INTEGER
      ) STRICT;
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
      CREATE INDEX webhook_deliveries_by_sub ON webhook_deliveries(subscription_id, created_at);
      CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created_at);
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        wallet_id TEXT NOT NULL,
        asset TEXT NOT NULL,
        settled_at INTEGER,
        version INTEGER NOT NULL,
        token_jti TEXT,
        redeemed_at INTEGER,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX approvals_status ON approvals(status, created_at);
      CREATE INDEX approvals_created ON approvals(created_at);
      CREATE INDEX approvals_velocity ON approvals(wallet_id, asset, status, settled_at);
      CREATE TABLE policy_sets (
        slot TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    sql: `
      CREATE TABLE kyc_subjects (
        ref_hash TEXT PRIMARY KEY,
        sealed TEXT,
        submitted_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX kyc_subjects_expiry ON kyc_subjects(expires_at);
      CREATE TABLE kyc_single_use (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
      ) STRICT;
      CREATE INDEX kyc_single_use_expiry ON kyc_single_use(expires_at);
      CREATE TABLE kyc_credentials (
        id TEXT PRIMARY KEY,
        subject_ref_hash TEXT NOT NULL,
        status_list_id TEXT NOT NULL,
        status_index INTEGER NOT NULL,
        status TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (status_list_id, status_index)
      ) STRICT;
      CREATE INDEX kyc_credentials_subject ON kyc_credentials(subject_ref_hash, issued_at);
      CREATE INDEX kyc_credentials_list_status ON kyc_credentials(status_list_id, status);
    `,
  },
  {
    version: 5,
    // When a claim was made: a pending claim whose process died can be taken over after a lease (0: before this).
    sql: 'ALTER TABLE idempotency ADD COLUMN claimed_at INTEGER NOT NULL DEFAULT 0;',
  },
  {
    version: 6,
    // The passkey of a session's last user verification ('': none known, a session from before this, which a role
    // with an attestation policy then refuses until the user verifies again).
    sql: "ALTER TABLE sessions ADD COLUMN passkey_id TEXT NOT NULL DEFAULT '';",
  },
  {
    version: 7,
    // Webhook order per entity (webhooks.ts claimDue): deliveries are claimed in enqueue order (seq; rowid is no
    // order, VACUUM may renumber it), at most one per subscription and subject leased at a time (lease_until, NULL
    // when not leased), and each subscription's due deliveries are found without reading another's. Only deliveries
    // that can still be attempted (pending, or dead and replayable) are numbered: rewriting a week of delivered rows
    // took seconds and a WAL the size of the table at start-up.
    sql: `
      ALTER TABLE webhook_deliveries ADD COLUMN seq INTEGER;
      ALTER TABLE webhook_deliveries ADD COLUMN subject TEXT;
      ALTER TABLE webhook_deliveries ADD COLUMN lease_until INTEGER;
      UPDATE webhook_deliveries SET seq = rowid, subject = json_extract(event, '$.subject') WHERE state != 'delivered';
      CREATE UNIQUE INDEX webhook_deliveries_seq ON webhook_deliveries(seq);
      DROP INDEX webhook_deliveries_due;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(subscription_id, state, next_attempt_at, seq, subject);
      CREATE INDEX webhook_deliveries_leased ON webhook_deliveries(lease_until) WHERE lease_until IS NOT NULL;
    `,
  },
]

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own IMMEDIATE transaction so
 * that two processes opening the same file at once cannot both apply it. Returns the versions applied now.
 */
export function migrate(db: Database, list: readonly Migration[], at: number): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)')
  const isApplied = db.prepare<[number], { one: number }>('SELECT 1 AS one FROM schema_migrations WHERE version = ?')
  const record = db.prepare<[number, number]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
  const applied: number[] = []
  const applyOne = db.transaction((m: Migration) => {
    if (isApplied.get(m.version)) return
    db.exec(m.sql)
    record.run(m.version, at)
    applied.push(m.version)
  })
  for (const m of [...list].sort((a, b) => a.version - b.version)) applyOne.immediate(m)
  return applied
}
