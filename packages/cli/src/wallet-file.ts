import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { encodePrefixed, fromBase64Url, type KeyPair, randomBytes, toBase64Url } from '@webwallet/core';
import {
  accountKeyPair,
  checkRecoveryPhrase,
  createBackup,
  deriveLockKey,
  KDF_DEFAULT,
  LOCK_SALT_BYTES,
  openBackup,
  openSealed,
  seal,
  WalletDocument,
  walletId,
  walletSeed,
} from '@webwallet/wallet';
import { CliError } from './util.js';

/**
 * The CLI's wallet on disk: one file, `wallet.json`, mode 0600. Public facts (wallet id, node,
 * account ids) are readable without the passphrase, so `wallet balance` needs none; the recovery
 * phrase and the wallet document (receipts, instruments, contacts) are sealed in an encrypted
 * backup (argon2id + XChaCha20-Poly1305), the same format `wallet backup` exports.
 */
export const WALLET_FILE = 'wallet.json';
export const WALLET_FILE_TYPE = 'webwallet.wallet';
export const PASSPHRASE_LENGTH_MIN = 8;

export interface WalletAccount {
  readonly index: number;
  readonly id: string;
}

export interface WalletFile {
  readonly type: typeof WALLET_FILE_TYPE;
  readonly version: 1;
  readonly wallet_id: string;
  readonly node: string;
  /** The node's public key when the wallet was made: receipts are verified against it. */
  readonly node_key: string;
  readonly accounts: readonly WalletAccount[];
  /** The encrypted backup: phrase + document. */
  readonly backup: unknown;
  /**
   * This device's sync state (device keys, epoch keys, cursor), sealed with the passphrase on its
   * own: it belongs to this device only, so it is never in a backup or in the synced document.
   */
  readonly sync?: SealedJson;
}

/** JSON sealed under an argon2id key of the passphrase: salt and data, base64url. */
export interface SealedJson {
  readonly salt: string;
  readonly data: string;
}

const SYNC_STATE_AAD = new TextEncoder().encode('webwallet:cli-sync-state:v1');

export async function sealJson(value: unknown, passphrase: string): Promise<SealedJson> {
  const salt = randomBytes(LOCK_SALT_BYTES);
  const key = await deriveLockKey(passphrase, salt, KDF_DEFAULT);
  const data = seal(key, new TextEncoder().encode(JSON.stringify(value)), SYNC_STATE_AAD);
  return { salt: toBase64Url(salt), data: toBase64Url(data) };
}

export async function openSealedJson(sealed: SealedJson, passphrase: string): Promise<unknown> {
  const salt = fromBase64Url(sealed.salt);
  const data = fromBase64Url(sealed.data);
  if (!salt.ok || !data.ok) throw new CliError("The wallet file's sync state is damaged.");
  const opened = openSealed(await deriveLockKey(passphrase, salt.value, KDF_DEFAULT), data.value, SYNC_STATE_AAD);
  if (!opened.ok) throw new CliError(`${opened.error.code}: ${opened.error.message}`);
  return JSON.parse(new TextDecoder().decode(opened.value)) as unknown;
}

/** An open wallet: secrets in memory for the length of one command. */
export interface OpenWallet {
  readonly dir: string;
  readonly file: WalletFile;
  readonly phrase: string;
  readonly seed: Uint8Array;
  readonly document: WalletDocument;
}

export function defaultWalletDir(): string {
  return process.env.WEBWALLET_WALLET_DIR ?? join(homedir(), '.webwallet');
}

