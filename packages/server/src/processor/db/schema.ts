import type { SqlDb } from './sql.js';

/**
 * The processor's tables, in the SQL both engines accept. Amounts are text of minor units
 * (exact, any size the ledger allows); times are ms since 1970; `mode` is on every row a store
 * owns, and every query names it, so test and live data never mix.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS pp_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS merchants (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS stores (
    id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants(id), name TEXT NOT NULL,
    live_account TEXT NOT NULL UNIQUE, test_account TEXT NOT NULL UNIQUE, settings_json TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL REFERENCES stores(id),
    mode TEXT NOT NULL CHECK (mode IN ('live', 'test')), name TEXT, hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL, scopes TEXT NOT NULL, created_at_ms BIGINT NOT NULL, last_used_at_ms BIGINT,
    revoked_at_ms BIGINT)`,
  `CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL REFERENCES stores(id),
    mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    status TEXT NOT NULL CHECK (status IN ('New', 'Processing', 'Settled', 'Expired', 'Invalid')),
    additional_status TEXT NOT NULL
      CHECK (additional_status IN ('None', 'PaidPartial', 'PaidOver', 'PaidLate', 'Marked')),
    amount TEXT NOT NULL, currency TEXT NOT NULL, scale INTEGER NOT NULL,
    paid TEXT NOT NULL, refunded TEXT NOT NULL, tolerance_pct INTEGER NOT NULL,
    order_id TEXT, description TEXT, metadata_json TEXT NOT NULL, redirect_url TEXT,
    payee TEXT NOT NULL, confirmation TEXT NOT NULL CHECK (confirmation IN ('accepted', 'sealed')),
    created_at_ms BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL, monitoring_until_ms BIGINT NOT NULL,
    settled_at_ms BIGINT, link_id TEXT, version INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS invoices_by_store ON invoices (store_id, mode, created_at_ms, id)`,
  `CREATE INDEX IF NOT EXISTS invoices_by_order ON invoices (store_id, mode, order_id)`,
  `CREATE INDEX IF NOT EXISTS invoices_open ON invoices (mode, status, expires_at_ms)`,
  `CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY, invoice_id TEXT NOT NULL REFERENCES invoices(id),
    mode TEXT NOT NULL CHECK (mode IN ('live', 'test')), rail TEXT NOT NULL, transaction_id TEXT NOT NULL,
    seq BIGINT NOT NULL, payer TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed')), late INTEGER NOT NULL,
    counted INTEGER NOT NULL, received_at_ms BIGINT NOT NULL, confirmed_at_ms BIGINT, block_height BIGINT,
    UNIQUE (mode, transaction_id, invoice_id))`,
  `CREATE INDEX IF NOT EXISTS payments_by_invoice ON payments (invoice_id, received_at_ms)`,
  `CREATE INDEX IF NOT EXISTS payments_pending ON payments (mode, status, seq)`,
  `CREATE INDEX IF NOT EXISTS payments_by_time ON payments (mode, received_at_ms)`,
  `CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL, mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    invoice_id TEXT NOT NULL REFERENCES invoices(id), amount TEXT NOT NULL, currency TEXT NOT NULL,
    destination TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    transaction_id TEXT NOT NULL UNIQUE, failure_json TEXT, reason TEXT, created_at_ms BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS refunds_by_store ON refunds (store_id, mode, created_at_ms, id)`,
  `CREATE TABLE IF NOT EXISTS payouts (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL, mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    amount TEXT NOT NULL, currency TEXT NOT NULL, destination TEXT NOT NULL, description TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    transaction_id TEXT NOT NULL UNIQUE, failure_json TEXT, created_at_ms BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS payouts_by_store ON payouts (store_id, mode, created_at_ms, id)`,
  `CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL, mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    url TEXT NOT NULL, events_json TEXT NOT NULL, description TEXT, enabled INTEGER NOT NULL,
    secret TEXT NOT NULL, previous_secret TEXT, previous_valid_until_ms BIGINT,
    created_at_ms BIGINT NOT NULL, deleted_at_ms BIGINT)`,
  `CREATE INDEX IF NOT EXISTS webhook_endpoints_by_store ON webhook_endpoints (store_id, mode)`,
  `CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL, mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    type TEXT NOT NULL, created_at_ms BIGINT NOT NULL, body TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS events_by_store ON events (store_id, mode, created_at_ms, id)`,
  `CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, event_id TEXT NOT NULL REFERENCES events(id),
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL, next_attempt_at_ms BIGINT, lease_until_ms BIGINT NOT NULL,
    last_attempt_at_ms BIGINT, last_status_code INTEGER, last_error TEXT, created_at_ms BIGINT NOT NULL,
    UNIQUE (event_id, endpoint_id))`,
  `CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at_ms)`,
  `CREATE INDEX IF NOT EXISTS deliveries_by_endpoint ON deliveries (endpoint_id, created_at_ms, id)`,
  `CREATE TABLE IF NOT EXISTS delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries(id), attempt INTEGER NOT NULL,
    attempted_at_ms BIGINT NOT NULL, duration_ms INTEGER NOT NULL, status_code INTEGER, error TEXT,
    PRIMARY KEY (delivery_id, attempt))`,
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL, key TEXT NOT NULL, endpoint TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status_code INTEGER, response TEXT, created_at_ms BIGINT NOT NULL, PRIMARY KEY (scope, key))`,
  `CREATE INDEX IF NOT EXISTS idempotency_keys_by_time ON idempotency_keys (created_at_ms)`,
  `CREATE TABLE IF NOT EXISTS payment_links (
    id TEXT PRIMARY KEY, store_id TEXT NOT NULL, mode TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    currency TEXT NOT NULL, amount TEXT, amount_min TEXT, amount_max TEXT, description TEXT,
    redirect_url TEXT, expires_in_s INTEGER NOT NULL, active INTEGER NOT NULL, created_at_ms BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS payment_links_by_store ON payment_links (store_id, mode, created_at_ms, id)`,
  `CREATE TABLE IF NOT EXISTS ledger_cursors (
    mode TEXT PRIMARY KEY CHECK (mode IN ('live', 'test')), log_seq BIGINT NOT NULL, sealed_size BIGINT NOT NULL)`,
  // The wallet sync relay (src/relay/routes.ts). Added tables only, so SCHEMA_VERSION stays: an
  // existing database gains them at the next start and an older node simply ignores them.
  `CREATE TABLE IF NOT EXISTS relay_mailboxes (
    id TEXT PRIMARY KEY, created_at_ms BIGINT NOT NULL, last_seq BIGINT NOT NULL,
    message_count BIGINT NOT NULL, message_bytes BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS relay_devices (
    mailbox_id TEXT NOT NULL REFERENCES relay_mailboxes(id), device_key TEXT NOT NULL,
    added_at_ms BIGINT NOT NULL, PRIMARY KEY (mailbox_id, device_key))`,
  `CREATE TABLE IF NOT EXISTS relay_messages (
    mailbox_id TEXT NOT NULL REFERENCES relay_mailboxes(id), seq BIGINT NOT NULL, device_key TEXT NOT NULL,
    epoch BIGINT NOT NULL, ciphertext TEXT NOT NULL, bytes INTEGER NOT NULL, created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, seq))`,
  `CREATE TABLE IF NOT EXISTS relay_pairings (
    id TEXT PRIMARY KEY, ciphertext TEXT NOT NULL, created_at_ms BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS relay_pairings_by_expiry ON relay_pairings (expires_at_ms)`,
];

/** Creates the tables (idempotent) and records the version; refuses a newer database. */
export async function migrate(db: SqlDb & { exec(sql: string): unknown }): Promise<void> {
  for (const statement of SCHEMA_SQL) await db.exec(statement);
  const row = await db.get<{ value: string }>(`SELECT value FROM pp_meta WHERE key = 'schema_version'`);
  if (row && Number(row.value) > SCHEMA_VERSION) {
    throw new Error(
      `processor database is schema version ${row.value}; this node knows ${SCHEMA_VERSION}. Upgrade the node.`,
    );
  }
  await db.transaction((tx) =>
    tx.run(`INSERT INTO pp_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING`, [
      String(SCHEMA_VERSION),
    ]),
  );
}
