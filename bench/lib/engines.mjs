// Fresh storage per engine: a temp data directory (node key, admin token, SQLite file) and, for
// PostgreSQL, a schema of its own that is dropped at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from '@webwallet/ledger';
import { loadOrCreateNodeKey } from '@webwallet/server';
import { suffix } from './util.mjs';

export function postgresUrl() {
  return process.env.WEBWALLET_BENCH_DATABASE_URL || process.env.WEBWALLET_TEST_DATABASE_URL || undefined;
}

/**
 * The URL with `-c search_path=<schema>` in its libpq `options`, for nodes without a
 * database_schema setting: PostgresStorage then uses the connection's current schema.
 */
function withSearchPath(url, schema) {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get('options') ?? '';
  parsed.searchParams.set('options', `${existing} -c search_path=${schema}`.trim());
  return parsed.toString();
}

/**
 * { name, dir, nodeKey, openStorage(), nodeConfig, cleanup() }. The in-process ledger and the
 * node started later on the same data directory share the node key and the data.
 */
export async function prepareEngine(name) {
  const dir = mkdtempSync(join(tmpdir(), 'ww-bench-'));
  const { key: nodeKey } = await loadOrCreateNodeKey(dir);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (name === 'sqlite') {
    return {
      name,
      dir,
      nodeKey,
      openStorage: async () => new SqliteStorage({ path: join(dir, 'ledger.db') }),
      nodeConfig: { data_dir: dir },
      cleanup: async () => removeDir(),
    };
  }
  const url = postgresUrl();
  const { PostgresStorage } = await import('@webwallet/ledger/postgres');
  const schema = `bench_${suffix()}`;
  return {
    name,
    dir,
    nodeKey,
    schema,
    openStorage: () => PostgresStorage.open({ url, schema }),
    // database_schema where the node has that setting; the search_path in the URL otherwise.
    nodeConfig: { data_dir: dir, database_url: withSearchPath(url, schema), database_schema: schema },
    cleanup: async () => {
      try {
        const admin = await PostgresStorage.open({ url, schema, readonly: true });
        await admin.dropSchema();
        await admin.close();
      } finally {
        removeDir();
      }
    },
  };
}
