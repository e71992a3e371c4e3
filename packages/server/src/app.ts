import { randomUUID } from 'node:crypto';
import { WebWalletError } from '@webwallet/core';
import { type Ledger, TRANSACTION_TYPES } from '@webwallet/ledger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { checkoutRoutes } from './checkout/routes.js';
import type { NodeConfig } from './config.js';
import { documentRoutes, SignedDocumentSchema } from './documents/routes.js';
import { installErrorHandlers, sendError } from './http/errors.js';
import { installOpenApi } from './http/openapi.js';
import { ErrorResponse } from './http/schemas.js';
import { installValidators } from './http/validation.js';
import type { NodeKey } from './identity/node-key.js';
import { ledgerRoutes } from './ledger/routes.js';
import { LEDGER_SCHEMAS } from './ledger/schemas.js';
import { Health, metaRoutes, NodeInfo } from './meta/routes.js';
import { processorRoutes } from './processor/http/routes.js';
import { PROCESSOR_SCHEMAS } from './processor/http/schemas.js';
import type { Processor } from './processor/processor.js';
import { relayRoutes } from './relay/routes.js';
import { RELAY_SCHEMAS } from './relay/schemas.js';
import type { RelayStore } from './relay/store.js';
import { walletRoutes } from './wallet/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when shutdown begins, so requests that still arrive get a clean 503. */
    lifecycle: { closing: boolean };
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppOptions {
  config: NodeConfig;
  nodeKey: NodeKey;
  ledger: Ledger;
  adminToken: string;
  /** The payment processor: merchant API and hosted checkout. */
  processor?: Processor;
  /** The wallet sync relay's storage (src/relay/routes.ts); no relay routes without it. */
  relay?: RelayStore;
}

/** Transaction body schemas, named for the OpenAPI components (e.g. "ledger.transfer" -> TransferBody). */
function transactionBodySchemas(): object[] {
  return Object.entries(TRANSACTION_TYPES).map(([type, schema]) => {
    const name = type
      .replace(/^ledger\./, '')
      .split('.')
      .map((part) => part[0]!.toUpperCase() + part.slice(1))
      .join('');
    return { ...schema, $id: `${name}Body`, title: type };
  });
}

/**
 * Builds the node's HTTP application (not yet listening). Separate from `startNode` so tests
 * can also drive it in-process.
 */
export async function buildApp({
  config,
  nodeKey,
  ledger,
  adminToken,
  processor,
  relay,
}: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.log_level },
    bodyLimit: config.body_bytes_max,
    requestTimeout: config.request_timeout_ms,
    return503OnClosing: false, // answered below, in the node's error shape
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    // Honour a caller's X-Request-Id when it is sane, so logs correlate across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 256 },
  });

  // Only JSON bodies: Fastify's built-in text/plain parser would let a mislabelled body through.
  app.removeContentTypeParser('text/plain');

  const schemas = [
    ErrorResponse,
    SignedDocumentSchema,
    NodeInfo,
    Health,
    ...LEDGER_SCHEMAS,
    ...transactionBodySchemas(),
    ...(processor ? PROCESSOR_SCHEMAS : []),
    ...(relay ? RELAY_SCHEMAS : []),
  ];
  for (const schema of schemas) app.addSchema(schema);
  installValidators(app, schemas);
  installErrorHandlers(app, config.body_bytes_max);

  app.decorate('lifecycle', { closing: false });
  app.addHook('preClose', async () => {
    app.lifecycle.closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (app.lifecycle.closing) {
      reply.header('connection', 'close');
      return sendError(reply, new WebWalletError('service_unavailable', { reason: 'shutting down' }));
    }
  });

  await installOpenApi(app);
  metaRoutes(app, {
    name: config.name,
    publicKey: nodeKey.publicKey,
    apiBaseUrl: () => config.public_url ?? listeningUrl(app, config),
  });
  documentRoutes(app);
  ledgerRoutes(app, { ledger, adminToken });
  if (processor) {
    const apiBaseUrl = () => config.public_url ?? listeningUrl(app, config);
    const sandboxLedger = processor.options.ledgers.test;
    await app.register(sandboxLedgerRoutes(config.name, sandboxLedger, apiBaseUrl, schemas), {
      prefix: '/sandbox',
    });
    processorRoutes(app, {
      processor,
      adminToken,
      merchant_signup: config.merchant_signup,
      rate_limit_per_s: config.rate_limit_per_s,
    });
    checkoutRoutes(app, processor.checkoutSource());
  }
  if (relay) relayRoutes(app, { store: relay, rate_limit_per_s: config.rate_limit_per_s });
  walletRoutes(app, { public_url: config.public_url });
  return app;
}

/**
 * The sandbox ledger's public API under /sandbox, so a wallet can hold and pay test money exactly
 * as it would live money. Its routes repeat the live ones, so they stay out of /openapi.json; no
 * admin token acts here (a random one nobody holds), so custodial submissions are refused.
 */
function sandboxLedgerRoutes(name: string, ledger: Ledger, apiBaseUrl: () => string, schemas: readonly object[]) {
  return async (sandbox: FastifyInstance) => {
    // An encapsulated context falls back to Fastify's default Ajv; use the node's validators.
    installValidators(sandbox, schemas);
    sandbox.addHook('onRoute', (route) => {
      if (route.schema) route.schema.hide = true;
    });
    metaRoutes(sandbox, {
      name: `${name} sandbox (test money)`,
      publicKey: ledger.nodePublicKey,
      apiBaseUrl: () => `${apiBaseUrl()}/sandbox`,
    });
    ledgerRoutes(sandbox, { ledger, adminToken: randomUUID() });
  };
}

/** http://host:port of the running server, with the port actually bound (port 0 picks one). */
export function listeningUrl(app: FastifyInstance, config: NodeConfig): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}
