import { createHash } from 'node:crypto';
import { WebWalletError } from '@webwallet/core';
import type { SqlDb, SqlExecutor } from './db/sql.js';
import type { LedgerOps } from './ledger-ops.js';
import { DEFAULT_STORE_SETTINGS, iso, isoOrNull, type Mode, newId, randomBase62, SCOPES, type Scope } from './model.js';

export const KEY_PATTERN = /^ww_(live|test)_[0-9A-Za-z]{32}$/;
/** last_used_at is written at most this often per key: a hot key must not cost a write per request. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/** How long an authenticated key is trusted from memory; revocations in this process apply at once. */
const KEY_CACHE_TTL_MS = 5_000;
const KEY_CACHE_MAX = 10_000;
export const KEYS_PER_STORE_MAX = 100;

export interface ApiKey {
  readonly id: string;
  readonly store_id: string;
  readonly mode: Mode;
  readonly scopes: readonly Scope[];
  readonly merchant_name: string;
}

interface KeyRow {
  id: string;
  store_id: string;
  mode: Mode;
  name: string | null;
  prefix: string;
  scopes: string;
  created_at_ms: number;
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
}

function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function keyView(row: KeyRow) {
  return {
    id: row.id,
    object: 'api_key' as const,
    name: row.name,
    mode: row.mode,
    prefix: row.prefix,
    scopes: row.scopes.split(' ') as Scope[],
    created_at: iso(row.created_at_ms),
    last_used_at: isoOrNull(row.last_used_at_ms),
    revoked_at: isoOrNull(row.revoked_at_ms),
  };
}

/** The store account names on each ledger: custodial, operated by the node for the merchant. */
export function storeAccounts(storeId: string): { live: string; test: string } {
  // Distinct names: a live payment sent to a test account id fails instead of landing somewhere.
  const suffix = storeId.slice(3);
  return { live: `acc_live_${suffix}`, test: `acc_test_${suffix}` };
}

/** Merchants, stores and their API keys. */
export class Merchants {
  private readonly cache = new Map<string, { key: ApiKey; at_ms: number; last_used_at_ms: number }>();

  constructor(
    private readonly db: SqlDb,
    private readonly ledgers: Record<Mode, LedgerOps>,
  ) {}

  /** Sign-up: a merchant, its store with an account on each ledger, and one all-scope key per mode. */
  async create(name: string) {
    const now = Date.now();
    const merchant = { id: newId('mer', now), name, created_at: iso(now) };
    const storeId = newId('st', now);
    const accounts = storeAccounts(storeId);
    // Ledger accounts first: if the database write then fails, an unused account is harmless.
    await this.ledgers.live.ensureAccount(accounts.live);
    await this.ledgers.test.ensureAccount(accounts.test);
    const live = this.newKey(storeId, 'live', [...SCOPES], 'default', now);
    const test = this.newKey(storeId, 'test', [...SCOPES], 'default', now);
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO merchants (id, name, created_at_ms) VALUES (?, ?, ?)', [merchant.id, name, now]);
      await tx.run(
        `INSERT INTO stores (id, merchant_id, name, live_account, test_account, settings_json, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [storeId, merchant.id, name, accounts.live, accounts.test, JSON.stringify(DEFAULT_STORE_SETTINGS), now],
      );
      for (const key of [live, test]) await this.insertKey(tx, key.row, key.hash);
    });
    return {
      merchant,
      store: { id: storeId, name, live_account: accounts.live, test_account: accounts.test, created_at: iso(now) },
      keys: { live: live.secret, test: test.secret },
    };
  }

  private newKey(storeId: string, mode: Mode, scopes: readonly Scope[], name: string | null, now: number) {
    const secret = `ww_${mode}_${randomBase62(32)}`;
    const row: KeyRow = {
      id: newId('key', now),
      store_id: storeId,
      mode,
      name,
      prefix: secret.slice(0, 12),
      scopes: scopes.join(' '),
      created_at_ms: now,
      last_used_at_ms: null,
      revoked_at_ms: null,
    };
    return { secret, row, hash: hashKey(secret) };
  }

  private async insertKey(tx: SqlExecutor, row: KeyRow, hash: string): Promise<void> {
    await tx.run(
      `INSERT INTO api_keys (id, store_id, mode, name, hash, prefix, scopes, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.id, row.store_id, row.mode, row.name, hash, row.prefix, row.scopes, row.created_at_ms],
    );
  }

