import { decodePrefixed, encodePrefixed, err, fromBase64Url, ok, type Result, toBase64Url } from '@webwallet/core';
import { EPOCH_KEY_BYTES, type EpochKey, keyId } from './envelope.js';

/**
 * What a device keeps between syncs, in memory (SyncModel) and as plain JSON (SyncState). The
 * JSON holds the device's secret keys and every epoch key: it is as secret as the recovery
 * phrase's derived keys, and belongs inside the wallet's encrypted storage (the CLI's wallet
 * file, the PWA's locked IndexedDB record), never in plain local storage or a log.
 */

export const SYNC_STATE_TYPE = 'webwallet.sync';
export const SYNC_STATE_VERSION = 1;
/**
 * Epoch keys a device holds. A new one is made per device removal; a pairing hands all of them
 * over within the relay's 16 KiB, so the count is bounded. Past it, removing a device fails:
 * start a new mailbox (create) and pair the devices again.
 */
export const EPOCH_KEYS_MAX = 200;
/** Invitations remembered (each pairing makes one; they are needed again only to re-read the log). */
export const INVITES_MAX = 1_000;
/** Device names are for people ("Ann's phone"). */
export const DEVICE_NAME_LENGTH_MAX = 64;

const DEVICE_KEY = /^pub_[A-Za-z0-9_-]{43}$/;
const MAILBOX_ID = /^mbx_[A-Za-z0-9_-]{22}$/;
const KEY_ID = /^[A-Za-z0-9_-]{22}$/;
const X25519_KEY = /^[A-Za-z0-9_-]{43}$/;

/** One member as the devices' own signed messages say, with where in the log it joined and left. */
export interface RosterEntry {
  readonly key: string;
  /** base64url X25519 public key: epoch keys are wrapped to it. */
  readonly x25519: string;
  readonly name?: string;
  /** seq of its genesis or join message: it may write after that. */
  added_seq: number;
  /** When the relay stored that message (the relay's clock). */
  readonly added_at: string;
  /** seq of the message that removed it: nothing it writes after counts. */
  removed_seq?: number;
}

/** An invitation a member announced: the one-time key a new device proves itself with. */
export interface InviteEntry {
  readonly invitation: string;
  readonly seq: number;
  readonly inviter: string;
  /** Ids of the epoch keys the invitation handed over. */
  readonly keys: readonly string[];
  used_by?: string;
}

/** An invitation this device made: its key leaves the relay's member list once used or expired. */
export interface OwnInvitation {
  readonly key: string;
  readonly expires_at: string;
}

/** A joining device's proof, posted until its join is seen in the log. */
export interface PendingJoin {
  readonly invitation: string;
  readonly signature: string;
}

export interface SyncModel {
  readonly relay_url: string;
  readonly mailbox: string;
  /** The device that made the mailbox: the trust anchor a paired device checks the log's genesis against. */
  founder: string;
  readonly device_secret: Uint8Array;
  readonly x25519_secret: Uint8Array;
  readonly device_name: string | undefined;
  /** Every message with a lower or equal seq has been read (some may wait in `missing`). */
  cursor: number;
  readonly keys: Map<string, EpochKey>;
  /** Who holds each key (by key id), as the log's keys, genesis and join messages say. */
  readonly recipients: Map<string, Set<string>>;
  readonly roster: Map<string, RosterEntry>;
  readonly invites: Map<string, InviteEntry>;
  invitations: OwnInvitation[];
  /** Keys seen on messages but not held, with the first seq that needs each. */
  readonly missing: Map<string, number>;
  join: PendingJoin | undefined;
  /** The document's state vector when everything in it was last known to be on the relay. */
  known_sv: Uint8Array;
  /** Local changes not yet posted (Yjs updates). */
  pending: Uint8Array[];
}

