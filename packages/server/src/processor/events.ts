import { WebWalletError } from '@webwallet/core';
import { generateWebhookSecret } from '../webhooks/signature.js';
import { checkWebhookUrl } from '../webhooks/url-policy.js';
import type { DeliveryOutcome, DeliveryQueue, DueDelivery } from '../webhooks/worker.js';
import type { SqlDb, SqlExecutor } from './db/sql.js';
import { EVENT_TYPES, type EventType, iso, isoOrNull, type Mode, newId } from './model.js';

/** Most endpoints one store may register per mode. */
export const WEBHOOK_ENDPOINTS_MAX = 16;
/** Longest time a rotated-out secret keeps signing: 7 days. */
export const PREVIOUS_SECRET_VALID_S_MAX = 604_800;

export interface EventInput {
  readonly store_id: string;
  readonly mode: Mode;
  readonly type: EventType;
  readonly data: Record<string, unknown>;
  /** The event's time on the mode's clock (the sandbox clock can run ahead). */
  readonly created_at_ms: number;
}

/**
 * Writes an event to the outbox, with one pending delivery per subscribed endpoint, inside the
 * caller's transaction: the state change and its event commit together or not at all.
 */
export async function emitEvent(tx: SqlExecutor, input: EventInput): Promise<string> {
  const id = newId('evt');
  const body = JSON.stringify({
    id,
    type: input.type,
    mode: input.mode,
    store_id: input.store_id,
    created_at: iso(input.created_at_ms),
    data: input.data,
  });
  await tx.run('INSERT INTO events (id, store_id, mode, type, created_at_ms, body) VALUES (?, ?, ?, ?, ?, ?)', [
    id,
    input.store_id,
    input.mode,
    input.type,
    input.created_at_ms,
    body,
  ]);
  const endpoints = await tx.all<{ id: string; events_json: string }>(
    'SELECT id, events_json FROM webhook_endpoints WHERE store_id = ? AND mode = ? AND enabled = 1 AND deleted_at_ms IS NULL',
    [input.store_id, input.mode],
  );
  const now = Date.now();
  for (const endpoint of endpoints) {
    const events = JSON.parse(endpoint.events_json) as string[];
    if (!events.includes('*') && !events.includes(input.type)) continue;
    await tx.run(
      `INSERT INTO deliveries (id, event_id, endpoint_id, status, attempts, next_attempt_at_ms, lease_until_ms, created_at_ms)
       VALUES (?, ?, ?, 'pending', 0, ?, 0, ?)`,
      [newId('whd'), id, endpoint.id, now, now],
    );
  }
  return id;
}

interface EndpointRow {
  id: string;
  store_id: string;
  mode: Mode;
  url: string;
  events_json: string;
  description: string | null;
  enabled: number;
  secret: string;
  previous_secret: string | null;
  previous_valid_until_ms: number | null;
  created_at_ms: number;
}

export function endpointView(row: EndpointRow) {
  return {
    id: row.id,
    object: 'webhook_endpoint' as const,
    mode: row.mode,
    url: row.url,
    events: JSON.parse(row.events_json) as string[],
    description: row.description,
    enabled: row.enabled === 1,
    created_at: iso(row.created_at_ms),
  };
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at_ms: number | null;
  last_attempt_at_ms: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at_ms: number;
}

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    object: 'webhook_delivery' as const,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? isoOrNull(row.next_attempt_at_ms) : null,
    last_attempt_at: isoOrNull(row.last_attempt_at_ms),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: iso(row.created_at_ms),
  };
}

const DELIVERY_COLUMNS = `d.id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at_ms,
  d.last_attempt_at_ms, d.last_status_code, d.last_error, d.created_at_ms`;

export interface Owner {
  readonly store_id: string;
  readonly mode: Mode;
}

/** Webhook endpoints of one store and mode, and their delivery logs. */
export class WebhookEndpoints {
  constructor(
    private readonly db: SqlDb,
    private readonly allow_private: boolean,
    private readonly wake: () => void,
  ) {}

  private checkEvents(events: readonly string[]): WebWalletError | undefined {
    const unknown = events.filter((e) => e !== '*' && !(EVENT_TYPES as readonly string[]).includes(e));
    return unknown.length > 0
      ? new WebWalletError('invalid_request', {
          errors: [{ path: 'body/events', message: `unknown event types: ${unknown.join(', ')}` }],
        })
      : undefined;
  }

