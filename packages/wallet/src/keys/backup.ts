import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  bytesEqual,
  canonicalBytes,
  type ErrorDetails,
  err,
  fromBase64Url,
  fromUtf8,
  ok,
  type Result,
  randomBytes,
  toBase64Url,
  unwrap,
  utf8,
  type WebWalletError,
} from '@webwallet/core';
import {
  deriveLockKey,
  KDF_DEFAULT,
  type KdfParams,
  kdfParamsProblem,
  LOCK_SALT_BYTES,
  LOCK_SALT_BYTES_MAX,
  open,
  SEAL_NONCE_BYTES,
  SEAL_TAG_BYTES,
  seal,
} from './lock.js';
import { ACCOUNT_INDEX_MAX, checkRecoveryPhrase, WALLET_ID_PATTERN, walletId, walletSeed } from './recovery.js';

/**
 * The encrypted backup file: a JSON text that restores the wallet on another device with a
 * passphrase. Everything but `data` is a readable header, and the whole header is the AEAD's
 * associated data, so changing any header field makes the file fail to open.
 *
 * `key_check` (16 bytes of HKDF from the Argon2id output) tells a wrong passphrase
 * (passphrase_wrong) from an altered or damaged file (backup_invalid): without it both look like a
 * failed decryption. It makes guessing no cheaper, since each guess still costs one Argon2id run.
 * Altered KDF parameters or salt change the derived key itself, so they show as passphrase_wrong:
 * no file format can tell those from a mistyped passphrase.
 *
 * @example
 * {
 *   "type": "webwallet.backup", "version": 1, "created_at": "2025-01-01T00:00:00.000Z",
 *   "wallet_id": "wal_…", "kdf": { "name": "argon2id", "m_kib": 19456, "t": 2, "p": 1, "salt": "…" },
 *   "cipher": "xchacha20-poly1305", "key_check": "…", "data": "…"
 * }
 */

export const BACKUP_TYPE = 'webwallet.backup';
export const BACKUP_VERSION = 1;
export const BACKUP_CIPHER = 'xchacha20-poly1305';
/** Longest backup text read (characters; the file is ASCII JSON, so also bytes). */
export const BACKUP_TEXT_LENGTH_MAX = 16 * 1024 * 1024;
/** Longest created_at accepted: an ISO 8601 timestamp is 24 characters. */
const CREATED_AT_LENGTH_MAX = 64;
const KEY_CHECK_BYTES = 16;
const KEY_CHECK_INFO = utf8('webwallet:backup-check:v1');
const DATA_KEY_INFO = utf8('webwallet:backup-key:v1');
const HEADER_FIELDS = ['type', 'version', 'created_at', 'wallet_id', 'kdf', 'cipher', 'key_check', 'data'];
const KDF_FIELDS = ['name', 'm_kib', 't', 'p', 'salt'];
const CONTENT_FIELDS = ['phrase', 'document', 'accounts'];

/** What a backup holds: the recovery phrase, and optionally the wallet document and account count. */
export interface BackupContents {
  readonly phrase: string;
  /** The wallet document (instruments, receipts, contacts, settings) as bytes. */
  readonly document?: Uint8Array;
  /** How many accounts (indexes 0 … accounts-1) the wallet uses. */
  readonly accounts?: number;
}

export interface OpenedBackup extends BackupContents {
  readonly wallet_id: string;
}

export interface BackupOptions {
  /** Argon2id parameters; KDF_DEFAULT when absent. Must be within KDF_LIMITS. */
  readonly kdf?: KdfParams;
}

interface BackupHeader {
  readonly type: typeof BACKUP_TYPE;
  readonly version: typeof BACKUP_VERSION;
  readonly created_at: string;
  readonly wallet_id: string;
  readonly kdf: KdfParams & { readonly salt: string };
  readonly cipher: typeof BACKUP_CIPHER;
  readonly key_check: string;
}

interface BackupKeys {
  readonly check: Uint8Array;
  readonly data: Uint8Array;
}

async function backupKeys(passphrase: string, salt: Uint8Array, kdf: KdfParams): Promise<BackupKeys> {
  const master = await deriveLockKey(passphrase, salt, kdf);
  const keys = {
    check: hkdf(sha256, master, undefined, KEY_CHECK_INFO, KEY_CHECK_BYTES),
    data: hkdf(sha256, master, undefined, DATA_KEY_INFO, 32),
  };
  master.fill(0);
  return keys;
}

