import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  bytesEqual,
  decodePrefixed,
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  keyPairFromSecret,
} from '@webwallet/core';

export const NODE_KEY_FILE = 'node-key.json';

/** The node's signing identity: it signs blocks, checkpoints and receipts. */
export interface NodeKey {
  readonly keyPair: KeyPair;
  /** "pub_…" */
  readonly publicKey: string;
  readonly path: string;
  readonly createdAt: string;
}

/** A problem the operator must fix before the node can start; the message says how. */
export class NodeSetupError extends Error {
  override readonly name = 'NodeSetupError';
}

interface KeyFile {
  type: 'webwallet.node_key';
  version: 1;
  algorithm: 'Ed25519';
  public_key: string;
  secret_key: string;
  created_at: string;
}

/** Creates the data directory (0700) if needed. */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * Loads the node key from the data directory, creating it on first start. The file is written
 * to a temporary name, fsynced, and linked into place, so a crash never leaves a half-written key
 * and two processes starting at once cannot both create one.
 */
export async function loadOrCreateNodeKey(dataDir: string): Promise<{ key: NodeKey; created: boolean }> {
  ensureDataDir(dataDir);
  const path = join(dataDir, NODE_KEY_FILE);
  try {
    return { key: await loadNodeKey(path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const keyPair = await generateKeyPair();
  const file: KeyFile = {
    type: 'webwallet.node_key',
    version: 1,
    algorithm: 'Ed25519',
    public_key: encodePrefixed('pub', keyPair.publicKey),
    secret_key: encodePrefixed('sec', keyPair.secretKey),
    created_at: new Date().toISOString(),
  };
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, 0o600); // the umask may have narrowed it further; make it exactly 0600
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created it first: use theirs.
    return { key: await loadNodeKey(path), created: false };
  } finally {
    unlinkSync(temp);
  }
  return { key: await loadNodeKey(path), created: true };
}

export async function loadNodeKey(path: string): Promise<NodeKey> {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new NodeSetupError(
      `The node key ${path} is readable by other users (mode ${mode.toString(8)}). Run: chmod 600 ${path}`,
    );
  }
  let file: KeyFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch {
    throw new NodeSetupError(`The node key ${path} is not valid JSON. Restore it from a backup.`);
  }
  const secret = decodePrefixed('sec', file.secret_key);
  const publicKey = decodePrefixed('pub', file.public_key);
  if (file.type !== 'webwallet.node_key' || file.algorithm !== 'Ed25519' || !secret.ok || !publicKey.ok) {
    throw new NodeSetupError(`The node key ${path} is not a WebWallet Ed25519 node key. Restore it from a backup.`);
  }
  const keyPair = await keyPairFromSecret(secret.value);
  if (!bytesEqual(keyPair.publicKey, publicKey.value)) {
    throw new NodeSetupError(`The node key ${path} is corrupt: its public key does not match its secret key.`);
  }
  return { keyPair, publicKey: file.public_key, path, createdAt: file.created_at };
}