/** The passphrase: WEBWALLET_PASSPHRASE, or the first line of --passphrase-file. */
export function readPassphrase(options: { passphraseFile?: string }, creating = false): string {
  let passphrase = process.env.WEBWALLET_PASSPHRASE;
  if (options.passphraseFile !== undefined) {
    try {
      passphrase = readFileSync(options.passphraseFile, 'utf8').split(/\r?\n/)[0];
    } catch (error) {
      throw new CliError(`Cannot read ${options.passphraseFile}: ${(error as Error).message}`);
    }
  }
  if (passphrase === undefined || passphrase === '') {
    throw new CliError('The wallet needs its passphrase.', {
      hint: 'Set WEBWALLET_PASSPHRASE, or pass --passphrase-file FILE (its first line).',
    });
  }
  if (creating && [...passphrase].length < PASSPHRASE_LENGTH_MIN) {
    throw new CliError(`Choose a passphrase of at least ${PASSPHRASE_LENGTH_MIN} characters.`);
  }
  return passphrase;
}

export function readWalletFile(dir: string): WalletFile {
  const path = join(dir, WALLET_FILE);
  let value: Partial<WalletFile>;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as Partial<WalletFile>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`There is no wallet in ${dir}.`, {
        hint: 'Create one with "webwallet wallet create", or restore one with "webwallet wallet import".',
      });
    }
    throw new CliError(`${path} is not a wallet file: ${(error as Error).message}`);
  }
  if (value.type !== WALLET_FILE_TYPE || value.version !== 1 || !Array.isArray(value.accounts)) {
    throw new CliError(`${path} is not a version 1 WebWallet wallet file.`);
  }
  return value as WalletFile;
}

/** Decrypts the wallet: the phrase, the seed and the document. */
export async function openWallet(dir: string, passphrase: string): Promise<OpenWallet> {
  const file = readWalletFile(dir);
  const opened = await openBackup(JSON.stringify(file.backup), passphrase);
  if (!opened.ok) throw new CliError(`${opened.error.code}: ${opened.error.message}`);
  const seed = await seedOf(opened.value.phrase);
  const document = loadDocument(opened.value.document);
  return { dir, file, phrase: opened.value.phrase, seed, document };
}

/** The wallet document from its saved state; a damaged state is an error, never silently emptied. */
export function loadDocument(state: Uint8Array | undefined): WalletDocument {
  if (state === undefined) return WalletDocument.create();
  const loaded = WalletDocument.load(state);
  if (!loaded.ok) throw new CliError(`The wallet document is damaged: ${loaded.error.message}`);
  return loaded.value;
}

export async function seedOf(phrase: string): Promise<Uint8Array> {
  const checked = checkRecoveryPhrase(phrase);
  if (!checked.ok) throw new CliError(`${checked.error.code}: ${checked.error.message}`);
  const seed = await walletSeed(checked.value);
  if (!seed.ok) throw new CliError(`${seed.error.code}: ${seed.error.message}`);
  return seed.value;
}

export async function accountKeys(seed: Uint8Array, index: number): Promise<{ id: string; keyPair: KeyPair }> {
  const keyPair = await accountKeyPair(seed, index);
  return { id: encodePrefixed('pub', keyPair.publicKey), keyPair };
}

/**
 * Seals the phrase and the document again and replaces the file atomically (write a temporary
 * file, fsync, rename): a crash leaves the old wallet or the new one, never half of each.
 */
export async function saveWallet(
  dir: string,
  facts: { node: string; node_key: string; accounts: readonly WalletAccount[]; sync?: SealedJson | undefined },
  secrets: { phrase: string; seed: Uint8Array; document: WalletDocument },
  passphrase: string,
): Promise<WalletFile> {
  const backup = await createBackup(
    { phrase: secrets.phrase, document: secrets.document.encodeState(), accounts: facts.accounts.length },
    passphrase,
  );
  const file: WalletFile = {
    type: WALLET_FILE_TYPE,
    version: 1,
    wallet_id: walletId(secrets.seed),
    node: facts.node,
    node_key: facts.node_key,
    accounts: facts.accounts,
    backup: JSON.parse(backup) as unknown,
    ...(facts.sync === undefined ? {} : { sync: facts.sync }),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, WALLET_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return file;
}
