import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir } from './node-key.js';
import { checkPrivate, createSecretFileOnce, NodeSetupError } from './secret-file.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The operator's bearer token: requests carrying it may act for custodial accounts. Created with
 * the data directory (mode 0600), like the node key, and never logged.
 */
export function loadOrCreateAdminToken(dataDir: string): string {
  ensureDataDir(dataDir);
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    return readAdminToken(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  createSecretFileOnce(path, `wwadmin_${randomBytes(32).toString('base64url')}\n`);
  return readAdminToken(path);
}

export function readAdminToken(path: string): string {
  checkPrivate(path, 'admin token');
  const token = readFileSync(path, 'utf8').trim();
  if (!/^wwadmin_[A-Za-z0-9_-]{43}$/.test(token))
    throw new NodeSetupError(`The admin token ${path} is malformed. Delete it to get a new one.`);
  return token;
}
