import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NodeSetupError } from './secret-file.js';

export const LOCK_FILE = 'node.lock';

export interface DataDirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims the data directory for this process. Two nodes on one directory would both write the
 * same ledger file and break each other's sequencers, so a second one must refuse to start. A
 * lock left by a process that no longer exists (a crash, SIGKILL) is taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => releaseLock(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = holder(path);
    if (pid !== undefined && alive(pid)) {
      throw new NodeSetupError(
        `Another node (process ${pid}) is using the data directory ${dataDir}. Stop it, or give this node its own --data-dir. ` +
          `If no such node runs, delete ${path}.`,
      );
    }
    unlinkSync(path); // stale: its process is gone
  }
  throw new NodeSetupError(`Cannot lock the data directory ${dataDir}: ${path} keeps reappearing.`);
}

function releaseLock(path: string): void {
  if (holder(path) !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
