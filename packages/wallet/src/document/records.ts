import {
  BLOCK_DOCUMENT_TYPE,
  err,
  ok,
  parseDocument,
  type Receipt,
  type Result,
  randomBytes,
  toBase64Url,
  tryCanonicalize,
  utf8,
} from '@webwallet/core';
import { INSTRUMENT_ID, TEXT_LENGTH_MAX } from '../instruments/types.js';
import { checkRecord, httpUrl, invalidField, note, type Rule, text, timestamp } from '../instruments/validate.js';
import { ACCOUNT_INDEX_MAX } from '../keys/recovery.js';

/**
 * The records of the wallet document besides instruments, and their limits. Limits bound what
 * one device writes; a merge of several devices' offline edits may briefly exceed a count limit
 * (a CRDT cannot refuse a merge), after which adding fails until something is removed.
 */
export const ACCOUNTS_MAX = 1_000;
export const INSTRUMENTS_MAX = 10_000;
/** 100,000 receipts of about 2.5 KB each are about 250 MB: more than a phone should sync. */
export const RECEIPTS_MAX = 100_000;
export const CONTACTS_MAX = 10_000;
export const LABELS_MAX = 100_000;
export const SETTINGS_MAX = 256;
/** Settings are small values (a theme, a default account), not storage. */
export const SETTING_JSON_BYTES_MAX = 4_096;
/** A receipt with a 64-step proof is about 6 KB; this leaves room for large transaction bodies. */
export const RECEIPT_JSON_BYTES_MAX = 65_536;
export const NOTE_LENGTH_MAX = 2_000;
/** Label and setting keys. */
export const KEY_LENGTH_MAX = 256;

const ACCOUNT_ID = /^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$/;
const NODE_KEY = /^pub_[A-Za-z0-9_-]{43}$/;
const TRANSACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const PROOF_STEPS_MAX = 64;

/** An account the wallet holds a key for (or is a member of). Never a balance: the ledger has those. */
export interface Account {
  /** "pub_…": a self-custody account, named by its key (a shared m-of-n account is named by one of its keys). */
  readonly id: string;
  /** The node's base URL, e.g. "https://node.example". */
  readonly node: string;
  readonly label?: string;
  /** Which key of the recovery phrase it uses; absent for accounts whose key is elsewhere. */
  readonly index?: number;
  readonly created_at: string;
}

export interface Contact {
  readonly id: string;
  readonly name: string;
  readonly account: string;
  readonly node: string;
}

export interface StoredReceipt {
  /** "<node key>/<transaction id>". */
  readonly key: string;
  readonly receipt: Receipt;
  readonly stored_at: string;
  /** The base URL of the node it came from, to look the transaction up again. */
  readonly node?: string;
  readonly label?: string;
  readonly note?: string;
}

