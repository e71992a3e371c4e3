import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir, NodeSetupError } from './node-key.js';

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
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `wwadmin_${randomBytes(32).toString('base64url')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return readAdminToken(path);
}

export function readAdminToken(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new NodeSetupError(`The admin token ${path} is readable by other users. Run: chmod 600 ${path}`);
  const token = readFileSync(path, 'utf8').trim();
  if (!/^wwadmin_[A-Za-z0-9_-]{43}$/.test(token))
    throw new NodeSetupError(`The admin token ${path} is malformed. Delete it to get a new one.`);
  return token;
}