  async create(owner: Owner, input: { url: string; events: readonly string[]; description?: string | undefined }) {
    const url = checkWebhookUrl(input.url, { allow_private: this.allow_private });
    if (!url.ok) return url.error;
    const bad = this.checkEvents(input.events);
    if (bad) return bad;
    const row: EndpointRow = {
      id: newId('we'),
      store_id: owner.store_id,
      mode: owner.mode,
      url: url.value.href,
      events_json: JSON.stringify([...new Set(input.events)]),
      description: input.description ?? null,
      enabled: 1,
      secret: generateWebhookSecret(),
      previous_secret: null,
      previous_valid_until_ms: null,
      created_at_ms: Date.now(),
    };
    const created = await this.db.transaction(async (tx) => {
      const count = await tx.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM webhook_endpoints WHERE store_id = ? AND mode = ? AND deleted_at_ms IS NULL',
        [owner.store_id, owner.mode],
      );
      if (Number(count?.n ?? 0) >= WEBHOOK_ENDPOINTS_MAX) return false;
      await tx.run(
        `INSERT INTO webhook_endpoints (id, store_id, mode, url, events_json, description, enabled, secret, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        [row.id, row.store_id, row.mode, row.url, row.events_json, row.description, row.secret, row.created_at_ms],
      );
      return true;
    });
    if (!created) {
      return new WebWalletError(
        'invalid_request',
        { limit: WEBHOOK_ENDPOINTS_MAX },
        `A store may have at most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints per mode. Delete one first.`,
      );
    }
    return { ...endpointView(row), secret: row.secret };
  }

  private async row(owner: Owner, id: string): Promise<EndpointRow | undefined> {
    return this.db.get<EndpointRow>(
      'SELECT * FROM webhook_endpoints WHERE id = ? AND store_id = ? AND mode = ? AND deleted_at_ms IS NULL',
      [id, owner.store_id, owner.mode],
    );
  }

  async get(owner: Owner, id: string) {
    const row = await this.row(owner, id);
    return row ? endpointView(row) : new WebWalletError('webhook_not_found', { id });
  }

  async list(owner: Owner) {
    const rows = await this.db.all<EndpointRow>(
      'SELECT * FROM webhook_endpoints WHERE store_id = ? AND mode = ? AND deleted_at_ms IS NULL ORDER BY created_at_ms, id',
      [owner.store_id, owner.mode],
    );
    return { items: rows.map(endpointView), next_cursor: null };
  }

  async update(owner: Owner, id: string, patch: { url?: string; events?: readonly string[]; enabled?: boolean }) {
    const row = await this.row(owner, id);
    if (!row) return new WebWalletError('webhook_not_found', { id });
    let url = row.url;
    if (patch.url !== undefined) {
      const checked = checkWebhookUrl(patch.url, { allow_private: this.allow_private });
      if (!checked.ok) return checked.error;
      url = checked.value.href;
    }
    if (patch.events) {
      const bad = this.checkEvents(patch.events);
      if (bad) return bad;
    }
    const events_json = patch.events ? JSON.stringify([...new Set(patch.events)]) : row.events_json;
    const enabled = patch.enabled === undefined ? row.enabled : patch.enabled ? 1 : 0;
    await this.db.transaction((tx) =>
      tx.run('UPDATE webhook_endpoints SET url = ?, events_json = ?, enabled = ? WHERE id = ?', [
        url,
        events_json,
        enabled,
        id,
      ]),
    );
    return endpointView({ ...row, url, events_json, enabled });
  }

  async remove(owner: Owner, id: string) {
    const row = await this.row(owner, id);
    if (!row) return new WebWalletError('webhook_not_found', { id });
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE webhook_endpoints SET deleted_at_ms = ?, enabled = 0 WHERE id = ?', [Date.now(), id]);
      // Nothing more goes to a deleted endpoint.
      await tx.run(
        `UPDATE deliveries SET status = 'failed', last_error = 'endpoint deleted' WHERE endpoint_id = ? AND status = 'pending'`,
        [id],
      );
    });
    return { ...endpointView(row), enabled: false, deleted: true };
  }

  /** New secret now; the old one keeps signing (a second v1) for `previous_valid_s`. */
  async rotateSecret(owner: Owner, id: string, previous_valid_s: number) {
    const row = await this.row(owner, id);
    if (!row) return new WebWalletError('webhook_not_found', { id });
    const secret = generateWebhookSecret();
    const until = Date.now() + previous_valid_s * 1000;
    await this.db.transaction((tx) =>
      tx.run('UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_valid_until_ms = ? WHERE id = ?', [
        secret,
        row.secret,
        until,
        id,
      ]),
    );
    return { ...endpointView(row), secret, previous_secret_valid_until: iso(until) };
  }

  async deliveries(owner: Owner, id: string, page: { after?: string | undefined; limit: number }) {
    const row = await this.row(owner, id);
    if (!row) return new WebWalletError('webhook_not_found', { id });
    const rows = await this.db.all<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE d.endpoint_id = ? AND (CAST(? AS TEXT) IS NULL OR d.id < ?) ORDER BY d.id DESC LIMIT ?`,
      [id, page.after ?? null, page.after ?? null, page.limit + 1],
    );
    return pageOfRows(rows.map(deliveryView), page.limit);
  }

  /** Attempts of one delivery, oldest first. */
  async attempts(deliveryId: string) {
    return this.db.all<{
      attempt: number;
      attempted_at_ms: number;
      duration_ms: number;
      status_code: number | null;
      error: string | null;
    }>(
      'SELECT attempt, attempted_at_ms, duration_ms, status_code, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt',
      [deliveryId],
    );
  }

  async redeliver(owner: Owner, id: string, deliveryId: string) {
    const row = await this.row(owner, id);
    if (!row) return new WebWalletError('webhook_not_found', { id });
    const now = Date.now();
    const changed = await this.db.transaction((tx) =>
      tx.run(
        `UPDATE deliveries SET status = 'pending', next_attempt_at_ms = ?, lease_until_ms = 0, created_at_ms = ?
         WHERE id = ? AND endpoint_id = ?`,
        [now, now, deliveryId, id],
      ),
    );
    if (changed === 0) return new WebWalletError('delivery_not_found', { id: deliveryId });
    this.wake();
    const delivery = await this.db.get<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?`,
      [deliveryId],
    );
    return deliveryView(delivery!);
  }
}

/** Takes `limit` of `limit + 1` rows; the extra one says whether a next page exists. */
export function pageOfRows<T extends { id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/** The outbox as the webhook worker sees it. */
export class DbDeliveryQueue implements DeliveryQueue {
  constructor(private readonly db: SqlDb) {}

  async claimDue(now_ms: number, limit: number, lease_ms: number): Promise<DueDelivery[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{
        id: string;
        event_id: string;
        endpoint_id: string;
        attempts: number;
        created_at_ms: number;
        url: string;
        secret: string;
        previous_secret: string | null;
        previous_valid_until_ms: number | null;
        body: string;
      }>(
        `SELECT d.id, d.event_id, d.endpoint_id, d.attempts, d.created_at_ms, w.url, w.secret, w.previous_secret,
                w.previous_valid_until_ms, e.body
         FROM deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_id
         WHERE d.status = 'pending' AND d.next_attempt_at_ms <= ? AND d.lease_until_ms <= ?
         ORDER BY d.next_attempt_at_ms LIMIT ?`,
        [now_ms, now_ms, limit],
      );
      const claimed: DueDelivery[] = [];
      for (const row of rows) {
        // The condition makes the claim safe against another process claiming the same row.
        const won = await tx.run('UPDATE deliveries SET lease_until_ms = ? WHERE id = ? AND lease_until_ms <= ?', [
          now_ms + lease_ms,
          row.id,
          now_ms,
        ]);
        if (won === 0) continue;
        const secrets = [row.secret];
        if (row.previous_secret && (row.previous_valid_until_ms ?? 0) > now_ms) secrets.push(row.previous_secret);
        claimed.push({
          delivery_id: row.id,
          event_id: row.event_id,
          endpoint_id: row.endpoint_id,
          url: row.url,
          secrets,
          body: row.body,
          attempts: row.attempts,
          event_created_at_ms: row.created_at_ms,
        });
      }
      return claimed;
    });
  }

  async record(outcome: DeliveryOutcome): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{ attempts: number }>('SELECT attempts FROM deliveries WHERE id = ?', [
        outcome.delivery_id,
      ]);
      if (!row) return;
      const attempt = row.attempts + 1;
      await tx.run(
        `INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at_ms, duration_ms, status_code, error)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [
          outcome.delivery_id,
          attempt,
          outcome.attempted_at_ms,
          Math.round(outcome.duration_ms),
          outcome.status_code,
          outcome.error,
        ],
      );
      await tx.run(
        `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at_ms = ?, lease_until_ms = 0,
           last_attempt_at_ms = ?, last_status_code = ?, last_error = ? WHERE id = ?`,
        [
          outcome.status,
          attempt,
          outcome.next_attempt_at_ms,
          outcome.attempted_at_ms,
          outcome.status_code,
          outcome.error,
          outcome.delivery_id,
        ],
      );
    });
  }

  async nextDueAt(): Promise<number | undefined> {
    const row = await this.db.get<{ at: number | null }>(
      // A leased delivery is in flight: it is due again only when its lease runs out.
      `SELECT MIN(CASE WHEN lease_until_ms > next_attempt_at_ms THEN lease_until_ms ELSE next_attempt_at_ms END) AS at
       FROM deliveries WHERE status = 'pending'`,
    );
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }
}

interface EventRow {
  id: string;
  type: string;
  body: string;
}

/** Events of one store and mode, as delivered. */
export async function getEvent(db: SqlDb, owner: Owner, id: string) {
  const row = await db.get<EventRow>('SELECT id, type, body FROM events WHERE id = ? AND store_id = ? AND mode = ?', [
    id,
    owner.store_id,
    owner.mode,
  ]);
  return row ? (JSON.parse(row.body) as Record<string, unknown>) : new WebWalletError('event_not_found', { id });
}

export async function listEvents(
  db: SqlDb,
  owner: Owner,
  query: { type?: string | undefined; after?: string | undefined; limit: number },
) {
  const rows = await db.all<EventRow>(
    `SELECT id, type, body FROM events WHERE store_id = ? AND mode = ? AND (CAST(? AS TEXT) IS NULL OR type = ?)
     AND (CAST(? AS TEXT) IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`,
    [
      owner.store_id,
      owner.mode,
      query.type ?? null,
      query.type ?? null,
      query.after ?? null,
      query.after ?? null,
      query.limit + 1,
    ],
  );
  const page = pageOfRows(rows, query.limit);
  return { items: page.items.map((r) => JSON.parse(r.body) as Record<string, unknown>), next_cursor: page.next_cursor };
}
