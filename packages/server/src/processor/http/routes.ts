import { WebWalletError } from '@webwallet/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { adminAuthorization } from '../../http/auth.js';
import { sendError } from '../../http/errors.js';
import { BODY_ERRORS, errorResponses } from '../../http/schemas.js';
import { PAGE_SIZE_DEFAULT } from '../../ledger/schemas.js';
import { getEvent, listEvents } from '../events.js';
import type { CreateInvoiceInput } from '../invoices.js';
import type { InvoiceStatus, Scope } from '../model.js';
import type { Processor } from '../processor.js';
import { invoicesCsv, paymentsCsv } from '../reports.js';
import { authenticate, idempotency, RateLimiter, storeIdempotentResponse } from './guard.js';
import * as S from './schemas.js';

export interface ProcessorRouteOptions {
  readonly processor: Processor;
  readonly adminToken: string;
  /** `open`: anyone may sign up over HTTP; `admin`: only with the admin token. */
  readonly merchant_signup: 'open' | 'admin';
  readonly rate_limit_per_s: number;
}

/** Sends a value, or the error it is. */
function answer(reply: FastifyReply, value: unknown, status = 200) {
  if (value instanceof WebWalletError) return sendError(reply, value);
  return reply.code(status).send(value);
}

function key(request: FastifyRequest) {
  return request.apiKey!;
}

const AUTH_ERRORS = [401, 403, 429];