function headerAad(header: BackupHeader): Uint8Array {
  // RFC 8785 canonical JSON: the same header always gives the same bytes, whatever the key order.
  return canonicalBytes(header);
}

/** An account count covers indexes 0 … ACCOUNT_INDEX_MAX. */
function isAccountCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= ACCOUNT_INDEX_MAX + 1;
}

function checkContents(contents: BackupContents): void {
  if (contents.document !== undefined && !(contents.document instanceof Uint8Array)) {
    throw new TypeError('document must be a Uint8Array');
  }
  if (contents.accounts !== undefined && !isAccountCount(contents.accounts)) {
    throw new RangeError(`accounts must be an integer from 0 to ${ACCOUNT_INDEX_MAX + 1}`);
  }
}

/**
 * Seals the phrase (and document) into a backup file text under a passphrase. Throws on an
 * invalid phrase or out-of-limit parameters (the caller checks the phrase first), and when the
 * document is too large for a backup that openBackup would accept.
 *
 * @example
 * const text = await createBackup({ phrase, accounts: 2 }, 'correct horse battery staple');
 * // save text as "wallet.webwallet-backup.json"
 */
export async function createBackup(
  contents: BackupContents,
  passphrase: string,
  options: BackupOptions = {},
): Promise<string> {
  const phrase = unwrap(checkRecoveryPhrase(contents.phrase));
  checkContents(contents);
  const kdf = options.kdf ?? KDF_DEFAULT;
  const problem = kdfParamsProblem(kdf);
  if (problem) throw new RangeError(problem);
  const salt = randomBytes(LOCK_SALT_BYTES);
  const keys = await backupKeys(passphrase, salt, kdf);
  const header: BackupHeader = {
    type: BACKUP_TYPE,
    version: BACKUP_VERSION,
    created_at: new Date().toISOString(),
    wallet_id: walletId(unwrap(await walletSeed(phrase))),
    kdf: { name: kdf.name, m_kib: kdf.m_kib, t: kdf.t, p: kdf.p, salt: toBase64Url(salt) },
    cipher: BACKUP_CIPHER,
    key_check: toBase64Url(keys.check),
  };
  const plaintext = utf8(
    JSON.stringify({
      phrase,
      ...(contents.document ? { document: toBase64Url(contents.document) } : {}),
      ...(contents.accounts !== undefined ? { accounts: contents.accounts } : {}),
    }),
  );
  const data = seal(keys.data, plaintext, headerAad(header));
  const text = `${JSON.stringify({ ...header, data: toBase64Url(data) }, null, 2)}\n`;
  if (text.length > BACKUP_TEXT_LENGTH_MAX) {
    throw new RangeError(`the backup would exceed ${BACKUP_TEXT_LENGTH_MAX} characters: the document is too large`);
  }
  return text;
}

function invalid(reason: string, details: ErrorDetails = {}): { ok: false; error: WebWalletError } {
  return err('backup_invalid', { reason, ...details });
}