  /** A further key for the caller's store and mode, with at most the caller's scopes. */
  async createKey(caller: ApiKey, input: { name?: string | undefined; scopes: readonly Scope[] }) {
    const beyond = input.scopes.filter((s) => !caller.scopes.includes(s));
    if (beyond.length > 0)
      return new WebWalletError('scope_missing', { scope: beyond[0], reason: 'a key cannot grant scopes it lacks' });
    const count = await this.db.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM api_keys WHERE store_id = ? AND revoked_at_ms IS NULL',
      [caller.store_id],
    );
    if (Number(count?.n ?? 0) >= KEYS_PER_STORE_MAX) {
      return new WebWalletError(
        'invalid_request',
        { limit: KEYS_PER_STORE_MAX },
        `A store may have at most ${KEYS_PER_STORE_MAX} active keys. Revoke unused ones.`,
      );
    }
    const key = this.newKey(caller.store_id, caller.mode, [...new Set(input.scopes)], input.name ?? null, Date.now());
    await this.db.transaction((tx) => this.insertKey(tx, key.row, key.hash));
    return { ...keyView(key.row), secret: key.secret };
  }

  async listKeys(caller: ApiKey) {
    const rows = await this.db.all<KeyRow>('SELECT * FROM api_keys WHERE store_id = ? AND mode = ? ORDER BY id DESC', [
      caller.store_id,
      caller.mode,
    ]);
    return { items: rows.map(keyView), next_cursor: null };
  }

  async revokeKey(caller: ApiKey, id: string) {
    const now = Date.now();
    const changed = await this.db.transaction((tx) =>
      tx.run(
        'UPDATE api_keys SET revoked_at_ms = COALESCE(revoked_at_ms, ?) WHERE id = ? AND store_id = ? AND mode = ?',
        [now, id, caller.store_id, caller.mode],
      ),
    );
    if (changed === 0) return new WebWalletError('key_not_found', { id });
    for (const [hash, entry] of this.cache) if (entry.key.id === id) this.cache.delete(hash);
    const row = await this.db.get<KeyRow>('SELECT * FROM api_keys WHERE id = ?', [id]);
    return keyView(row!);
  }

  /** The key a bearer secret names, or the reason it is refused. */
  async authenticate(secret: string | undefined): Promise<ApiKey | WebWalletError> {
    if (secret === undefined || !KEY_PATTERN.test(secret)) {
      return new WebWalletError('api_key_invalid', {
        reason: secret === undefined ? 'no bearer token' : 'not a ww_live_/ww_test_ key',
      });
    }
    const hash = hashKey(secret);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && now - cached.at_ms < KEY_CACHE_TTL_MS) {
      this.touch(hash, cached, now);
      return cached.key;
    }
    const row = await this.db.get<KeyRow & { merchant_name: string }>(
      `SELECT k.*, m.name AS merchant_name FROM api_keys k JOIN stores s ON s.id = k.store_id
       JOIN merchants m ON m.id = s.merchant_id WHERE k.hash = ?`,
      [hash],
    );
    if (!row) return new WebWalletError('api_key_invalid', { reason: 'unknown key', prefix: secret.slice(0, 12) });
    if (row.revoked_at_ms !== null) return new WebWalletError('api_key_revoked', { id: row.id });
    const key: ApiKey = {
      id: row.id,
      store_id: row.store_id,
      mode: row.mode,
      scopes: row.scopes.split(' ') as Scope[],
      merchant_name: row.merchant_name,
    };
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    const entry = { key, at_ms: now, last_used_at_ms: row.last_used_at_ms ?? 0 };
    this.cache.set(hash, entry);
    this.touch(hash, entry, now);
    return key;
  }

  private touch(hash: string, entry: { key: ApiKey; last_used_at_ms: number }, now: number): void {
    if (now - entry.last_used_at_ms < LAST_USED_WRITE_INTERVAL_MS) return;
    entry.last_used_at_ms = now;
    void this.db
      .transaction((tx) => tx.run('UPDATE api_keys SET last_used_at_ms = ? WHERE hash = ?', [now, hash]))
      .catch(() => undefined); // best effort: a missed timestamp is not worth failing a request
  }

  async store(storeId: string) {
    return this.db.get<{
      id: string;
      name: string;
      live_account: string;
      test_account: string;
      settings_json: string;
      merchant_name: string;
    }>(
      `SELECT s.id, s.name, s.live_account, s.test_account, s.settings_json, m.name AS merchant_name
       FROM stores s JOIN merchants m ON m.id = s.merchant_id WHERE s.id = ?`,
      [storeId],
    );
  }
}
