import { WebWalletError } from '@webwallet/core';
import type { Ledger } from '@webwallet/ledger';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import { adminAuthorization } from '../http/auth.js';
import { sendError } from '../http/errors.js';
import { BODY_ERRORS, errorResponses } from '../http/schemas.js';
import {
  AccountResponse,
  ConsistencyQuery,
  ConsistencyResponse,
  HeightParam,
  IdParam,
  InclusionQuery,
  InclusionResponse,
  PAGE_SIZE_DEFAULT,
  PageQuery,
  pageOf,
  SubmitRequest,
  SubmitResponse,
  TransactionQuery,
} from './schemas.js';
import { SealWaiters } from './seal-waiters.js';

export interface LedgerRouteOptions {
  readonly ledger: Ledger;
  /** Bearer token that makes a submission node-authorized (custodial accounts). */
  readonly adminToken: string;
}

function encodeCursor(after: number | string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeCursor(
  cursor: string | undefined,
  kind: 'number' | 'string',
): number | string | undefined | WebWalletError {
  if (cursor === undefined) return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after: unknown };
    if (typeof after === kind) return after as number | string;
  } catch {
    // fall through: not one of ours
  }
  return new WebWalletError('cursor_invalid', { cursor: cursor.slice(0, 64) });
}

const tags = ['ledger'];