function unknownField(value: Record<string, unknown>, known: readonly string[]): string | undefined {
  return Object.keys(value).find((key) => !known.includes(key));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeField(value: unknown, field: string): Result<Uint8Array> {
  const decoded = typeof value === 'string' ? fromBase64Url(value) : undefined;
  return decoded?.ok ? decoded : invalid('bad base64url', { field });
}

interface ParsedBackup {
  readonly header: BackupHeader;
  readonly salt: Uint8Array;
  readonly keyCheck: Uint8Array;
  readonly data: Uint8Array;
}

function parseKdf(value: unknown): Result<{ kdf: BackupHeader['kdf']; salt: Uint8Array }> {
  if (!isObject(value)) return invalid('kdf params out of limits', { problem: 'kdf must be an object' });
  const extra = unknownField(value, KDF_FIELDS);
  if (extra !== undefined) return invalid('unknown field', { field: `kdf.${extra}` });
  const problem = kdfParamsProblem(value);
  if (problem) return invalid('kdf params out of limits', { problem });
  const salt = decodeField(value.salt, 'kdf.salt');
  if (!salt.ok) return salt;
  if (salt.value.length < LOCK_SALT_BYTES || salt.value.length > LOCK_SALT_BYTES_MAX) {
    return invalid('kdf params out of limits', {
      problem: `kdf.salt must be ${LOCK_SALT_BYTES} to ${LOCK_SALT_BYTES_MAX} bytes`,
    });
  }
  const { name, m_kib, t, p } = value as unknown as KdfParams;
  return ok({ kdf: { name, m_kib, t, p, salt: value.salt as string }, salt: salt.value });
}

/** Checks the file's shape and limits: everything that can be checked without the passphrase. */
function parseBackup(text: string): Result<ParsedBackup> {
  if (text.length > BACKUP_TEXT_LENGTH_MAX) {
    return invalid('file too large', { length: text.length, length_max: BACKUP_TEXT_LENGTH_MAX });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('not JSON');
  }
  if (!isObject(value)) return invalid('not a JSON object');
  if (value.type !== BACKUP_TYPE) return invalid('wrong type', { type: value.type, expected: BACKUP_TYPE });
  if (value.version !== BACKUP_VERSION) return invalid('unsupported version', { version: value.version });
  const extra = unknownField(value, HEADER_FIELDS);
  if (extra !== undefined) return invalid('unknown field', { field: extra });
  const { created_at, wallet_id, cipher } = value;
  if (typeof created_at !== 'string' || created_at.length > CREATED_AT_LENGTH_MAX) return invalid('bad created_at');
  if (typeof wallet_id !== 'string' || !WALLET_ID_PATTERN.test(wallet_id)) return invalid('bad wallet_id');
  if (cipher !== BACKUP_CIPHER) return invalid('unsupported cipher', { cipher });
  const kdf = parseKdf(value.kdf);
  if (!kdf.ok) return kdf;
  const keyCheck = decodeField(value.key_check, 'key_check');
  if (!keyCheck.ok) return keyCheck;
  if (keyCheck.value.length !== KEY_CHECK_BYTES) return invalid('bad key_check');
  const data = decodeField(value.data, 'data');
  if (!data.ok) return data;
  if (data.value.length < SEAL_NONCE_BYTES + SEAL_TAG_BYTES) return invalid('data too short');
  const header: BackupHeader = {
    type: BACKUP_TYPE,
    version: BACKUP_VERSION,
    created_at,
    wallet_id,
    kdf: kdf.value.kdf,
    cipher: BACKUP_CIPHER,
    key_check: value.key_check as string,
  };
  return ok({ header, salt: kdf.value.salt, keyCheck: keyCheck.value, data: data.value });
}

/** Reads the decrypted contents; a bad shape here means the writer was broken, not an attacker. */
async function parseContents(plaintext: Uint8Array, walletIdExpected: string): Promise<Result<OpenedBackup>> {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(plaintext));
  } catch {
    return invalid('contents not JSON');
  }
  if (!isObject(value) || unknownField(value, CONTENT_FIELDS) !== undefined) return invalid('contents malformed');
  const { phrase, accounts } = value;
  if (typeof phrase !== 'string') return invalid('contents malformed');
  const seed = await walletSeed(phrase);
  if (!seed.ok) return invalid('recovery phrase invalid', { problem: seed.error.details.reason });
  if (walletId(seed.value) !== walletIdExpected) return invalid('wallet_id does not match the recovery phrase');
  if (accounts !== undefined && !isAccountCount(accounts)) {
    return invalid('contents malformed', { field: 'accounts' });
  }
  let document: Uint8Array | undefined;
  if (value.document !== undefined) {
    const decoded = decodeField(value.document, 'document');
    if (!decoded.ok) return decoded;
    document = decoded.value;
  }
  return ok({
    phrase: unwrap(checkRecoveryPhrase(phrase)),
    wallet_id: walletIdExpected,
    ...(document ? { document } : {}),
    ...(accounts !== undefined ? { accounts } : {}),
  });
}

/**
 * Opens a backup file text. backup_invalid (details.reason) when the file is not a backup, is
 * damaged or altered, or asks for KDF work beyond KDF_LIMITS (checked before the KDF runs);
 * passphrase_wrong when the passphrase does not open it.
 *
 * @example
 * const opened = await openBackup(text, passphrase);
 * if (opened.ok) restore(opened.value.phrase, opened.value.document);
 */
export async function openBackup(text: string, passphrase: string): Promise<Result<OpenedBackup>> {
  if (typeof text !== 'string') throw new TypeError('the backup must be text');
  const parsed = parseBackup(text);
  if (!parsed.ok) return parsed;
  const { header, salt, keyCheck, data } = parsed.value;
  const keys = await backupKeys(passphrase, salt, header.kdf);
  if (!bytesEqual(keys.check, keyCheck)) return err('passphrase_wrong');
  const plaintext = open(keys.data, data, headerAad(header));
  if (!plaintext.ok) return invalid('altered or damaged: the header or data does not authenticate');
  return parseContents(plaintext.value, header.wallet_id);
}