/** The JSON form of a device's sync state (see the warning above: it is secret). */
export interface SyncState {
  readonly type: typeof SYNC_STATE_TYPE;
  readonly version: typeof SYNC_STATE_VERSION;
  readonly relay_url: string;
  readonly mailbox: string;
  readonly founder: string;
  readonly device: {
    /** The device's Ed25519 secret key ("sec_…"): relay requests and message signatures. */
    readonly secret: string;
    /** base64url X25519 secret key: opens epoch keys wrapped to this device. */
    readonly x25519_secret: string;
    readonly name?: string;
  };
  readonly cursor: number;
  readonly keys: readonly { readonly epoch: number; readonly key: string }[];
  readonly recipients: readonly { readonly key_id: string; readonly devices: readonly string[] }[];
  readonly roster: readonly RosterEntry[];
  readonly invites: readonly InviteEntry[];
  readonly invitations: readonly OwnInvitation[];
  readonly missing: readonly { readonly key_id: string; readonly seq: number }[];
  readonly join: PendingJoin | null;
  readonly known_sv: string;
  /** One merged Yjs update of the local changes not yet posted, or null. */
  readonly pending: string | null;
}

export function toState(model: SyncModel, pending: Uint8Array | undefined): SyncState {
  return {
    type: SYNC_STATE_TYPE,
    version: SYNC_STATE_VERSION,
    relay_url: model.relay_url,
    mailbox: model.mailbox,
    founder: model.founder,
    device: {
      secret: encodePrefixed('sec', model.device_secret),
      x25519_secret: toBase64Url(model.x25519_secret),
      ...(model.device_name === undefined ? {} : { name: model.device_name }),
    },
    cursor: model.cursor,
    keys: [...model.keys.values()].map((k) => ({ epoch: k.epoch, key: toBase64Url(k.key) })),
    recipients: [...model.recipients].map(([key_id, devices]) => ({ key_id, devices: [...devices].sort() })),
    roster: [...model.roster.values()].map((entry) => ({ ...entry })),
    invites: [...model.invites.values()].map((entry) => ({ ...entry, keys: [...entry.keys] })),
    invitations: model.invitations.map((i) => ({ ...i })),
    missing: [...model.missing].map(([key_id, seq]) => ({ key_id, seq })),
    join: model.join ? { ...model.join } : null,
    known_sv: toBase64Url(model.known_sv),
    pending: pending === undefined ? null : toBase64Url(pending),
  };
}

class Damaged extends Error {}

function need(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new Damaged(reason);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function bytes(value: unknown, what: string, length?: number): Uint8Array {
  const decoded = typeof value === 'string' ? fromBase64Url(value) : undefined;
  need(decoded?.ok && (length === undefined || decoded.value.length === length), `${what} is not base64url`);
  return decoded.value;
}

function list(value: unknown, what: string): unknown[] {
  need(Array.isArray(value), `${what} must be a list`);
  return value;
}

function text(value: unknown, pattern: RegExp, what: string): string {
  need(typeof value === 'string' && pattern.test(value), `${what} is malformed`);
  return value;
}

export function deviceName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value.length <= DEVICE_NAME_LENGTH_MAX && !/[\p{Cc}]/u.test(value)
    ? value
    : undefined;
}

function rosterEntry(value: unknown): RosterEntry {
  need(isObject(value) && isSeq(value.added_seq), 'a roster entry is malformed');
  const removed = value.removed_seq;
  need(removed === undefined || isSeq(removed), 'a roster removed_seq is malformed');
  const name = deviceName(value.name);
  return {
    key: text(value.key, DEVICE_KEY, 'a roster key'),
    x25519: text(value.x25519, X25519_KEY, 'a roster X25519 key'),
    ...(name === undefined ? {} : { name }),
    added_seq: value.added_seq,
    added_at: typeof value.added_at === 'string' ? value.added_at : '',
    ...(removed === undefined ? {} : { removed_seq: removed }),
  };
}

function inviteEntry(value: unknown): InviteEntry {
  need(isObject(value) && isSeq(value.seq), 'an invite is malformed');
  const used_by = value.used_by === undefined ? undefined : text(value.used_by, DEVICE_KEY, 'an invite used_by');
  return {
    invitation: text(value.invitation, DEVICE_KEY, 'an invitation key'),
    seq: value.seq,
    inviter: text(value.inviter, DEVICE_KEY, 'an inviter'),
    keys: list(value.keys, 'invite keys').map((k) => text(k, KEY_ID, 'an invite key id')),
    ...(used_by === undefined ? {} : { used_by }),
  };
}

