import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { encodePrefixed, generateKeyPair, type KeyPair } from '@webwallet/core';
import { Ledger, type LedgerOptions } from './ledger.js';
import { SqliteStorage } from './storage/sqlite.js';
import type { LedgerStorage } from './storage/storage.js';

/** A storage engine under test: creates fresh storage and can reopen the same data. */
export interface Engine {
  readonly name: 'sqlite' | 'postgres';
  /** Why the engine cannot run here, if it cannot. */
  readonly unavailable?: string;
  create(): Promise<EngineInstance>;
}

export interface EngineInstance {
  readonly storage: LedgerStorage;
  reopen(): Promise<LedgerStorage>;
  cleanup(): Promise<void>;
}

const sqlite: Engine = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'ww-ledger-'));
    const path = join(dir, 'ledger.db');
    return {
      storage: new SqliteStorage({ path }),
      reopen: async () => new SqliteStorage({ path }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;

const postgres: Engine = {
  name: 'postgres',
  ...(postgresUrl
    ? {}
    : { unavailable: 'WEBWALLET_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it)' }),
  async create() {
    const { PostgresStorage } = await import('./storage/postgres.js');
    const schema = `test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const open = () => PostgresStorage.open({ url: postgresUrl!, schema });
    const first = await open();
    return {
      storage: first,
      reopen: open,
      cleanup: async () => {
        const admin = await PostgresStorage.open({ url: postgresUrl!, schema, readonly: true });
        await admin.dropSchema();
        await admin.close();
      },
    };
  },
};

/** Every engine; the same suite runs against each. */
export const ENGINES: readonly Engine[] = [sqlite, postgres];

/** Skips (developer machine) or fails (CI) a test whose engine is unavailable. */
export function requireEngine(t: TestContext, engine: Engine): boolean {
  if (!engine.unavailable) return true;
  if (process.env.CI) throw new Error(`${engine.name} engine required in CI: ${engine.unavailable}`);
  t.skip(engine.unavailable);
  return false;
}

export interface TestNodeKey {
  readonly publicKey: string;
  readonly keyPair: KeyPair;
}

export async function newNodeKey(): Promise<TestNodeKey> {
  const keyPair = await generateKeyPair();
  return { keyPair, publicKey: encodePrefixed('pub', keyPair.publicKey) };
}

/** A clock tests move by hand. */
export function manualClock(start = Date.now()): { now: () => number; advance(ms: number): void; iso(): string } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    iso: () => new Date(now).toISOString(),
  };
}

export async function openLedger(
  storage: LedgerStorage,
  nodeKey: TestNodeKey,
  options: Partial<LedgerOptions> = {},
): Promise<Ledger> {
  return Ledger.open({
    storage,
    nodeKey,
    assert_invariants: true,
    verifier_threads: 1,
    block_interval_ms: 50,
    ...options,
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
