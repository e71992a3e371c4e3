import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesEqual,
  decodePrefixed,
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  keyPairFromSecret,
} from '@webwallet/core';

import { checkPrivate, createSecretFileOnce, NodeSetupError } from './secret-file.js';

export { NodeSetupError };

export const NODE_KEY_FILE = 'node-key.json';

/** The node's signing identity: it signs blocks, checkpoints and receipts. */
export interface NodeKey {
  readonly keyPair: KeyPair;
  /** "pub_…" */
  readonly publicKey: string;
  readonly path: string;
  readonly createdAt: string;
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

/** Loads the node key from the data directory, creating it (atomically, mode 0600) on first start. */
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
  createSecretFileOnce(path, `${JSON.stringify(file, null, 2)}\n`);
  // Another process may have created it first; either way the file on disk is the key.
  const key = await loadNodeKey(path);
  return { key, created: key.publicKey === file.public_key };
}

export async function loadNodeKey(path: string): Promise<NodeKey> {
  checkPrivate(path, 'node key');
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
