import { err, ok, type Receipt, type Result, tryCanonicalize } from '@webwallet/core';
import * as Y from 'yjs';
import type { Instrument, InstrumentKind } from '../instruments/types.js';
import { type Check, httpUrl, invalidField, timestamp, validateInstrument } from '../instruments/validate.js';
import {
  ACCOUNTS_MAX,
  type Account,
  CONTACTS_MAX,
  type Contact,
  checkReceipt,
  INSTRUMENTS_MAX,
  type JsonValue,
  LABELS_MAX,
  labelKey,
  labelText,
  noteText,
  RECEIPTS_MAX,
  type ReceiptMeta,
  SETTINGS_MAX,
  type StoredReceipt,
  settingProblem,
  validateAccount,
  validateContact,
} from './records.js';

/**
 * The wallet document: everything a wallet holds except balances (accounts, instruments,
 * receipts, contacts, labels, settings), as a Yjs CRDT (https://docs.yjs.dev) that the user's
 * devices replicate through the sync relay. Devices may edit offline for days; exchanging updates
 * in any order, any number of times, brings every replica to the same state.
 *
 * Layout: one top-level Y.Map per collection. Accounts, instruments, receipts and contacts are
 * Y.Maps of records, and each record is itself a Y.Map of fields, so concurrent edits to
 * different fields of one record both survive; concurrent edits to the same field resolve by the
 * Yjs rule (the same winner on every replica). Writes touch only the fields that changed, so an
 * edit never silently re-asserts (and so overrides) another device's concurrent change. A
 * removal wins over a concurrent edit of the removed record. Two devices creating the same id
 * while apart (the same account added on both) keep one of the two records whole.
 *
 * Labels (a free-form map from anything, such as an account id or a receipt key, to a name) and
 * settings (small JSON values) are Y.Maps of values.
 *
 * Balances are never stored: the ledger is authoritative, and merging balances from devices
 * would invent or lose money.
 *
 * @example
 * const phone = WalletDocument.create();
 * phone.putInstrument(card);
 * const laptop = unwrap(WalletDocument.load(phone.encodeState()));
 * laptop.applyUpdate(unwrap(phone.encodeDiff(laptop.stateVector())));
 */

/** The origin of edits made through this API; the sync layer sends updates with this origin. */
export const LOCAL_ORIGIN = 'wallet.local';
/** The default origin of applied updates: the sync layer must not send these back. */
export const REMOTE_ORIGIN = 'wallet.remote';

const COLLECTIONS = ['accounts', 'instruments', 'receipts', 'contacts'] as const;
type Collection = (typeof COLLECTIONS)[number];

type Fields = Record<string, unknown>;

/** Plain, deterministic JSON of the whole document: identical on replicas that have the same edits. */
export interface WalletSnapshot {
  readonly accounts: Readonly<Record<string, Fields>>;
  readonly instruments: Readonly<Record<string, Fields>>;
  readonly receipts: Readonly<Record<string, Fields>>;
  readonly contacts: Readonly<Record<string, Fields>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly settings: Readonly<Record<string, JsonValue>>;
}

export type UpdateListener = (update: Uint8Array, origin: unknown) => void;

function damaged(reason: string): Result<never> {
  return err('wallet_document_invalid', { reason });
}

function full(what: string, limit: number): Result<never> {
  return err('wallet_full', {
    reason: `the wallet already holds ${limit} ${what}, the most it can; remove some first`,
    limit,
  });
}

function canonical(value: unknown): string | undefined {
  const text = tryCanonicalize(value);
  return text.ok ? text.value : undefined;
}

/** A record's fields as plain JSON; values that are not JSON (only a hostile update makes them) are left out. */
function fieldsOf(record: Y.Map<unknown>): Fields {
  const out: Fields = {};
  for (const [field, value] of record.entries()) {
    const text = canonical(value);
    if (text !== undefined) out[field] = JSON.parse(text);
  }
  return out;
}

