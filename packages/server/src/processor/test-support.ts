import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeConfig } from '../config.js';
import { type RunningNode, startNode } from '../node.js';

export interface Engine {
  readonly name: 'sqlite' | 'postgres';
  readonly database_url?: string;
}

const postgresUrl = process.env.WEBWALLET_TEST_DATABASE_URL;

/** Both engines; PostgreSQL only where .ci/run (or the developer) provides a database. */
export const ENGINES: readonly Engine[] = [
  { name: 'sqlite' },
  ...(postgresUrl ? [{ name: 'postgres' as const, database_url: postgresUrl }] : []),
];

/** Fails in CI, skips elsewhere, when PostgreSQL is missing: CI must never skip it silently. */
export function postgresMissing(): string | undefined {
  if (postgresUrl) return undefined;
  if (process.env.CI) throw new Error('WEBWALLET_TEST_DATABASE_URL must be set in CI');
  return 'WEBWALLET_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it)';
}

export interface TestNode extends RunningNode {
  readonly adminToken: string;
  /** A JSON request with an optional bearer key; returns status, headers and parsed body. */
  call(
    method: string,
    path: string,
    key?: string,
    body?: unknown,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: tests read many response shapes; assertions check them
  ): Promise<{ status: number; headers: Headers; body: any }>;
  stop(): Promise<void>;
}

/** A real node on a free loopback port, on SQLite or on its own PostgreSQL schemas. */
export async function startProcessorNode(engine: Engine, config: Partial<NodeConfig> = {}): Promise<TestNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ww-pp-'));
  const schema = `pp_${Math.random().toString(36).slice(2, 10)}`;
  const node = await startNode({
    port: 0,
    data_dir: dataDir,
    log_level: 'silent',
    block_interval_ms: 100,
    webhook_allow_private: true,
    webhook_retry_base_ms: 50,
    ...(engine.database_url ? { database_url: engine.database_url, database_schema: schema } : {}),
    ...config,
  });
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  return {
    ...node,
    adminToken,
    async call(method, path, key, body, headers = {}) {
      const response = await fetch(node.url + path, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // CSV and HTML stay text
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async stop() {
      await node.close();
      if (engine.database_url) {
        const pg = (await import('pg')).default;
        const client = new pg.Client({ connectionString: engine.database_url });
        await client.connect();
        for (const s of [schema, `${schema}_sandbox`, `${schema}_processor`]) {
          await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        }
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
