import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import {
  bytesEqual,
  decodePrefixed,
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  keyPairFromSecret,
} from '@webwallet/core';
import { CliError } from './util.js';

export const ACCOUNT_KEY_TYPE = 'webwallet.account_key';

/** A self-custody account's key file, as `webwallet keygen` writes it. */
export interface AccountKeyFile {
  readonly type: typeof ACCOUNT_KEY_TYPE;
  readonly version: 1;
  /** "pub_…": also the account id. */
  readonly public_key: string;
  /** "sec_…": the RFC 8032 seed. */
  readonly secret_key: string;
}

export interface AccountKey {
  readonly publicKey: string;
  readonly keyPair: KeyPair;
  readonly path: string;
}

export async function newAccountKeyFile(): Promise<AccountKeyFile> {
  const keyPair = await generateKeyPair();
  return {
    type: ACCOUNT_KEY_TYPE,
    version: 1,
    public_key: encodePrefixed('pub', keyPair.publicKey),
    secret_key: encodePrefixed('sec', keyPair.secretKey),
  };
}

/** Writes a key file with mode 0600; an existing file is never overwritten. */
export function writeAccountKeyFile(path: string, file: AccountKeyFile): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${path} already exists. Choose another file; keygen never overwrites.`);
    if (code === 'ENOENT') throw new CliError(`Cannot create ${path}: its directory does not exist.`);
    throw new CliError(`Cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    // The umask may have narrowed the mode further; make it exactly 0600.
    chmodSync(path, 0o600);
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
}

/**
 * Reads and checks a key file: readable by its owner only, a WebWallet account key, and a public
 * key that matches the secret key.
 */
export async function readAccountKey(path: string): Promise<AccountKey> {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CliError(`No key file ${path}. Create one with "webwallet keygen --out ${path}".`);
    throw new CliError(`Cannot read the key file ${path}: ${(error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      `The key file ${path} is readable by other users (mode ${mode.toString(8)}). Run: chmod 600 ${path}`,
    );
  }
  let file: Partial<AccountKeyFile>;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as Partial<AccountKeyFile>;
  } catch {
    throw new CliError(`The key file ${path} is not valid JSON.`);
  }
  const secret = decodePrefixed('sec', file?.secret_key);
  const publicKey = decodePrefixed('pub', file?.public_key);
  if (file?.type !== ACCOUNT_KEY_TYPE || file.version !== 1 || !secret.ok || !publicKey.ok) {
    throw new CliError(`The key file ${path} is not a WebWallet account key (made by "webwallet keygen").`);
  }
  const keyPair = await keyPairFromSecret(secret.value);
  if (!bytesEqual(keyPair.publicKey, publicKey.value)) {
    throw new CliError(`The key file ${path} is corrupt: its public key does not match its secret key.`);
  }
  return { publicKey: file.public_key as string, keyPair, path };
}
