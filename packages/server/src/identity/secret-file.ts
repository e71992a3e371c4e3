import { chmodSync, closeSync, fsyncSync, linkSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';

/** A problem the operator must fix before the node can start; the message says how. */
export class NodeSetupError extends Error {
  override readonly name = 'NodeSetupError';
}

/**
 * Creates a mode-0600 file unless it exists. The contents go to a temporary name, are fsynced,
 * and are linked into place, so a crash never leaves half a secret and two processes starting at
 * once cannot both create one (the loser keeps the winner's file).
 */
export function createSecretFileOnce(path: string, contents: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, 0o600); // the umask may have narrowed it further; make it exactly 0600
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Refuses a secret file that other users can read (throws ENOENT when it is missing). */
export function checkPrivate(path: string, what: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new NodeSetupError(`The ${what} ${path} is readable by other users. Run: chmod 600 ${path}`);
  }
}
