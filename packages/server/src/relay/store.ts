import { randomBytes, toBase64Url, WebWalletError } from '@webwallet/core';
import type { SqlDb, SqlExecutor } from '../processor/db/sql.js';

/** Every bound the relay enforces; routes.ts documents why each is what it is. */
export interface RelayLimits {
  /** Member devices of one mailbox. */
  readonly devices_max: number;
  /** Messages one mailbox holds at a time (trimming frees room). */
  readonly messages_max: number;
  /** Decoded ciphertext bytes one mailbox holds at a time. */
  readonly mailbox_bytes_max: number;
  /** Decoded ciphertext bytes of one message. */
  readonly message_bytes_max: number;
  /** Decoded ciphertext bytes of one pairing handoff. */
  readonly pairing_bytes_max: number;
  /** Unexpired pairings the whole node holds. */
  readonly pairings_max: number;
}

export const RELAY_LIMITS: RelayLimits = {
  devices_max: 32,
  messages_max: 1_000_000,
  mailbox_bytes_max: 1024 ** 3,
  message_bytes_max: 256 * 1024,
  pairing_bytes_max: 16 * 1024,
  pairings_max: 10_000,
};

export const PAIRING_EXPIRES_IN_S_MIN = 60;
export const PAIRING_EXPIRES_IN_S_MAX = 900;
export const PAIRING_EXPIRES_IN_S_DEFAULT = 600;
/** Most messages one trim deletes, so one request never holds the database for long. */
export const TRIM_BATCH_MAX = 10_000;
/** What a client is told to wait when the node holds too many pairings (short-lived by design). */
const PAIRINGS_FULL_RETRY_S = 60;

export interface DeviceView {
  readonly device_key: string;
  readonly added_at: string;
}

export interface MailboxView {
  readonly id: string;
  readonly created_at: string;
  readonly devices: DeviceView[];
  /** The seq of the newest message ever posted (0 before the first); seqs are never reused. */
  readonly last_seq: number;
  readonly message_count: number;
  readonly message_bytes: number;
  readonly limits: { devices_max: number; messages_max: number; mailbox_bytes_max: number; message_bytes_max: number };
}

export interface MessageView {
  readonly seq: number;
  readonly device_key: string;
  readonly epoch: number;
  readonly ciphertext: string;
  readonly created_at: string;
}

export interface MessagePage {
  readonly items: MessageView[];
  /** Pass as `after` for the next page: the last seq returned, or the given `after` when none. */
  readonly next_after: number;
  readonly has_more: boolean;
}

/** A message as posted: the ciphertext text exactly as sent, and its decoded length. */
export interface NewMessage {
  readonly epoch: number;
  readonly ciphertext: string;
  readonly bytes: number;
}

interface MailboxRow {
  id: string;
  created_at_ms: number;
  last_seq: number;
  message_count: number;
  message_bytes: number;
}

interface MessageRow {
  seq: number;
  device_key: string;
  epoch: number;
  ciphertext: string;
  created_at_ms: number;
}

export interface RelayStoreOptions {
  readonly db: SqlDb;
  /** The clock for times and pairing expiry; tests move it. */
  readonly now_ms?: () => number;
  readonly limits?: Partial<RelayLimits>;
}