export function ledgerRoutes(app: FastifyInstance, { ledger, adminToken }: LedgerRouteOptions): void {
  const waiters = new SealWaiters(ledger);
  // Held lookups are answered before the server waits for in-flight requests to finish.
  app.addHook('preClose', async () => waiters.close());

  app.post(
    '/v1/transactions',
    {
      schema: {
        operationId: 'submitTransactions',
        tags,
        summary: 'Submit signed transactions',
        description:
          'Applies each document in order and answers once every accepted one is durable. Each document gets its own result; ' +
          'one bad document never affects the others unless `atomic` is set. Transaction types and their bodies are listed ' +
          'under components (AccountCreateBody, TransferBody, …). With `Authorization: Bearer <admin token>` the request may ' +
          'act for custodial ("acc_…") accounts without signatures.',
        body: SubmitRequest,
        response: { 200: SubmitResponse, ...errorResponses(...BODY_ERRORS, 401) },
      },
    },
    async (request, reply) => {
      const authorized = adminAuthorization(request, adminToken);
      if (authorized === false)
        return sendError(reply, new WebWalletError('unauthenticated', { reason: 'wrong admin token' }));
      const { documents, atomic } = request.body as Static<typeof SubmitRequest>;
      const results = await ledger.submit(documents, { atomic: atomic === true, nodeAuthorized: authorized === true });
      return { results };
    },
  );

  app.get(
    '/v1/transactions/:id',
    {
      schema: {
        operationId: 'getTransaction',
        tags,
        summary: 'A transaction, with its receipt once sealed',
        description:
          'With `wait_ms`, a transaction not yet in a signed block is answered when a block seals it (receipt ' +
          'included) or when the wait ends, whichever comes first: a wallet learns of its receipt as the block is ' +
          'written instead of polling. An unknown id is answered at once (404).',
        params: IdParam,
        querystring: TransactionQuery,
        response: { 200: { $ref: 'Transaction#' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof IdParam>;
      const { wait_ms = 0 } = request.query as Static<typeof TransactionQuery>;
      const view = await ledger.transaction(id);
      if (!view) return sendError(reply, new WebWalletError('transaction_not_found', { id }));
      if (view.receipt !== null || wait_ms === 0) return view;
      const sealed = await waiters.wait(view.seq, wait_ms, clientGone(reply));
      return sealed ? ((await ledger.transaction(id)) ?? view) : view;
    },
  );

  app.get(
    '/v1/accounts/:id',
    {
      schema: {
        operationId: 'getAccount',
        tags,
        summary: 'An account: keys, balances per currency, holds, trust lines',
        params: IdParam,
        response: { 200: AccountResponse, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof IdParam>;
      return (await ledger.account(id)) ?? sendError(reply, new WebWalletError('account_not_found', { account: id }));
    },
  );

  app.get(
    '/v1/accounts/:id/transactions',
    {
      schema: {
        operationId: 'listAccountTransactions',
        tags,
        summary: "An account's transactions, newest first",
        params: IdParam,
        querystring: PageQuery,
        response: { 200: pageOf({ $id: 'Transaction' }), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof IdParam>;
      const { cursor, limit = PAGE_SIZE_DEFAULT } = request.query as Static<typeof PageQuery>;
      const after = decodeCursor(cursor, 'number');
      if (after instanceof WebWalletError) return sendError(reply, after);
      if (!(await ledger.account(id)))
        return sendError(reply, new WebWalletError('account_not_found', { account: id }));
      const items = await ledger.accountTransactions(id, { after, limit });
      const last = items.at(-1);
      return { items, next_cursor: items.length === limit && last ? encodeCursor(last.seq) : null };
    },
  );

  app.get(
    '/v1/currencies',
    {
      schema: {
        operationId: 'listCurrencies',
        tags,
        summary: 'Currencies issued on this ledger, by code',
        querystring: PageQuery,
        response: { 200: pageOf({ $id: 'Currency' }), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { cursor, limit = PAGE_SIZE_DEFAULT } = request.query as Static<typeof PageQuery>;
      const after = decodeCursor(cursor, 'string');
      if (after instanceof WebWalletError) return sendError(reply, after);
      const items = await ledger.currencies({ after, limit });
      const last = items.at(-1);
      return { items, next_cursor: items.length === limit && last ? encodeCursor(last.code) : null };
    },
  );

  const blockSchema = { 200: { $ref: 'Block#' }, ...errorResponses(400, 404) };
  app.get(
    '/v1/blocks/latest',
    { schema: { operationId: 'getLatestBlock', tags, summary: 'The latest signed checkpoint', response: blockSchema } },
    async (_request, reply) =>
      (await ledger.latestBlock()) ?? sendError(reply, new WebWalletError('block_not_found', { height: 0 })),
  );
  app.get(
    '/v1/blocks/:height',
    {
      schema: {
        operationId: 'getBlock',
        tags,
        summary: 'A signed block by height',
        params: HeightParam,
        response: blockSchema,
      },
    },
    async (request, reply) => {
      const { height } = request.params as Static<typeof HeightParam>;
      return (await ledger.block(height)) ?? sendError(reply, new WebWalletError('block_not_found', { height }));
    },
  );

  app.get(
    '/v1/proofs/inclusion',
    {
      schema: {
        operationId: 'getInclusionProof',
        tags,
        summary: 'RFC 9162 inclusion proof of a transaction in a sealed tree',
        querystring: InclusionQuery,
        response: { 200: InclusionResponse, ...errorResponses(400, 404, 422) },
      },
    },
    async (request, reply) => {
      const { transaction, tree_size } = request.query as Static<typeof InclusionQuery>;
      return answer(reply, await ledger.inclusionProof(transaction, tree_size));
    },
  );
  app.get(
    '/v1/proofs/consistency',
    {
      schema: {
        operationId: 'getConsistencyProof',
        tags,
        summary: 'RFC 9162 consistency proof between two sealed trees',
        querystring: ConsistencyQuery,
        response: { 200: ConsistencyResponse, ...errorResponses(400, 422) },
      },
    },
    async (request, reply) => {
      const { from, to } = request.query as Static<typeof ConsistencyQuery>;
      return answer(reply, await ledger.consistencyProof(from, to));
    },
  );
}

/** Aborts when the client closes the connection before the answer is sent. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}

function answer<T>(reply: FastifyReply, value: T | WebWalletError): T | FastifyReply {
  return value instanceof WebWalletError ? sendError(reply, value) : value;
}
