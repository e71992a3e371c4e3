import { join } from 'node:path';
import { Ledger, type LedgerStorage, SqliteStorage } from '@webwallet/ledger';
import type { FastifyInstance } from 'fastify';
import { buildApp, listeningUrl } from './app.js';
import { type NodeConfig, resolveConfig } from './config.js';
import { loadOrCreateAdminToken } from './identity/admin-token.js';
import { type DataDirLock, lockDataDir } from './identity/data-dir-lock.js';
import { loadOrCreateNodeKey, type NodeKey, NodeSetupError } from './identity/node-key.js';
import { PostgresDb } from './processor/db/postgres.js';
import { migrate } from './processor/db/schema.js';
import type { SqlDb } from './processor/db/sql.js';
import { SqliteDb } from './processor/db/sqlite.js';
import { Processor } from './processor/processor.js';
import { RelayStore } from './relay/store.js';

export const LEDGER_FILE = 'ledger.db';
/** The sandbox (test mode) has its own ledger and its own signing key, so play-money receipts never verify as live ones. */
export const SANDBOX_DIR = 'sandbox';
export const PROCESSOR_FILE = 'processor.db';

/** The ledger's storage: PostgreSQL when a database URL is configured, else SQLite in the data directory. */
export async function openStorage(
  config: NodeConfig,
  options: { readonly?: boolean; sandbox?: boolean } = {},
): Promise<LedgerStorage> {
  if (config.database_url) {
    const { PostgresStorage } = await import('@webwallet/ledger/postgres');
    return PostgresStorage.open({
      url: config.database_url,
      schema: options.sandbox ? `${config.database_schema}_sandbox` : config.database_schema,
      readonly: options.readonly === true,
    });
  }
  const dir = options.sandbox ? join(config.data_dir, SANDBOX_DIR) : config.data_dir;
  return new SqliteStorage({ path: join(dir, LEDGER_FILE), readonly: options.readonly === true });
}

/** The processor's database: SQLite next to the ledger, or a `<schema>_processor` PostgreSQL schema. */
export async function openProcessorDb(config: NodeConfig): Promise<SqlDb> {
  const db = config.database_url
    ? await PostgresDb.open(config.database_url, `${config.database_schema}_processor`)
    : new SqliteDb(join(config.data_dir, PROCESSOR_FILE));
  await migrate(db);
  return db;
}

export interface RunningNode {
  readonly app: FastifyInstance;
  readonly config: NodeConfig;
  readonly nodeKey: NodeKey;
  readonly ledger: Ledger;
  /** The test-mode ledger (play money). */
  readonly sandboxLedger: Ledger;
  readonly processor: Processor;
  /** Base URL the node listens on, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  /** Stops accepting connections, lets in-flight requests finish, closes storage. */
  close(): Promise<void>;
}

/**
 * Starts a node: data directory and node key (created on first start), HTTP server.
 *
 * @example
 * const node = await startNode({ port: 0, data_dir: '/tmp/ww', log_level: 'silent' });
 * await fetch(`${node.url}/healthz`);
 * await node.close();
 */
export async function startNode(overrides: Partial<NodeConfig> = {}): Promise<RunningNode> {
  const config = resolveConfig(overrides);
  const lock = lockDataDir(config.data_dir);
  try {
    return await openNode(config, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function openNode(config: NodeConfig, lock: DataDirLock): Promise<RunningNode> {
  const { key: nodeKey, created } = await loadOrCreateNodeKey(config.data_dir);
  const adminToken = loadOrCreateAdminToken(config.data_dir);
  const ledgerOptions = {
    block_transactions_max: config.block_transactions_max,
    block_interval_ms: config.block_interval_ms,
  };
  const ledger = await Ledger.open({ storage: await openStorage(config), nodeKey, ...ledgerOptions });
  const sandboxDir = join(config.data_dir, SANDBOX_DIR);
  const { key: sandboxKey } = await loadOrCreateNodeKey(sandboxDir);
  const sandboxLedger = await Ledger.open({
    storage: await openStorage(config, { sandbox: true }),
    nodeKey: sandboxKey,
    ...ledgerOptions,
  });
  const db = await openProcessorDb(config);
  let baseUrl = config.public_url ?? `http://${config.host}:${config.port}`;
  // The processor starts before the app exists; its log lines go to the app's logger once it does.
  const logger = {
    warn: (obj: object, msg: string) => console.warn(msg, obj),
    error: (obj: object, msg: string) => console.error(msg, obj),
  };
  const processor = await Processor.open({
    db,
    ledgers: { live: ledger, test: sandboxLedger },
    baseUrl: () => baseUrl,
    monitoring_ms: config.invoice_monitoring_ms,
    webhook_allow_private: config.webhook_allow_private,
    webhook_retry_base_ms: config.webhook_retry_base_ms,
    expiry_sweep_ms: config.expiry_sweep_ms,
    logger: { warn: (obj, msg) => logger.warn(obj, msg), error: (obj, msg) => logger.error(obj, msg) },
  });
  // The sync relay keeps its tables in the processor's database (same engine, same backups).
  const relay = new RelayStore({ db });
  const app = await buildApp({ config, nodeKey, ledger, adminToken, processor, relay });
  logger.warn = (obj: object, msg: string) => app.log.warn(obj, msg);
  logger.error = (obj: object, msg: string) => app.log.error(obj, msg);
  // Storage closes after the HTTP server has let in-flight requests finish.
  app.addHook('onClose', async () => {
    await processor.close();
    await sandboxLedger.close();
    await ledger.close();
    await db.close();
    lock.release();
  });
  if (created) app.log.info({ public_key: nodeKey.publicKey, path: nodeKey.path }, 'created node key');
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new NodeSetupError(
        `Port ${config.port} on ${config.host} is in use. Stop the other process or pass --port.`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new NodeSetupError(`Cannot listen on host ${config.host}: no such local address. Pass --host 127.0.0.1.`);
    }
    if (code === 'EACCES')
      throw new NodeSetupError(`Not allowed to listen on port ${config.port}. Use a port above 1023.`);
    throw error;
  }
  let closed: Promise<void> | undefined;
  const url = listeningUrl(app, config);
  baseUrl = config.public_url ?? url;
  return {
    app,
    config,
    nodeKey,
    ledger,
    sandboxLedger,
    processor,
    url,
    close: () => {
      app.lifecycle.closing = true;
      closed ??= app.close();
      return closed;
    },
  };
}

/**
 * Runs until SIGTERM or SIGINT, then shuts down gracefully: in-flight requests finish, storage
 * closes. A second signal, or a shutdown longer than shutdown_timeout_ms, exits at once.
 */
export function closeOnSignals(node: RunningNode): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        node.app.log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      node.app.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        node.app.log.error({ timeout_ms: node.config.shutdown_timeout_ms }, 'shutdown timed out: exiting');
        process.exit(1);
      }, node.config.shutdown_timeout_ms);
      timer.unref();
      node.close().then(() => {
        clearTimeout(timer);
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