/** A random 128-bit id with a type prefix: unguessable, and unlinkable to anything else. */
function randomId(prefix: 'mbx' | 'pair'): string {
  return `${prefix}_${toBase64Url(randomBytes(16))}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Runs a relay transaction. A WebWalletError thrown inside rolls it back and is returned as a
 * value; the checks come after the row lock, so they see every change committed before.
 */
async function attempt<T>(db: SqlDb, fn: (tx: SqlExecutor) => Promise<T>): Promise<T | WebWalletError> {
  try {
    return await db.transaction(fn);
  } catch (error) {
    if (error instanceof WebWalletError) return error;
    throw error;
  }
}

/**
 * Locks the mailbox row for the rest of the transaction. Every change to a mailbox (members,
 * messages, counters) starts here, so on PostgreSQL they queue per mailbox instead of racing;
 * SQLite runs writes one at a time anyway.
 */
async function lockMailbox(tx: SqlExecutor, id: string): Promise<void> {
  const changed = await tx.run('UPDATE relay_mailboxes SET last_seq = last_seq WHERE id = ?', [id]);
  if (changed === 0) throw new WebWalletError('mailbox_not_found', { id });
}

/** Reads on the database or inside a transaction. */
type Reader = Pick<SqlExecutor, 'get' | 'all'>;

async function requireMember(db: Reader, id: string, device_key: string): Promise<void> {
  const row = await db.get('SELECT 1 AS one FROM relay_devices WHERE mailbox_id = ? AND device_key = ?', [
    id,
    device_key,
  ]);
  if (!row) throw new WebWalletError('relay_not_member', { mailbox_id: id, device_key });
}

/**
 * The relay's storage, in the processor's database. It stores ciphertext as the text the client
 * sent and never looks inside; every mailbox operation checks that the caller is a member.
 */
export class RelayStore {
  private readonly db: SqlDb;
  private readonly now_ms: () => number;
  readonly limits: RelayLimits;

  constructor(options: RelayStoreOptions) {
    this.db = options.db;
    this.now_ms = options.now_ms ?? Date.now;
    this.limits = { ...RELAY_LIMITS, ...options.limits };
  }

  /** A new mailbox whose only member is the device that asked. */
  async createMailbox(device_key: string): Promise<MailboxView> {
    const id = randomId('mbx');
    const now = this.now_ms();
    return this.db.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO relay_mailboxes (id, created_at_ms, last_seq, message_count, message_bytes) VALUES (?, ?, 0, 0, 0)',
        [id, now],
      );
      await tx.run('INSERT INTO relay_devices (mailbox_id, device_key, added_at_ms) VALUES (?, ?, ?)', [
        id,
        device_key,
        now,
      ]);
      return this.view(tx, id);
    });
  }

  async getMailbox(id: string, by: string): Promise<MailboxView | WebWalletError> {
    return this.read(id, by, () => this.view(this.db, id));
  }

  /** Adds a member; adding one that is already a member changes nothing. */
  async addDevice(id: string, by: string, device_key: string): Promise<MailboxView | WebWalletError> {
    const now = this.now_ms();
    return attempt(this.db, async (tx) => {
      await lockMailbox(tx, id);
      await requireMember(tx, id, by);
      const devices = await tx.all<{ device_key: string }>(
        'SELECT device_key FROM relay_devices WHERE mailbox_id = ?',
        [id],
      );
      if (!devices.some((d) => d.device_key === device_key)) {
        const max = this.limits.devices_max;
        if (devices.length >= max) throw new WebWalletError('relay_limit_exceeded', { limit: 'devices_max', max });
        await tx.run('INSERT INTO relay_devices (mailbox_id, device_key, added_at_ms) VALUES (?, ?, ?)', [
          id,
          device_key,
          now,
        ]);
      }
      return this.view(tx, id);
    });
  }

  /**
   * Removes a member (any member may remove any member, itself included). Removing the last
   * member deletes the mailbox and its messages: nobody could read them any more.
   */
  async removeDevice(
    id: string,
    by: string,
    device_key: string,
  ): Promise<{ mailbox_deleted: boolean } | WebWalletError> {
    return attempt(this.db, async (tx) => {
      await lockMailbox(tx, id);
      await requireMember(tx, id, by);
      const removed = await tx.run('DELETE FROM relay_devices WHERE mailbox_id = ? AND device_key = ?', [
        id,
        device_key,
      ]);
      if (removed === 0) throw new WebWalletError('relay_device_not_found', { mailbox_id: id, device_key });
      const left = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM relay_devices WHERE mailbox_id = ?', [id]);
      if (Number(left?.n ?? 0) > 0) return { mailbox_deleted: false };
      await tx.run('DELETE FROM relay_messages WHERE mailbox_id = ?', [id]);
      await tx.run('DELETE FROM relay_mailboxes WHERE id = ?', [id]);
      return { mailbox_deleted: true };
    });
  }

  /** Appends a message; seqs increase by one per message, in commit order. */
  async postMessage(
    id: string,
    by: string,
    message: NewMessage,
  ): Promise<{ seq: number; created_at: string } | WebWalletError> {
    const now = this.now_ms();
    return attempt(this.db, async (tx) => {
      await lockMailbox(tx, id);
      await requireMember(tx, id, by);
      const box = await this.mailboxRow(tx, id);
      const { messages_max, mailbox_bytes_max } = this.limits;
      if (box.message_count >= messages_max) {
        throw new WebWalletError('relay_limit_exceeded', { limit: 'messages_max', max: messages_max });
      }
      if (box.message_bytes + message.bytes > mailbox_bytes_max) {
        throw new WebWalletError('relay_limit_exceeded', {
          limit: 'mailbox_bytes_max',
          max: mailbox_bytes_max,
          used: box.message_bytes,
        });
      }
      const seq = box.last_seq + 1;
      await tx.run('UPDATE relay_mailboxes SET last_seq = ?, message_count = ?, message_bytes = ? WHERE id = ?', [
        seq,
        box.message_count + 1,
        box.message_bytes + message.bytes,
        id,
      ]);
      await tx.run(
        `INSERT INTO relay_messages (mailbox_id, seq, device_key, epoch, ciphertext, bytes, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, seq, by, message.epoch, message.ciphertext, message.bytes, now],
      );
      return { seq, created_at: iso(now) };
    });
  }

  /** Messages with seq > after, oldest first. */
  async listMessages(id: string, by: string, after: number, limit: number): Promise<MessagePage | WebWalletError> {
    return this.read(id, by, async () => {
      const rows = await this.db.all<MessageRow>(
        `SELECT seq, device_key, epoch, ciphertext, created_at_ms FROM relay_messages
         WHERE mailbox_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [id, after, limit + 1],
      );
      const items = rows.slice(0, limit).map((row) => ({
        seq: Number(row.seq),
        device_key: row.device_key,
        epoch: Number(row.epoch),
        ciphertext: row.ciphertext,
        created_at: iso(Number(row.created_at_ms)),
      }));
      return { items, next_after: items.at(-1)?.seq ?? after, has_more: rows.length > limit };
    });
  }

  /**
   * Deletes the oldest messages, those with seq < before, at most TRIM_BATCH_MAX per call (a
   * client that posted a snapshot compacts what it covers). Frees room under the mailbox limits.
   */
  async trimMessages(
    id: string,
    by: string,
    before: number,
  ): Promise<{ deleted: number; has_more: boolean } | WebWalletError> {
    return attempt(this.db, async (tx) => {
      await lockMailbox(tx, id);
      await requireMember(tx, id, by);
      const edge = await tx.get<{ seq: number }>(
        'SELECT seq FROM relay_messages WHERE mailbox_id = ? AND seq < ? ORDER BY seq LIMIT 1 OFFSET ?',
        [id, before, TRIM_BATCH_MAX],
      );
      const bound = edge ? Number(edge.seq) : before;
      const gone = await tx.get<{ n: number; bytes: number }>(
        'SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM relay_messages WHERE mailbox_id = ? AND seq < ?',
        [id, bound],
      );
      const [deleted, bytes] = [Number(gone?.n ?? 0), Number(gone?.bytes ?? 0)];
      await tx.run('DELETE FROM relay_messages WHERE mailbox_id = ? AND seq < ?', [id, bound]);
      await tx.run(
        'UPDATE relay_mailboxes SET message_count = message_count - ?, message_bytes = message_bytes - ? WHERE id = ?',
        [deleted, bytes, id],
      );
      return { deleted, has_more: edge !== undefined };
    });
  }

  /** Stores a pairing handoff; its id is the only way to read it. Sweeps expired ones first. */
  async createPairing(
    ciphertext: string,
    expires_in_s: number,
  ): Promise<{ id: string; expires_at: string } | WebWalletError> {
    const now = this.now_ms();
    const id = randomId('pair');
    const expires_at_ms = now + expires_in_s * 1000;
    return attempt(this.db, async (tx) => {
      await tx.run('DELETE FROM relay_pairings WHERE expires_at_ms <= ?', [now]);
      const held = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM relay_pairings');
      const max = this.limits.pairings_max;
      if (Number(held?.n ?? 0) >= max) {
        throw new WebWalletError('relay_busy', { limit: 'pairings_max', max, retry_after_s: PAIRINGS_FULL_RETRY_S });
      }
      await tx.run('INSERT INTO relay_pairings (id, ciphertext, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)', [
        id,
        ciphertext,
        now,
        expires_at_ms,
      ]);
      return { id, expires_at: iso(expires_at_ms) };
    });
  }

  /** Reads a pairing once: it is deleted in the same step, so a second read finds nothing. */
  async takePairing(id: string): Promise<{ ciphertext: string; expires_at: string } | WebWalletError> {
    const now = this.now_ms();
    const row = await this.db.transaction((tx) =>
      tx.get<{ ciphertext: string; expires_at_ms: number }>(
        'DELETE FROM relay_pairings WHERE id = ? RETURNING ciphertext, expires_at_ms',
        [id],
      ),
    );
    if (!row || Number(row.expires_at_ms) <= now) return new WebWalletError('pairing_not_found', { id });
    return { ciphertext: row.ciphertext, expires_at: iso(Number(row.expires_at_ms)) };
  }

  /** A read-only operation for members only. */
  private async read<T>(id: string, by: string, fn: () => Promise<T>): Promise<T | WebWalletError> {
    try {
      const box = await this.db.get('SELECT id FROM relay_mailboxes WHERE id = ?', [id]);
      if (!box) return new WebWalletError('mailbox_not_found', { id });
      await requireMember(this.db, id, by);
      return await fn();
    } catch (error) {
      if (error instanceof WebWalletError) return error;
      throw error;
    }
  }

  private async mailboxRow(db: Reader, id: string): Promise<MailboxRow> {
    const row = await db.get<MailboxRow>(
      'SELECT id, created_at_ms, last_seq, message_count, message_bytes FROM relay_mailboxes WHERE id = ?',
      [id],
    );
    if (!row) throw new WebWalletError('mailbox_not_found', { id });
    // PostgreSQL returns BIGINT as number here (postgres.ts), SQLite as number: Number() keeps both honest.
    return {
      id: row.id,
      created_at_ms: Number(row.created_at_ms),
      last_seq: Number(row.last_seq),
      message_count: Number(row.message_count),
      message_bytes: Number(row.message_bytes),
    };
  }

  private async view(db: Reader, id: string): Promise<MailboxView> {
    const box = await this.mailboxRow(db, id);
    const devices = await db.all<{ device_key: string; added_at_ms: number }>(
      'SELECT device_key, added_at_ms FROM relay_devices WHERE mailbox_id = ? ORDER BY added_at_ms, device_key',
      [id],
    );
    const { devices_max, messages_max, mailbox_bytes_max, message_bytes_max } = this.limits;
    return {
      id,
      created_at: iso(box.created_at_ms),
      devices: devices.map((d) => ({ device_key: d.device_key, added_at: iso(Number(d.added_at_ms)) })),
      last_seq: box.last_seq,
      message_count: box.message_count,
      message_bytes: box.message_bytes,
      limits: { devices_max, messages_max, mailbox_bytes_max, message_bytes_max },
    };
  }
}
