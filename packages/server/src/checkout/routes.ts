import { WebWalletError } from '@webwallet/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import { sendError, toWebWalletError } from '../http/errors.js';
import { BODY_ERRORS, errorResponses } from '../http/schemas.js';
import {
  EVENT_STREAM_LIMITS,
  EventStream,
  type EventStreamLimits,
  EventStreamRegistry,
  STREAM_RETRY_AFTER_S,
} from './events.js';
import { newNonce, sendHtml } from './html.js';
import { amountErrorMessage, checkLinkAmount } from './link-amount.js';
import {
  type CheckoutPageOptions,
  checkoutPage,
  type LinkFormState,
  linkFormPage,
  messagePage,
  qrSvg,
} from './pages.js';
import { CheckoutIdParam, CheckoutViewSchema, PayRequest, PayResponse, PUBLIC_ID, publicView } from './schemas.js';
import type { CheckoutSource, CheckoutView, PaymentLinkView } from './source.js';

/** Largest payment-link form body: it has one short field. */
export const FORM_BODY_BYTES_MAX = 1024;

export interface CheckoutRouteOptions {
  /** Overrides of the event stream limits (tests use small ones). */
  readonly streams?: Partial<EventStreamLimits>;
  /**
   * Path of the node's payment method identifier (W3C Payment Method Identifiers): the page offers
   * the Payment Request API for `<origin><path>` when a wallet handles it. The node must serve the
   * payment method manifest there. null: pay only through the web+webwallet: link. Default "/pay".
   */
  readonly payment_method_path?: string | null;
}

/** The registry of one app's open event streams, for tests and metrics. */
export interface CheckoutRoutes {
  readonly streams: EventStreamRegistry;
}

const tags = ['checkout'];

const notFound = (id: string) => new WebWalletError('invoice_not_found', { id });

/**
 * The buyer-facing routes: the hosted checkout page `/i/{id}`, its JSON view and live events
 * under `/v1/checkout/{id}`, paying from the page, and payment links `/l/{id}`. Public: an
 * invoice or link id is the capability, so nothing here needs an API key.
 *
 * @example
 * const app = await buildApp(options);
 * checkoutRoutes(app, processor.checkoutSource());
 */
export function checkoutRoutes(
  app: FastifyInstance,
  source: CheckoutSource,
  options: CheckoutRouteOptions = {},
): CheckoutRoutes {
  const streams = new EventStreamRegistry({ ...EVENT_STREAM_LIMITS, ...options.streams });
  if (!app.getSchema('CheckoutView')) app.addSchema(CheckoutViewSchema);
  // Open streams would keep the server from closing; clients reconnect to another node or poll.
  app.addHook('preClose', async () => streams.endAll());
  apiRoutes(app, source, streams);
  // Pages answer errors in HTML, and only the link form accepts a form-encoded body.
  const pages = { paymentMethodPath: options.payment_method_path === undefined ? '/pay' : options.payment_method_path };
  void app.register(async (scope) => pageRoutes(scope, source, pages));
  return { streams };
}