function modelFrom(state: Record<string, unknown>): { model: SyncModel; pending: Uint8Array | undefined } {
  need(state.type === SYNC_STATE_TYPE && state.version === SYNC_STATE_VERSION, 'not a version 1 sync state');
  need(typeof state.relay_url === 'string' && /^https?:\/\//.test(state.relay_url), 'relay_url is not http(s)');
  need(isObject(state.device) && isSeq(state.cursor), 'device or cursor is malformed');
  const secret = decodePrefixed('sec', state.device.secret);
  need(secret.ok, 'the device secret is not a "sec_…" key');
  const keys = new Map<string, EpochKey>();
  for (const entry of list(state.keys, 'keys')) {
    need(isObject(entry) && isSeq(entry.epoch), 'an epoch key is malformed');
    const key = bytes(entry.key, 'an epoch key', EPOCH_KEY_BYTES);
    keys.set(keyId(key), { epoch: entry.epoch, key, id: keyId(key) });
  }
  need(keys.size <= EPOCH_KEYS_MAX, `more than ${EPOCH_KEYS_MAX} epoch keys`);
  const recipients = new Map<string, Set<string>>();
  for (const entry of list(state.recipients, 'recipients')) {
    need(isObject(entry), 'a recipients entry is malformed');
    const devices = list(entry.devices, 'recipients devices').map((d) => text(d, DEVICE_KEY, 'a recipient'));
    recipients.set(text(entry.key_id, KEY_ID, 'a key id'), new Set(devices));
  }
  const roster = new Map(
    list(state.roster, 'roster')
      .map((e) => rosterEntry(e))
      .map((e) => [e.key, e]),
  );
  const invites = new Map(
    list(state.invites, 'invites')
      .map((e) => inviteEntry(e))
      .map((e) => [e.invitation, e]),
  );
  const invitations = list(state.invitations, 'invitations').map((value) => {
    need(isObject(value) && typeof value.expires_at === 'string', 'an invitation is malformed');
    return { key: text(value.key, DEVICE_KEY, 'an invitation key'), expires_at: value.expires_at };
  });
  const missing = new Map<string, number>();
  for (const entry of list(state.missing, 'missing')) {
    need(isObject(entry) && isSeq(entry.seq), 'a missing key entry is malformed');
    missing.set(text(entry.key_id, KEY_ID, 'a missing key id'), entry.seq);
  }
  let join: PendingJoin | undefined;
  if (state.join !== null) {
    need(isObject(state.join) && typeof state.join.signature === 'string', 'join is malformed');
    join = {
      invitation: text(state.join.invitation, DEVICE_KEY, 'the join invitation'),
      signature: state.join.signature,
    };
  }
  const model: SyncModel = {
    relay_url: state.relay_url,
    mailbox: text(state.mailbox, MAILBOX_ID, 'mailbox'),
    founder: text(state.founder, DEVICE_KEY, 'founder'),
    device_secret: secret.value,
    x25519_secret: bytes(state.device.x25519_secret, 'the X25519 secret', 32),
    device_name: deviceName(state.device.name),
    cursor: state.cursor,
    keys,
    recipients,
    roster,
    invites,
    invitations,
    missing,
    join,
    known_sv: bytes(state.known_sv, 'known_sv'),
    pending: [],
  };
  const pending = state.pending === null ? undefined : bytes(state.pending, 'pending');
  return { model, pending };
}

/** Reads a saved state; sync_state_invalid when it is not one. */
export function parseState(state: unknown): Result<{ model: SyncModel; pending: Uint8Array | undefined }> {
  try {
    need(isObject(state), 'a sync state is an object');
    return ok(modelFrom(state));
  } catch (error) {
    if (error instanceof Damaged) return err('sync_state_invalid', { reason: `sync state: ${error.message}` });
    throw error;
  }
}