/** Code-unit order: the same on every device, unlike locale collation. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A receipt's stored JSON text as a value (the text itself if it is not JSON). */
function parsedJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return compareText(a[0], b[0]);
}

/** Order of two RFC 3339 times (as times: "…00.5Z" is after "…00Z", though it sorts before as text). */
function compareTime(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

/** A stored receipt record as the API returns it, or undefined when the record is damaged. */
function parseStored(key: string, record: Y.Map<unknown>): StoredReceipt | undefined {
  const json = record.get('receipt');
  const storedAt = record.get('stored_at');
  if (typeof json !== 'string' || timestamp(storedAt) !== undefined) return undefined;
  let receipt: Receipt;
  try {
    receipt = JSON.parse(json) as Receipt;
  } catch {
    return undefined;
  }
  const text = (field: string) => {
    const value = record.get(field);
    return typeof value === 'string' ? { [field]: value } : {};
  };
  return { key, receipt, stored_at: storedAt as string, ...text('node'), ...text('label'), ...text('note') };
}

export class WalletDocument {
  private readonly doc: Y.Doc;
  /**
   * Entries per map, kept because Y.Map's size walks every entry: checking the limit on each put
   * would make adding n records cost n². Local edits adjust it; merged updates reset it.
   */
  private readonly counts = new Map<string, number>();

  private constructor(doc: Y.Doc) {
    this.doc = doc;
  }

  /** A new, empty wallet document. Yjs gives each session a random client id, as it must. */
  static create(): WalletDocument {
    return new WalletDocument(new Y.Doc());
  }

  /** A wallet document from a state saved with encodeState (or any full update). */
  static load(update: Uint8Array): Result<WalletDocument> {
    const wallet = WalletDocument.create();
    const applied = wallet.applyUpdate(update, 'load');
    return applied.ok ? ok(wallet) : applied;
  }

  /** This replica's Yjs client id (tests and diagnostics). */
  get clientId(): number {
    return this.doc.clientID;
  }

  /** The whole state as one update: save it, or send it to a new device. */
  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  /** What this replica has seen, for another replica's encodeDiff. */
  stateVector(): Uint8Array {
    return Y.encodeStateVector(this.doc);
  }

  /** The edits this replica has that the one with `stateVector` lacks. */
  encodeDiff(stateVector: Uint8Array): Result<Uint8Array> {
    try {
      return ok(Y.encodeStateAsUpdate(this.doc, stateVector));
    } catch {
      return damaged('the state vector is damaged');
    }
  }

  /**
   * Merges an update from another replica. Updates may come in any order and more than once.
   * A damaged update fails with `wallet_document_invalid` and changes nothing.
   */
  applyUpdate(update: Uint8Array, origin: unknown = REMOTE_ORIGIN): Result<void> {
    if (!(update instanceof Uint8Array)) throw new TypeError('an update is a Uint8Array');
    try {
      // Decoding first reads the whole update, so a damaged one fails before anything merges.
      Y.decodeUpdate(update);
      this.counts.clear();
      Y.applyUpdate(this.doc, update, origin);
      return ok(undefined);
    } catch {
      return damaged('the wallet document update is damaged');
    }
  }

  /** Calls `listener` with each update (local edits have origin LOCAL_ORIGIN); returns the unsubscribe. */
  onUpdate(listener: UpdateListener): () => void {
    const handler = (update: Uint8Array, origin: unknown) => listener(update, origin);
    this.doc.on('update', handler);
    return () => this.doc.off('update', handler);
  }

  /**
   * Runs several edits as one change: one update, one sync message (importing 1,000 receipts).
   * An edit that fails inside does not undo the others.
   */
  batch<T>(edits: () => T): T {
    let result: T | undefined;
    this.doc.transact(() => {
      result = edits();
    }, LOCAL_ORIGIN);
    return result as T;
  }

  /** Every record and value, as sorted plain JSON. Records that no longer validate are included. */
  snapshot(): WalletSnapshot {
    const collection = (name: Collection) =>
      Object.fromEntries(
        [...this.map(name).entries()]
          .filter((e): e is [string, Y.Map<unknown>] => e[1] instanceof Y.Map)
          .map(([key, record]) => [key, fieldsOf(record)] as [string, Fields])
          .sort(byKey),
      );
    const receipts = Object.fromEntries(
      Object.entries(collection('receipts')).map(([key, fields]) => [
        key,
        fields.receipt === undefined ? fields : { ...fields, receipt: parsedJson(fields.receipt) },
      ]),
    );
    const snapshot = {
      accounts: collection('accounts'),
      instruments: collection('instruments'),
      receipts,
      contacts: collection('contacts'),
      labels: this.labels(),
      settings: this.settings(),
    };
    // Canonical JSON sorts every object's keys: the same edits give the same JSON text.
    return JSON.parse(canonical(snapshot) as string) as WalletSnapshot;
  }

  // -------------------------------------------------------------------------------------------
  // Records

  private map(name: Collection | 'labels' | 'settings'): Y.Map<unknown> {
    return this.doc.getMap(name);
  }

  private record(name: Collection, key: string): Y.Map<unknown> | undefined {
    const record = this.map(name).get(key);
    return record instanceof Y.Map ? record : undefined;
  }

  /**
   * Writes the fields that differ from what is stored. With `replace`, fields not given are
   * deleted (a full record); otherwise they are kept.
   */
  private write(name: Collection, key: string, fields: Fields, remove: readonly string[], replace: boolean): void {
    this.doc.transact(() => {
      let record = this.record(name, key);
      if (!record) {
        this.counted(name, 1);
        record = new Y.Map<unknown>();
        this.map(name).set(key, record);
      }
      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        const stored = record.get(field);
        if (stored === undefined || canonical(stored) !== canonical(value)) record.set(field, value);
      }
      const gone = replace ? [...record.keys()].filter((f) => fields[f] === undefined) : remove;
      for (const field of gone) if (record.has(field)) record.delete(field);
    }, LOCAL_ORIGIN);
  }

  private count(name: Collection | 'labels' | 'settings'): number {
    let count = this.counts.get(name);
    if (count === undefined) {
      count = this.map(name).size;
      this.counts.set(name, count);
    }
    return count;
  }

  private counted(name: Collection | 'labels' | 'settings', change: number): void {
    const count = this.counts.get(name);
    if (count !== undefined) this.counts.set(name, count + change);
  }

  private hasRoom(name: Collection, key: string, limit: number): boolean {
    return this.record(name, key) !== undefined || this.count(name) < limit;
  }

  private remove(name: Collection | 'labels' | 'settings', key: string): boolean {
    if (!this.map(name).has(key)) return false;
    this.counted(name, -1);
    this.doc.transact(() => this.map(name).delete(key), LOCAL_ORIGIN);
    return true;
  }

  private valid<T>(name: Collection, validate: (value: unknown) => Result<T>): T[] {
    const out: T[] = [];
    for (const record of this.map(name).values()) {
      if (!(record instanceof Y.Map)) continue;
      const checked = validate(fieldsOf(record));
      if (checked.ok) out.push(checked.value);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Accounts

  /** Adds an account, or updates its label (the whole record is given). */
  putAccount(account: Account): Result<Account> {
    const checked = validateAccount(account);
    if (!checked.ok) return checked;
    if (!this.hasRoom('accounts', checked.value.id, ACCOUNTS_MAX)) return full('accounts', ACCOUNTS_MAX);
    this.write('accounts', checked.value.id, { ...checked.value }, [], true);
    return checked;
  }

  removeAccount(id: string): boolean {
    return this.remove('accounts', id);
  }

  /** Accounts, oldest first. */
  accounts(): Account[] {
    return this.valid('accounts', validateAccount).sort(
      (a, b) => compareTime(a.created_at, b.created_at) || compareText(a.id, b.id),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Instruments

  /**
   * Adds an instrument, or updates one with the same id (the whole instrument is given; only the
   * changed fields are written). Fails with `instrument_invalid` and details {field, reason}.
   */
  putInstrument(instrument: Instrument): Result<Instrument> {
    const checked = validateInstrument(instrument);
    if (!checked.ok) return checked;
    if (!this.hasRoom('instruments', checked.value.id, INSTRUMENTS_MAX)) return full('instruments', INSTRUMENTS_MAX);
    this.write('instruments', checked.value.id, { ...checked.value }, [], true);
    return checked;
  }

  removeInstrument(id: string): boolean {
    return this.remove('instruments', id);
  }

  instrument(id: string): Instrument | undefined {
    const record = this.record('instruments', id);
    const checked = record ? validateInstrument(fieldsOf(record)) : undefined;
    return checked?.ok ? checked.value : undefined;
  }

  /**
   * Instruments, newest first, optionally of one kind. A record that no longer validates is left
   * out: only a merge of two devices' conflicting edits (one made a coupon a percentage, the
   * other an amount off) produces one; snapshot() still shows it, and the next put repairs it.
   */
  instruments(kind?: InstrumentKind): Instrument[] {
    return this.valid('instruments', validateInstrument)
      .filter((i) => kind === undefined || i.kind === kind)
      .sort((a, b) => compareTime(b.added_at, a.added_at) || compareText(a.id, b.id));
  }

  // -------------------------------------------------------------------------------------------
  // Receipts

  /**
   * Stores a receipt under "<node key>/<transaction id>". Storing it again updates the receipt and
   * the label and note given (null removes them) and keeps the first stored_at. Fails with
   * `receipt_invalid` for a receipt of the wrong shape.
   */
  putReceipt(receipt: Receipt, meta: ReceiptMeta = {}): Result<StoredReceipt> {
    const checked = checkReceipt(receipt);
    if (!checked.ok) return checked;
    const { key, json } = checked.value;
    const problem = this.receiptMetaProblem(meta);
    if (problem) return problem;
    if (!this.hasRoom('receipts', key, RECEIPTS_MAX)) return full('receipts', RECEIPTS_MAX);
    const isNew = this.record('receipts', key) === undefined;
    const fields: Fields = {
      // Canonical JSON text, not a nested value: a receipt never changes inside, and Yjs decodes
      // one string about three times faster than the objects it would hold, which is what
      // syncing 10,000 receipts to a new device spends its time on.
      receipt: json,
      ...(isNew ? { stored_at: meta.stored_at ?? new Date().toISOString() } : {}),
      ...(typeof meta.node === 'string' ? { node: meta.node } : {}),
      ...(typeof meta.label === 'string' ? { label: meta.label } : {}),
      ...(typeof meta.note === 'string' ? { note: meta.note } : {}),
    };
    const remove = [meta.label === null ? 'label' : '', meta.note === null ? 'note' : ''].filter((f) => f !== '');
    this.write('receipts', key, fields, remove, false);
    return ok(this.receipt(key) as StoredReceipt);
  }

  private receiptMetaProblem(meta: ReceiptMeta): Result<never> | undefined {
    const checks: [string, unknown, Check][] = [
      ['stored_at', meta.stored_at, timestamp],
      ['node', meta.node, httpUrl],
      ['label', meta.label, labelText],
      ['note', meta.note, noteText],
    ];
    for (const [field, value, check] of checks) {
      const reason = value === undefined || value === null ? undefined : check(value);
      if (reason !== undefined) return invalidField(field, reason);
    }
    return undefined;
  }

  receipt(key: string): StoredReceipt | undefined {
    const record = this.record('receipts', key);
    return record ? parseStored(key, record) : undefined;
  }

  removeReceipt(key: string): boolean {
    return this.remove('receipts', key);
  }

  /** How many receipts are stored. */
  receiptCount(): number {
    return this.count('receipts');
  }

  /**
   * Receipts, newest stored first (ties by key, so every replica lists them alike); a page of
   * them with `offset` and `limit`. Only the page's receipts are parsed.
   */
  receipts(page: { readonly offset?: number; readonly limit?: number } = {}): StoredReceipt[] {
    const listed: { ms: number; key: string; record: Y.Map<unknown> }[] = [];
    for (const [key, record] of this.map('receipts').entries()) {
      const storedAt = record instanceof Y.Map ? record.get('stored_at') : undefined;
      if (timestamp(storedAt) === undefined) {
        listed.push({ ms: Date.parse(storedAt as string), key, record: record as Y.Map<unknown> });
      }
    }
    listed.sort((a, b) => b.ms - a.ms || compareText(a.key, b.key));
    const offset = page.offset ?? 0;
    const end = page.limit === undefined ? undefined : offset + page.limit;
    return listed
      .slice(offset, end)
      .map((l) => parseStored(l.key, l.record))
      .filter((r): r is StoredReceipt => r !== undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Contacts

  putContact(contact: Contact): Result<Contact> {
    const checked = validateContact(contact);
    if (!checked.ok) return checked;
    if (!this.hasRoom('contacts', checked.value.id, CONTACTS_MAX)) return full('contacts', CONTACTS_MAX);
    this.write('contacts', checked.value.id, { ...checked.value }, [], true);
    return checked;
  }

  removeContact(id: string): boolean {
    return this.remove('contacts', id);
  }

  /** Contacts by name (then id). */
  contacts(): Contact[] {
    return this.valid('contacts', validateContact).sort(
      (a, b) => compareText(a.name, b.name) || compareText(a.id, b.id),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Labels and settings

  /** Names anything: an account id, a receipt key, an address. */
  setLabel(key: string, label: string): Result<void> {
    const problem = labelKey(key) ?? labelText(label);
    if (problem) return invalidField(labelKey(key) ? 'key' : 'label', problem);
    const labels = this.map('labels');
    if (labels.get(key) === label) return ok(undefined);
    if (!labels.has(key)) {
      if (this.count('labels') >= LABELS_MAX) return full('labels', LABELS_MAX);
      this.counted('labels', 1);
    }
    this.doc.transact(() => labels.set(key, label), LOCAL_ORIGIN);
    return ok(undefined);
  }

  removeLabel(key: string): boolean {
    return this.remove('labels', key);
  }

  label(key: string): string | undefined {
    const value = this.map('labels').get(key);
    return typeof value === 'string' ? value : undefined;
  }

  labels(): Record<string, string> {
    const entries = [...this.map('labels').entries()].filter((e): e is [string, string] => typeof e[1] === 'string');
    return Object.fromEntries(entries.sort(byKey));
  }

  /** Sets a small JSON value (at most SETTING_JSON_BYTES_MAX bytes). */
  setSetting(key: string, value: JsonValue): Result<void> {
    const problem = labelKey(key);
    if (problem) return invalidField('key', problem);
    const valueProblem = settingProblem(value);
    if (valueProblem) return invalidField('value', valueProblem);
    const settings = this.map('settings');
    if (settings.has(key) && canonical(settings.get(key)) === canonical(value)) return ok(undefined);
    if (!settings.has(key)) {
      if (this.count('settings') >= SETTINGS_MAX) return full('settings', SETTINGS_MAX);
      this.counted('settings', 1);
    }
    this.doc.transact(() => settings.set(key, JSON.parse(canonical(value) as string)), LOCAL_ORIGIN);
    return ok(undefined);
  }

  removeSetting(key: string): boolean {
    return this.remove('settings', key);
  }

  setting(key: string): JsonValue | undefined {
    const text = canonical(this.map('settings').get(key));
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  settings(): Record<string, JsonValue> {
    const entries: [string, JsonValue][] = [];
    for (const [key, value] of this.map('settings').entries()) {
      const text = canonical(value);
      if (text !== undefined) entries.push([key, JSON.parse(text) as JsonValue]);
    }
    return Object.fromEntries(entries.sort(byKey));
  }
}
