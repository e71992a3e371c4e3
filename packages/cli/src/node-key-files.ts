import { readFileSync } from 'node:fs';
import { decodePrefixed } from '@webwallet/core';
import { CliError } from './util.js';

/** Reads a text file, with a plain-language error for a missing or unreadable one. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `There is no file ${path} (expected ${what}).`
        : `Cannot read ${path}: ${(error as Error).message}`,
    );
  }
}

export function readJsonFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not JSON; expected ${what}.`);
  }
}

/** The "public_key" of a node key file: `webwallet keys show --json` or /.well-known/webwallet. */
export function nodeKeyFromFile(path: string): string {
  const key = (readJsonFile(path, 'a node key') as { public_key?: unknown } | null)?.public_key;
  if (typeof key !== 'string') {
    throw new CliError(
      `${path} has no "public_key". Use the output of "webwallet keys show --json" or of /.well-known/webwallet.`,
    );
  }
  return key;
}

/** Throws unless every key is a node public key. */
export function checkNodeKeys(keys: readonly string[]): void {
  for (const key of keys) {
    if (!decodePrefixed('pub', key).ok) {
      throw new CliError(`"${key}" is not a node public key ("pub_…", 43 characters).`);
    }
  }
}