/** For putReceipt: a string sets, null removes, absent keeps what is stored. */
export interface ReceiptMeta {
  /** When first stored; default now. Storing the same receipt again keeps the first time. */
  readonly stored_at?: string;
  /** The node's base URL. */
  readonly node?: string;
  readonly label?: string | null;
  readonly note?: string | null;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const pattern =
  (re: RegExp, what: string) =>
  (value: unknown): string | undefined =>
    typeof value === 'string' && re.test(value) ? undefined : what;

const derivationIndex = (value: unknown): string | undefined =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= ACCOUNT_INDEX_MAX
    ? undefined
    : `an integer from 0 to ${ACCOUNT_INDEX_MAX}`;

const ACCOUNT_RULES: Record<string, Rule> = {
  id: { check: pattern(ACCOUNT_ID, 'a "pub_…" or "acc_…" account id'), required: true },
  node: { check: httpUrl, required: true },
  label: { check: text(TEXT_LENGTH_MAX), required: false },
  index: { check: derivationIndex, required: false },
  created_at: { check: timestamp, required: true },
};

const CONTACT_RULES: Record<string, Rule> = {
  id: { check: pattern(INSTRUMENT_ID, '1 to 64 letters, digits, "_" or "-"'), required: true },
  name: { check: text(TEXT_LENGTH_MAX), required: true },
  account: { check: pattern(ACCOUNT_ID, 'a "pub_…" or "acc_…" account id'), required: true },
  node: { check: httpUrl, required: true },
};

function checked<T>(value: unknown, rules: Record<string, Rule>): Result<T> {
  const problem = checkRecord(value, rules);
  if (problem) return invalidField(problem.field, problem.reason);
  const canonical = tryCanonicalize(value);
  return canonical.ok ? ok(JSON.parse(canonical.value) as T) : invalidField('', 'not plain JSON');
}

/** Checks an account record: `instrument_invalid` with details {field, reason}. Unknown fields (a balance) are refused. */
export function validateAccount(value: unknown): Result<Account> {
  return checked<Account>(value, ACCOUNT_RULES);
}

export function validateContact(value: unknown): Result<Contact> {
  return checked<Contact>(value, CONTACT_RULES);
}

/** A new random contact id: "con_" and 128 random bits. */
export function newContactId(): string {
  return `con_${toBase64Url(randomBytes(16))}`;
}

export const labelKey = text(KEY_LENGTH_MAX);
export const labelText = text(TEXT_LENGTH_MAX);
export const noteText = note(NOTE_LENGTH_MAX);

function receiptInvalid(reason: string): Result<never> {
  return err('receipt_invalid', { reason });
}

/**
 * Checks a receipt's shape and returns its key "<node key>/<transaction id>" and its canonical
 * JSON. The proof itself is checked by core's verifyReceipt against the node keys the user
 * trusts, offline, whenever it is shown.
 */
export function checkReceipt(receipt: unknown): Result<{ key: string; json: string }> {
  const r = receipt as Partial<Receipt> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || r.version !== 1) {
    return receiptInvalid('a receipt is an object with version 1');
  }
  const canonical = tryCanonicalize(r);
  if (!canonical.ok || utf8(canonical.value).length > RECEIPT_JSON_BYTES_MAX) {
    return receiptInvalid(`a receipt is plain JSON of at most ${RECEIPT_JSON_BYTES_MAX} bytes`);
  }
  const document = parseDocument(r.document);
  const block = parseDocument(r.block);
  if (!document.ok || !block.ok || r.block?.type !== BLOCK_DOCUMENT_TYPE) {
    return receiptInvalid('document and block are signed documents; block is a "ledger.block"');
  }
  const node = (r.block.body as { node?: unknown }).node;
  const transaction = (r.document?.body as { id?: unknown } | undefined)?.id;
  if (typeof node !== 'string' || !NODE_KEY.test(node)) return receiptInvalid('block.body.node is the node key');
  if (typeof transaction !== 'string' || !TRANSACTION_ID.test(transaction)) {
    return receiptInvalid('document.body.id is the transaction id');
  }
  const proofOk =
    Array.isArray(r.proof) &&
    r.proof.length <= PROOF_STEPS_MAX &&
    r.proof.every((h) => typeof h === 'string' && HEX32.test(h));
  if (!proofOk || !Number.isSafeInteger(r.index) || (r.index as number) < 0) {
    return receiptInvalid('index is a leaf index and proof a list of hex hashes');
  }
  return ok({ key: `${node}/${transaction}`, json: canonical.value });
}

/** Checks a setting's value: plain JSON of at most SETTING_JSON_BYTES_MAX bytes. */
export function settingProblem(value: unknown): string | undefined {
  if (value === undefined) return 'a JSON value (use removeSetting to delete)';
  const canonical = tryCanonicalize(value);
  if (!canonical.ok) return 'plain JSON';
  return utf8(canonical.value).length > SETTING_JSON_BYTES_MAX
    ? `at most ${SETTING_JSON_BYTES_MAX} bytes of JSON`
    : undefined;
}
