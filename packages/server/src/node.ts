import { join } from 'node:path';
import { Ledger, type LedgerStorage, SqliteStorage } from '@webwallet/ledger';
import type { FastifyInstance } from 'fastify';
import { buildApp, listeningUrl } from './app.js';
import { type NodeConfig, resolveConfig } from './config.js';
import { loadOrCreateAdminToken } from './identity/admin-token.js';
import { loadOrCreateNodeKey, type NodeKey, NodeSetupError } from './identity/node-key.js';

export const LEDGER_FILE = 'ledger.db';

/** The ledger's storage: PostgreSQL when a database URL is configured, else SQLite in the data directory. */
export async function openStorage(config: NodeConfig, options: { readonly?: boolean } = {}): Promise<LedgerStorage> {
  if (config.database_url) {
    const { PostgresStorage } = await import('@webwallet/ledger/postgres');
    return PostgresStorage.open({
      url: config.database_url,
      schema: config.database_schema,
      readonly: options.readonly === true,
    });
  }
  return new SqliteStorage({ path: join(config.data_dir, LEDGER_FILE), readonly: options.readonly === true });
}

export interface RunningNode {
  readonly app: FastifyInstance;
  readonly config: NodeConfig;
  readonly nodeKey: NodeKey;
  readonly ledger: Ledger;
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
  const { key: nodeKey, created } = await loadOrCreateNodeKey(config.data_dir);
  const adminToken = loadOrCreateAdminToken(config.data_dir);
  const ledger = await Ledger.open({
    storage: await openStorage(config),
    nodeKey,
    block_transactions_max: config.block_transactions_max,
    block_interval_ms: config.block_interval_ms,
  });
  const app = await buildApp({ config, nodeKey, ledger, adminToken });
  // The ledger closes after the HTTP server has let in-flight requests finish.
  app.addHook('onClose', async () => ledger.close());
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
  return {
    app,
    config,
    nodeKey,
    ledger,
    url: listeningUrl(app, config),
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