/** The merchant API (docs/processor.md). */
export function processorRoutes(app: FastifyInstance, options: ProcessorRouteOptions): void {
  const { processor } = options;
  const db = processor.options.db;

  app.post(
    '/v1/merchants',
    {
      schema: {
        operationId: 'createMerchant',
        tags: ['merchants'],
        summary: 'Sign up a merchant: a store, its ledger accounts and one live and one test key',
        description:
          'Needs the admin token unless the node runs with merchant_signup=open. The keys are shown only here.',
        body: S.CreateMerchant,
        response: { 201: { type: 'object', additionalProperties: true }, ...errorResponses(...BODY_ERRORS, 403) },
      },
    },
    async (request, reply) => {
      if (options.merchant_signup !== 'open' && adminAuthorization(request, options.adminToken) !== true) {
        return sendError(reply, new WebWalletError('signup_closed', {}));
      }
      const { name } = request.body as Static<typeof S.CreateMerchant>;
      return reply.code(201).send(await processor.createMerchant(name));
    },
  );

  app.register(async (api) => {
    api.addHook('onRequest', authenticate(processor.merchants, new RateLimiter(options.rate_limit_per_s)));
    api.addHook('preHandler', idempotency(db));
    api.addHook('onSend', storeIdempotentResponse(db));
    const mode = (request: FastifyRequest) => processor.modes[key(request).mode];
    const store = (request: FastifyRequest) => key(request).store_id;
    const route = (operationId: string, tag: string, summary: string, extra: Record<string, unknown> = {}) => ({
      operationId,
      tags: [tag],
      summary,
      security: [{ apiKey: [] }],
      ...extra,
    });

    // --- invoices -----------------------------------------------------------------------------
    api.post(
      '/v1/invoices',
      {
        config: { scope: 'invoices:write' },
        schema: route('createInvoice', 'invoices', 'Create an invoice', {
          body: S.CreateInvoice,
          response: { 201: { $ref: 'Invoice#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 409, 422) },
        }),
      },
      async (request, reply) =>
        answer(reply, await mode(request).invoices.create(store(request), request.body as CreateInvoiceInput), 201),
    );
    api.get(
      '/v1/invoices/:id',
      {
        config: { scope: 'invoices:read' },
        schema: route('getInvoice', 'invoices', 'An invoice with its payments and their receipts', {
          params: S.IdParam,
          response: { 200: { $ref: 'Invoice#' }, ...errorResponses(...AUTH_ERRORS, 404) },
        }),
      },
      async (request, reply) =>
        answer(reply, await mode(request).invoices.get(store(request), (request.params as { id: string }).id)),
    );
    api.get(
      '/v1/invoices',
      {
        config: { scope: 'invoices:read' },
        schema: route('listInvoices', 'invoices', 'Invoices, newest first', {
          querystring: S.ListInvoices,
          response: { 200: S.pageOfRef('Invoice'), ...errorResponses(400, ...AUTH_ERRORS) },
        }),
      },
      async (request) => {
        const query = request.query as Static<typeof S.ListInvoices>;
        return mode(request).invoices.list(store(request), {
          ...query,
          status: query.status as InvoiceStatus | undefined,
          limit: query.limit ?? PAGE_SIZE_DEFAULT,
        });
      },
    );
    api.post(
      '/v1/invoices/:id/mark',
      {
        config: { scope: 'invoices:write' },
        schema: route('markInvoice', 'invoices', 'Mark an invoice Settled or Invalid by hand', {
          params: S.IdParam,
          body: S.MarkInvoice,
          response: { 200: { $ref: 'Invoice#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 409) },
        }),
      },
      async (request, reply) => {
        const { status } = request.body as Static<typeof S.MarkInvoice>;
        return answer(
          reply,
          await mode(request).invoices.mark(store(request), (request.params as { id: string }).id, status),
        );
      },
    );

    // --- refunds and payouts --------------------------------------------------------------------
    api.post(
      '/v1/refunds',
      {
        config: { scope: 'refunds' },
        schema: route('createRefund', 'refunds', 'Refund all or part of what an invoice was paid', {
          body: S.CreateRefund,
          response: { 201: { $ref: 'Refund#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 409, 422) },
        }),
      },
      async (request, reply) =>
        answer(
          reply,
          await mode(request).money.refund(store(request), request.body as Static<typeof S.CreateRefund>),
          201,
        ),
    );
    api.get(
      '/v1/refunds/:id',
      {
        config: { scope: 'refunds' },
        schema: route('getRefund', 'refunds', 'A refund', {
          params: S.IdParam,
          response: { 200: { $ref: 'Refund#' }, ...errorResponses(...AUTH_ERRORS, 404) },
        }),
      },
      async (request, reply) =>
        answer(reply, await mode(request).money.getRefund(store(request), (request.params as { id: string }).id)),
    );
    const RefundQuery = S.ListRefunds;
    api.get(
      '/v1/refunds',
      {
        config: { scope: 'refunds' },
        schema: route('listRefunds', 'refunds', 'Refunds, newest first', {
          querystring: RefundQuery,
          response: { 200: S.pageOfRef('Refund'), ...errorResponses(400, ...AUTH_ERRORS) },
        }),
      },
      async (request) => {
        const query = request.query as Static<typeof RefundQuery>;
        return mode(request).money.listRefunds(store(request), { ...query, limit: query.limit ?? PAGE_SIZE_DEFAULT });
      },
    );
    api.post(
      '/v1/payouts',
      {
        config: { scope: 'payouts' },
        schema: route('createPayout', 'payouts', "Pay out from the store's balance", {
          body: S.CreatePayout,
          response: { 201: { $ref: 'Payout#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 422) },
        }),
      },
      async (request, reply) =>
        answer(
          reply,
          await mode(request).money.payout(store(request), request.body as Static<typeof S.CreatePayout>),
          201,
        ),
    );
    api.get(
      '/v1/payouts/:id',
      {
        config: { scope: 'payouts' },
        schema: route('getPayout', 'payouts', 'A payout', {
          params: S.IdParam,
          response: { 200: { $ref: 'Payout#' }, ...errorResponses(...AUTH_ERRORS, 404) },
        }),
      },
      async (request, reply) =>
        answer(reply, await mode(request).money.getPayout(store(request), (request.params as { id: string }).id)),
    );
    api.get(
      '/v1/payouts',
      {
        config: { scope: 'payouts' },
        schema: route('listPayouts', 'payouts', 'Payouts, newest first', {
          querystring: S.PageOnly,
          response: { 200: S.pageOfRef('Payout'), ...errorResponses(400, ...AUTH_ERRORS) },
        }),
      },
      async (request) => {
        const query = request.query as Static<typeof S.PageOnly>;
        return mode(request).money.listPayouts(store(request), { ...query, limit: query.limit ?? PAGE_SIZE_DEFAULT });
      },
    );
    api.get(
      '/v1/balance',
      {
        config: { scope: 'invoices:read' },
        schema: route('getBalance', 'payouts', "The store's balances on this mode's ledger", {
          response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(...AUTH_ERRORS) },
        }),
      },
      async (request) => {
        const info = await processor.store(store(request));
        const account = key(request).mode === 'live' ? info!.live_account : info!.test_account;
        const view = await mode(request).ctx.ops.ledger.account(account);
        return {
          object: 'balance',
          mode: key(request).mode,
          account,
          balances: (view?.balances ?? []).map((b) => ({
            currency: b.currency,
            balance: b.balance,
            available: b.available,
          })),
        };
      },
    );

    // --- store settings and keys ----------------------------------------------------------------
    api.get(
      '/v1/store',
      {
        schema: route('getStore', 'merchants', "The calling key's store and its settings", {
          response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(...AUTH_ERRORS) },
        }),
      },
      async (request) => storeView(await processor.store(store(request)), key(request).mode),
    );
    api.patch(
      '/v1/store',
      {
        config: { scope: 'keys' },
        schema: route('updateStore', 'merchants', 'Change the confirmation policy (value tiers)', {
          body: S.StoreSettingsBody,
          response: {
            200: { type: 'object', additionalProperties: true },
            ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS),
          },
        }),
      },
      async (request) =>
        storeView(
          await processor.updateSettings(store(request), request.body as Static<typeof S.StoreSettingsBody>),
          key(request).mode,
        ),
    );
    api.post(
      '/v1/keys',
      {
        config: { scope: 'keys' },
        schema: route('createKey', 'merchants', 'Create an API key for this store and mode (secret shown once)', {
          body: S.CreateKey,
          response: { 201: { $ref: 'ApiKey#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS) },
        }),
      },
      async (request, reply) =>
        answer(
          reply,
          await processor.merchants.createKey(key(request), request.body as { name?: string; scopes: Scope[] }),
          201,
        ),
    );
    api.get(
      '/v1/keys',
      {
        config: { scope: 'keys' },
        schema: route('listKeys', 'merchants', 'API keys of this store and mode', {
          response: { 200: S.pageOfRef('ApiKey'), ...errorResponses(...AUTH_ERRORS) },
        }),
      },
      async (request) => processor.merchants.listKeys(key(request)),
    );
    api.delete(
      '/v1/keys/:id',
      {
        config: { scope: 'keys' },
        schema: route('revokeKey', 'merchants', 'Revoke an API key', {
          params: S.IdParam,
          response: { 200: { $ref: 'ApiKey#' }, ...errorResponses(...AUTH_ERRORS, 404) },
        }),
      },
      async (request, reply) =>
        answer(reply, await processor.merchants.revokeKey(key(request), (request.params as { id: string }).id)),
    );

    webhookRoutes(api, processor, route);
    linkAndReportRoutes(api, processor, route);
    sandboxRoutes(api, processor, route);
  });
}

type RouteSchema = (
  operationId: string,
  tag: string,
  summary: string,
  extra?: Record<string, unknown>,
) => Record<string, unknown>;

function storeView(info: Awaited<ReturnType<Processor['store']>>, mode: 'live' | 'test') {
  if (!info) return new WebWalletError('store_not_found', {});
  return {
    object: 'store',
    id: info.id,
    name: info.merchant_name,
    mode,
    account: mode === 'live' ? info.live_account : info.test_account,
    settings: info.settings,
  };
}

function webhookRoutes(api: FastifyInstance, processor: Processor, route: RouteSchema): void {
  const owner = (request: FastifyRequest) => ({ store_id: request.apiKey!.store_id, mode: request.apiKey!.mode });
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  const config = { scope: 'webhooks' as const };
  api.post(
    '/v1/webhooks',
    {
      config,
      schema: route('createWebhook', 'webhooks', 'Register a webhook endpoint (secret shown once)', {
        body: S.CreateWebhook,
        response: { 201: { $ref: 'WebhookEndpoint#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 422) },
      }),
    },
    async (request, reply) =>
      answer(
        reply,
        await processor.webhooks.create(owner(request), request.body as Static<typeof S.CreateWebhook>),
        201,
      ),
  );
  api.get(
    '/v1/webhooks',
    {
      config,
      schema: route('listWebhooks', 'webhooks', 'Webhook endpoints', {
        response: { 200: S.pageOfRef('WebhookEndpoint'), ...errorResponses(...AUTH_ERRORS) },
      }),
    },
    async (request) => processor.webhooks.list(owner(request)),
  );
  api.get(
    '/v1/webhooks/:id',
    {
      config,
      schema: route('getWebhook', 'webhooks', 'A webhook endpoint', {
        params: S.IdParam,
        response: { 200: { $ref: 'WebhookEndpoint#' }, ...errorResponses(...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => answer(reply, await processor.webhooks.get(owner(request), id(request))),
  );
  api.patch(
    '/v1/webhooks/:id',
    {
      config,
      schema: route('updateWebhook', 'webhooks', 'Change URL, event filter or enabled', {
        params: S.IdParam,
        body: S.UpdateWebhook,
        response: { 200: { $ref: 'WebhookEndpoint#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 422) },
      }),
    },
    async (request, reply) =>
      answer(
        reply,
        await processor.webhooks.update(owner(request), id(request), request.body as Static<typeof S.UpdateWebhook>),
      ),
  );
  api.delete(
    '/v1/webhooks/:id',
    {
      config,
      schema: route('deleteWebhook', 'webhooks', 'Delete a webhook endpoint', {
        params: S.IdParam,
        response: { 200: { $ref: 'WebhookEndpoint#' }, ...errorResponses(...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => answer(reply, await processor.webhooks.remove(owner(request), id(request))),
  );
  api.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      config,
      schema: route('rotateWebhookSecret', 'webhooks', 'New signing secret; the old one also signs for a while', {
        params: S.IdParam,
        body: S.RotateSecret,
        response: { 200: { $ref: 'WebhookEndpoint#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Static<typeof S.RotateSecret>;
      return answer(
        reply,
        await processor.webhooks.rotateSecret(owner(request), id(request), body.previous_valid_s ?? 86_400),
      );
    },
  );
  api.get(
    '/v1/webhooks/:id/deliveries',
    {
      config,
      schema: route('listDeliveries', 'webhooks', 'Delivery log of an endpoint, newest first', {
        params: S.IdParam,
        querystring: S.PageOnly,
        response: { 200: S.pageOfRef('WebhookDelivery'), ...errorResponses(400, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const query = request.query as Static<typeof S.PageOnly>;
      return answer(
        reply,
        await processor.webhooks.deliveries(owner(request), id(request), {
          after: query.cursor,
          limit: query.limit ?? PAGE_SIZE_DEFAULT,
        }),
      );
    },
  );
  api.post(
    '/v1/webhooks/:id/deliveries/:delivery/redeliver',
    {
      config,
      schema: route('redeliver', 'webhooks', 'Send a delivery again', {
        params: S.DeliveryParams,
        response: { 200: { $ref: 'WebhookDelivery#' }, ...errorResponses(...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const params = request.params as Static<typeof S.DeliveryParams>;
      return answer(reply, await processor.webhooks.redeliver(owner(request), params.id, params.delivery));
    },
  );
  api.get(
    '/v1/events/:id',
    {
      config: { scope: 'invoices:read' },
      schema: route('getEvent', 'webhooks', 'An event as delivered', {
        params: S.IdParam,
        response: { 200: { $ref: 'Event#' }, ...errorResponses(...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => answer(reply, await getEvent(processor.options.db, owner(request), id(request))),
  );
  api.get(
    '/v1/events',
    {
      config: { scope: 'invoices:read' },
      schema: route('listEvents', 'webhooks', 'Events, newest first', {
        querystring: S.ListEvents,
        response: { 200: S.pageOfRef('Event'), ...errorResponses(400, ...AUTH_ERRORS) },
      }),
    },
    async (request) => {
      const query = request.query as Static<typeof S.ListEvents>;
      return listEvents(processor.options.db, owner(request), {
        type: query.type,
        after: query.cursor,
        limit: query.limit ?? PAGE_SIZE_DEFAULT,
      });
    },
  );
}

function linkAndReportRoutes(api: FastifyInstance, processor: Processor, route: RouteSchema): void {
  const k = (request: FastifyRequest) => request.apiKey!;
  api.post(
    '/v1/payment-links',
    {
      config: { scope: 'invoices:write' },
      schema: route('createPaymentLink', 'payment links', 'A reusable link that creates an invoice per visit', {
        body: S.CreateLink,
        response: { 201: { $ref: 'PaymentLink#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 422) },
      }),
    },
    async (request, reply) =>
      answer(
        reply,
        await processor.createLink(k(request).store_id, k(request).mode, request.body as Static<typeof S.CreateLink>),
        201,
      ),
  );
  api.get(
    '/v1/payment-links',
    {
      config: { scope: 'invoices:read' },
      schema: route('listPaymentLinks', 'payment links', 'Payment links, newest first', {
        querystring: S.PageOnly,
        response: { 200: S.pageOfRef('PaymentLink'), ...errorResponses(400, ...AUTH_ERRORS) },
      }),
    },
    async (request) => {
      const query = request.query as Static<typeof S.PageOnly>;
      return processor.listLinks(k(request).store_id, k(request).mode, {
        cursor: query.cursor,
        limit: query.limit ?? PAGE_SIZE_DEFAULT,
      });
    },
  );
  api.delete(
    '/v1/payment-links/:id',
    {
      config: { scope: 'invoices:write' },
      schema: route('deactivatePaymentLink', 'payment links', 'Deactivate a payment link', {
        params: S.IdParam,
        response: { 200: { $ref: 'PaymentLink#' }, ...errorResponses(...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) =>
      answer(
        reply,
        await processor.deactivateLink(k(request).store_id, k(request).mode, (request.params as { id: string }).id),
      ),
  );
  for (const [name, build] of [
    ['invoices', invoicesCsv],
    ['payments', paymentsCsv],
  ] as const) {
    api.get(
      `/v1/reports/${name}.csv`,
      {
        config: { scope: 'reports' },
        schema: route(
          `${name}Report`,
          'reports',
          `${name === 'invoices' ? 'Invoices' : 'Payments'} created in [from, to) as CSV`,
          {
            querystring: S.ReportQuery,
            response: { ...errorResponses(400, ...AUTH_ERRORS, 422) },
          },
        ),
      },
      async (request, reply) => {
        const query = request.query as Static<typeof S.ReportQuery>;
        const csv = await build(processor.options.db, k(request), Date.parse(query.from), Date.parse(query.to));
        if (csv instanceof WebWalletError) return sendError(reply, csv);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}-${query.from.slice(0, 10)}.csv"`)
          .send(csv);
      },
    );
  }
}

function sandboxRoutes(api: FastifyInstance, processor: Processor, route: RouteSchema): void {
  const config = { scope: 'sandbox' as const };
  const test = processor.modes.test;
  const storeId = (request: FastifyRequest) => request.apiKey!.store_id;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  api.get(
    '/v1/sandbox/payers',
    {
      config,
      schema: route('sandboxPayers', 'sandbox', "The store's three dummy payers", {
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(...AUTH_ERRORS) },
      }),
    },
    async (request) => processor.sandbox.payers(storeId(request)),
  );
  api.post(
    '/v1/sandbox/invoices/:id/pay',
    {
      config,
      schema: route(
        'sandboxPayInvoice',
        'sandbox',
        'Pay a test invoice from a dummy payer (exact, partial, over or an amount)',
        {
          params: S.IdParam,
          body: S.SandboxPay,
          response: {
            200: { type: 'object', additionalProperties: true },
            ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 409, 422),
          },
        },
      ),
    },
    async (request, reply) =>
      answer(
        reply,
        await processor.sandbox.payInvoice(
          test.invoices,
          storeId(request),
          id(request),
          (request.body ?? {}) as Static<typeof S.SandboxPay>,
          (seq) => test.consumer.waitFor(seq),
        ),
      ),
  );
  api.post(
    '/v1/sandbox/invoices/:id/expire',
    {
      config,
      schema: route('sandboxExpireInvoice', 'sandbox', 'Expire a test invoice now', {
        params: S.IdParam,
        response: { 200: { $ref: 'Invoice#' }, ...errorResponses(...AUTH_ERRORS, 404, 409) },
      }),
    },
    async (request, reply) => answer(reply, await test.invoices.expireNow(storeId(request), id(request))),
  );
  api.post(
    '/v1/sandbox/clock/advance',
    {
      config,
      schema: route('sandboxAdvanceClock', 'sandbox', "Move the sandbox processor's clock forward", {
        body: S.ClockAdvance,
        response: {
          200: { type: 'object', additionalProperties: true },
          ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS),
        },
      }),
    },
    async (request) => {
      const { seconds } = request.body as Static<typeof S.ClockAdvance>;
      const now = processor.sandbox.advance(seconds);
      await processor.sweep();
      return { now: new Date(now).toISOString() };
    },
  );
  api.post(
    '/v1/sandbox/faucet',
    {
      config,
      schema: route('sandboxFaucet', 'sandbox', 'Fund a sandbox account with play money', {
        body: S.Faucet,
        response: {
          200: { type: 'object', additionalProperties: true },
          ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404, 422),
        },
      }),
    },
    async (request, reply) => answer(reply, await processor.sandbox.faucet(request.body as Static<typeof S.Faucet>)),
  );
}
