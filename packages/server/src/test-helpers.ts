import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES } from '@webwallet/core';
import { type RunningNode, startNode } from './node.js';

/**
 * A real node on a free loopback port with its own temporary data directory. `stop()` closes it,
 * drops its PostgreSQL schema when it ran on one (`database_url` + `database_schema`), and
 * removes the directory.
 */
export async function startTestNode(
  overrides: Parameters<typeof startNode>[0] = {},
): Promise<RunningNode & { dataDir: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ww-test-'));
  const node = await startNode({ port: 0, data_dir: dataDir, log_level: 'silent', ...overrides });
  return {
    ...node,
    dataDir,
    stop: async () => {
      await node.close();
      if (overrides.database_url && overrides.database_schema) {
        const { PostgresStorage } = await import('@webwallet/ledger/postgres');
        const storage = await PostgresStorage.open({
          url: overrides.database_url,
          schema: overrides.database_schema,
          readonly: true,
        });
        await storage.dropSchema();
        await storage.close();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Asserts the one error shape and returns the error object. */
export function assertErrorShape(
  body: unknown,
  code?: string,
): { code: string; message: string; details: Record<string, unknown> } {
  assert.equal(typeof body, 'object');
  const { error } = body as { error: { code: string; message: string; details: Record<string, unknown> } };
  assert.deepEqual(Object.keys(body as object), ['error']);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'details', 'message']);
  assert.ok(ERROR_CODES.includes(error.code as never), `unknown code ${error.code}`);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 10);
  assert.equal(typeof error.details, 'object');
  if (code) assert.equal(error.code, code, JSON.stringify(body));
  return error;
}