function apiRoutes(app: FastifyInstance, source: CheckoutSource, streams: EventStreamRegistry): void {
  app.get(
    '/v1/checkout/:id',
    {
      schema: {
        operationId: 'getCheckout',
        tags,
        summary: 'The public view of an invoice',
        description:
          'What the hosted checkout page shows: amounts, status, expiry, the payment URI and the node clock. ' +
          'Public: the invoice id is the capability.',
        params: CheckoutIdParam,
        response: { 200: { $ref: 'CheckoutView#' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof CheckoutIdParam>;
      const view = await source.view(id);
      if (!view) return sendError(reply, notFound(id));
      reply.header('cache-control', 'no-store');
      return publicView(view);
    },
  );

  app.get(
    '/v1/checkout/:id/events',
    {
      // A HEAD request would otherwise open a stream that never sends a body.
      exposeHeadRoute: false,
      schema: {
        operationId: 'streamCheckoutEvents',
        tags,
        summary: 'Live status of an invoice (server-sent events)',
        description:
          'A text/event-stream: an `invoice` event whose data is the CheckoutView JSON at connection and after every ' +
          `change, and a comment line every ${EVENT_STREAM_LIMITS.keep_alive_ms / 1000} s. At most ` +
          `${EVENT_STREAM_LIMITS.per_invoice_max} streams per invoice (429) and ${EVENT_STREAM_LIMITS.total_max} per node (503).`,
        params: CheckoutIdParam,
        response: {
          200: {
            description: 'The event stream.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses(400, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof CheckoutIdParam>;
      const slot = streams.reserve(id);
      if (slot instanceof WebWalletError) {
        reply.header('retry-after', String(STREAM_RETRY_AFTER_S));
        return sendError(reply, slot);
      }
      const response = reply.raw;
      let gone = false;
      response.on('close', () => {
        gone = true;
      });
      // Subscribe before reading, so a change between the read and the subscription is not
      // lost. Changes that arrive before the stream opens are kept; the last one is the newest.
      let stream: EventStream | undefined;
      let early: CheckoutView | undefined;
      let unsubscribe: () => void;
      let view: CheckoutView | undefined;
      try {
        unsubscribe = source.subscribe(id, (next) => {
          if (stream) stream.send(publicView(next));
          else early = next;
        });
      } catch (error) {
        slot.release();
        throw error;
      }
      try {
        view = await source.view(id);
      } catch (error) {
        unsubscribe();
        slot.release();
        throw error;
      }
      if (!view || gone) {
        unsubscribe();
        slot.release();
        if (!view) return sendError(reply, notFound(id));
        reply.hijack(); // the client left while we read; there is no one to answer
        response.end();
        return reply;
      }
      // From here on this handler writes the response itself; Fastify must not send another.
      reply.hijack();
      const headers: Record<string, string | number | string[]> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
      response.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // nginx and similar proxies buffer responses unless told not to.
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      response.write(`retry: ${streams.limits.retry_ms}\n\n`);
      stream = new EventStream(response, streams.limits);
      const untrack = streams.track(stream);
      stream.send(publicView(early ?? view));
      response.on('close', () => {
        unsubscribe();
        untrack();
        slot.release();
      });
      return reply;
    },
  );

  app.post(
    '/v1/checkout/:id/pay',
    {
      schema: {
        operationId: 'payCheckout',
        tags,
        summary: 'Pay an invoice with a signed transfer',
        description:
          "Submits a wallet's signed ledger.transfer paying the invoice (one leg to the payee, memo = the invoice id) " +
          'and answers with the ledger transaction id. The invoice status follows on the events stream.',
        params: CheckoutIdParam,
        body: PayRequest,
        response: { 200: PayResponse, ...errorResponses(...BODY_ERRORS, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof CheckoutIdParam>;
      const { document } = request.body as Static<typeof PayRequest>;
      const result = await source.pay(id, document);
      return result.ok ? { transaction_id: result.value.transaction_id } : sendError(reply, result.error);
    },
  );

  app.post(
    '/v1/checkout/:id/sandbox-pay',
    {
      schema: {
        operationId: 'sandboxPayCheckout',
        tags,
        summary: 'Pay a test invoice from the test wallet',
        description:
          "Test invoices only (`sandbox_only` otherwise): pays the amount due from the store's dummy payer 1. " +
          'The checkout page\'s "Pay with test wallet" button calls it. No body.',
        params: CheckoutIdParam,
        response: { 200: PayResponse, ...errorResponses(400, 403, 404, 409, 422, 500) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof CheckoutIdParam>;
      const view = await source.view(id);
      if (!view) return sendError(reply, notFound(id));
      // Checked here as well as in the source: play money must never pay a live invoice.
      if (view.mode !== 'test') return sendError(reply, new WebWalletError('sandbox_only', { id, mode: view.mode }));
      const result = await source.sandboxPay(id);
      return result.ok ? { transaction_id: result.value.transaction_id } : sendError(reply, result.error);
    },
  );
}

function htmlMessage(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  const nonce = newNonce();
  return sendHtml(reply, status, nonce, messagePage(nonce, title, message));
}

const invoiceMissing = (reply: FastifyReply) =>
  htmlMessage(
    reply,
    404,
    'Invoice not found',
    'This checkout link is wrong, or the invoice does not exist. Go back to the shop and start the payment again.',
  );

const linkMissing = (reply: FastifyReply) =>
  htmlMessage(
    reply,
    404,
    'Payment link not found',
    'This payment link does not exist or the merchant has turned it off. Ask the merchant for a new link.',
  );

function formField(body: unknown, name: string): string | undefined {
  if (body instanceof URLSearchParams) return body.get(name) ?? undefined;
  if (typeof body === 'object' && body !== null) {
    const value = (body as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

function pageRoutes(app: FastifyInstance, source: CheckoutSource, pages: CheckoutPageOptions): void {
  app.setErrorHandler((error, request, reply) => {
    const wwError = toWebWalletError(error);
    if (wwError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: wwError.code }, 'request rejected');
    return htmlMessage(
      reply,
      wwError.status,
      wwError.status >= 500 ? 'Something went wrong' : 'Request not accepted',
      wwError.message,
    );
  });
  // HTML forms post application/x-www-form-urlencoded; the node otherwise accepts only JSON.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_BYTES_MAX },
    (_request, body, done) => done(null, new URLSearchParams(body as string)),
  );

  app.get('/i/:id', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const view = PUBLIC_ID.test(id) ? await source.view(id) : undefined;
    if (!view) return invoiceMissing(reply);
    const nonce = newNonce();
    return sendHtml(reply, 200, nonce, await checkoutPage(publicView(view), nonce, pages));
  });

  app.get('/i/:id/qr.svg', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const view = PUBLIC_ID.test(id) ? await source.view(id) : undefined;
    if (!view) return invoiceMissing(reply);
    return reply
      .type('image/svg+xml; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'")
      .header('x-content-type-options', 'nosniff')
      .send(await qrSvg(view.payment_uri));
  });

  async function linkVisit(
    reply: FastifyReply,
    id: string,
    entered: { amount: string | undefined } | undefined,
  ): Promise<FastifyReply> {
    const link = PUBLIC_ID.test(id) ? await source.paymentLink(id) : undefined;
    if (!link?.active) return linkMissing(reply);
    const form = (status: number, state: LinkFormState) => {
      const nonce = newNonce();
      return sendHtml(reply, status, nonce, linkFormPage(link, nonce, state));
    };
    let amount: string | undefined;
    if (link.amount === null) {
      if (entered === undefined) return form(200, {});
      const checked = checkLinkAmount(link, entered.amount);
      if (!checked.ok) return form(400, { value: entered.amount ?? '', error: checked.message });
      amount = checked.amount;
    }
    const result = await source.invoiceFromLink(link.id, amount);
    if (result.ok) {
      return reply
        .header('cache-control', 'no-store')
        .redirect(`/i/${encodeURIComponent(result.value.invoice_id)}`, 303);
    }
    return linkFailure(reply, link, entered?.amount, result.error, form);
  }

  function linkFailure(
    reply: FastifyReply,
    link: PaymentLinkView,
    typed: string | undefined,
    error: WebWalletError,
    form: (status: number, state: LinkFormState) => FastifyReply,
  ): FastifyReply {
    if (error.code === 'payment_link_not_found') return linkMissing(reply);
    const message = link.amount === null ? amountErrorMessage(error, link.currency) : undefined;
    if (message !== undefined) return form(400, { value: typed ?? '', error: message });
    if (error.status >= 500) reply.log.error({ err: error }, 'payment link failed');
    return htmlMessage(reply, error.status, 'Payment link unavailable', error.message);
  }

  // No automatic HEAD route: link previews and prefetchers must not create invoices with HEAD.
  app.get('/l/:id', { schema: { hide: true }, exposeHeadRoute: false }, async (request, reply) =>
    linkVisit(reply, (request.params as { id: string }).id, undefined),
  );
  app.post('/l/:id', { schema: { hide: true } }, async (request, reply) =>
    linkVisit(reply, (request.params as { id: string }).id, { amount: formField(request.body, 'amount') }),
  );
}
