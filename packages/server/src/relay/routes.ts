import { fromBase64Url, WebWalletError } from '@webwallet/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { sendError, toWebWalletError } from '../http/errors.js';
import { BODY_ERRORS, errorResponses } from '../http/schemas.js';
import { RateLimiter } from '../processor/http/guard.js';
import { AUTH_SCHEME, type AuthenticatedDevice, authenticateDevice, ReplayCache } from './auth.js';
import * as S from './schemas.js';
import { PAIRING_EXPIRES_IN_S_DEFAULT, type RelayStore } from './store.js';

/*
 * The wallet sync relay: a BLIND store-and-forward service for end-to-end encrypted wallet sync.
 * Devices hold the keys; the node keeps ciphertext it can neither read nor forge.
 *
 * Mailboxes
 *   POST   /v1/relay/mailboxes                              {}            -> 201 RelayMailbox
 *   GET    /v1/relay/mailboxes/{id}                                        -> 200 RelayMailbox
 *   POST   /v1/relay/mailboxes/{id}/devices                 {device_key}  -> 200 RelayMailbox
 *   DELETE /v1/relay/mailboxes/{id}/devices/{device_key}                  -> 204
 *   POST   /v1/relay/mailboxes/{id}/messages                {epoch, ciphertext} -> 201 {seq, created_at}
 *   GET    /v1/relay/mailboxes/{id}/messages?after=&limit=                -> 200 {items, next_after, has_more}
 *   DELETE /v1/relay/mailboxes/{id}/messages?before=                      -> 200 {deleted, has_more}
 * A mailbox id is "mbx_" + 128 random bits: it says nothing about the wallet. The device that
 * creates a mailbox is its first member. Any member may add or remove any member (itself too):
 * a wallet's devices trust each other equally and the user removes a lost one from any other.
 * Adding a member twice changes nothing; removing the last member deletes the mailbox and its
 * messages. Membership changes and posts lock the mailbox row, so a removal is a clean cut: no
 * message from the removed device is accepted after it commits, and it can fetch nothing more
 * (what it fetched before, it keeps). Re-encrypting under a new key (a new `epoch`) is the clients' job; the node only
 * enforces membership and stores `epoch` as given.
 * Messages get seq 1, 2, 3… per mailbox in commit order (never reused, even after a trim), so
 * `GET …/messages?after=<last seq seen>` never misses one. A trim deletes seq < before (at most
 * 10,000 per call) so a client that posted a snapshot can compact what it covers.
 *
 * Pairing handoff (no auth: the unguessable id is the capability)
 *   POST /v1/relay/pairings {ciphertext, expires_in_s 60..900 = 600} -> 201 {id, expires_at}
 *   GET  /v1/relay/pairings/{id}                                      -> 200 {ciphertext, expires_at}
 * The id is "pair_" + 128 random bits. The first GET deletes it (a second gets 404
 * pairing_not_found), and an expired one is never returned. There is no HEAD route, so a
 * prefetcher cannot burn the one read. Every relay response says Cache-Control: no-store.
 *
 * Device authentication (every mailbox request)
 *   Authorization: WebWallet-Device key=pub_…,t=<unix seconds>[,n=<nonce>],sig=sig_…
 * sig is the device's Ed25519 signature over the canonical JSON (RFC 8785) of
 *   {domain: "webwallet:relay:v1", method, path, t, body_sha256[, nonce]}
 * where method is upper-case, path is the request target exactly as sent (path and query, with
 * its percent-encoding), body_sha256 is the hex SHA-256 of the raw body bytes (of nothing for
 * GET and DELETE), and nonce (1-64 base64url characters) is signed only when n is sent. The
 * node accepts t within 300 s of its clock (else 401 relay_clock_skew with details.server_time_s)
 * and refuses the same signed request twice (401 relay_replayed). Ed25519 signatures are
 * deterministic, so a client repeating a request within a second (a poll) sends a random n. The
 * replay memory is per process, in memory and bounded (100,000 requests; full: 429 relay_busy).
 * A request refused because the device is not a member, or the mailbox is gone, is forgotten
 * again, so strangers cannot fill it. Several node processes sharing one database do not share
 * it: a request captured on the wire could be replayed to another process inside the 300 s
 * window. That is harmless: GETs read, adding or removing the same member twice changes nothing
 * or gets 404, a replayed create makes an empty mailbox, and a replayed post stores the same
 * ciphertext under a new seq, which clients drop as a duplicate (their sync messages are
 * idempotent CRDT changes). Run the node behind TLS so requests are not seen in the first place.
 *
 * Limits (a coded 4xx beyond each, never a 500)
 *   32 devices per mailbox; 1,000,000 messages and 1 GiB of decoded ciphertext held per mailbox
 *   (far more than a wallet's cards and receipts; trim frees room); 256 KiB decoded per message (a batch of receipts,
 *   or a compressed snapshot chunk); 16 KiB decoded per pairing (keys and a node URL); 10,000
 *   unexpired pairings per node (pairings live minutes; full: 429 relay_busy). Over a size or
 *   count: 413 relay_limit_exceeded, details.limit names which. Request bodies are bounded per
 *   route (384 KiB for a message, 32 KiB for a pairing, 4 KiB otherwise; more: 413
 *   payload_too_large). Creating mailboxes and pairings is rate limited per client IP address
 *   (rate_limit_per_s, burst twice that; 429 relay_busy with Retry-After); behind a proxy that is
 *   the proxy's address. Page size: 100 messages, at most 500.
 *
 * What the node sees: mailbox ids, member public keys, when each message was posted, by which
 * member, its size and epoch, and client IP addresses. What it cannot do: read a ciphertext, or
 * make one the devices accept (they authenticate their encryption with keys the node never
 * sees). It can withhold, delay or delete messages, or repeat old ones under new seqs: clients
 * treat messages as idempotent and cannot rely on the relay for completeness, only for secrecy.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact body bytes, which a relay request's signature covers. */
    relayRawBody?: Buffer;
    relayDevice?: AuthenticatedDevice;
  }
}

export interface RelayRouteOptions {
  readonly store: RelayStore;
  /** Mailbox and pairing creations per second per client IP (bursts of twice that). */
  readonly rate_limit_per_s: number;
  /** The clock device signatures are checked against. */
  readonly now_ms?: () => number;
}

/** Request body limits: a message of 256 KiB is 349,526 base64url characters plus its JSON. */
export const MESSAGE_BODY_BYTES_MAX = 384 * 1024;
export const PAIRING_BODY_BYTES_MAX = 32 * 1024;
export const SMALL_BODY_BYTES_MAX = 4 * 1024;

const EMPTY = Buffer.alloc(0);
const SIGNED =
  'Signed by a member device: "Authorization: WebWallet-Device key=pub_…,t=<unix seconds>[,n=<nonce>],sig=sig_…", ' +
  'the Ed25519 signature over the canonical JSON of {domain: "webwallet:relay:v1", method, path (with query), t, ' +
  'body_sha256 (hex)[, nonce]}. See src/relay/routes.ts.';
const AUTH_ERRORS = [401, 403, 429];
/** Refusals that did nothing for the signer; forgetting them keeps strangers out of the replay memory. */
const FORGOTTEN: ReadonlySet<string> = new Set(['relay_not_member', 'mailbox_not_found']);

/** Sends an error with the headers its code calls for. */
function refuse(reply: FastifyReply, error: WebWalletError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', AUTH_SCHEME);
  const retry = error.details.retry_after_s;
  if (typeof retry === 'number') reply.header('retry-after', String(retry));
  return sendError(reply, error);
}

/**
 * JSON bodies whose raw bytes are kept for the signature check. Parsed with Fastify's own JSON
 * parser (prototype-poisoning checks included), so the errors are the usual ones.
 */
function keepRawJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error') as unknown as (
    request: FastifyRequest,
    body: Buffer,
    done: (error: Error | null, value?: unknown) => void,
  ) => void;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.relayRawBody = body as Buffer;
    parseJson(request, body as Buffer, done);
  });
}

/** The node's error shape, with the route's own body limit named when a body is too large. */
function relayErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    let wwError = toWebWalletError(error);
    if (wwError.code === 'payload_too_large') {
      wwError = new WebWalletError('payload_too_large', { body_bytes_max: request.routeOptions.bodyLimit });
    }
    if (wwError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: wwError.code }, 'request rejected');
    return refuse(reply, wwError);
  });
}

/** The decoded size of base64url ciphertext, or the coded error for bad text or too many bytes. */
function ciphertextBytes(text: string, limit: 'message_bytes_max' | 'pairing_bytes_max', max: number) {
  const decoded = fromBase64Url(text);
  if (!decoded.ok) {
    // The same details as a schema failure, so clients handle both alike.
    const message = `is not canonical unpadded base64url (${String(decoded.error.details.reason)})`;
    return new WebWalletError('invalid_request', { errors: [{ path: 'body/ciphertext', message }], errors_total: 1 });
  }
  if (decoded.value.length > max)
    return new WebWalletError('relay_limit_exceeded', { limit, max, bytes: decoded.value.length });
  return decoded.value.length;
}

/** The relay API (see the block comment above). */
export function relayRoutes(app: FastifyInstance, options: RelayRouteOptions): void {
  const now_ms = options.now_ms ?? Date.now;
  app.register(async (relay) => {
    keepRawJsonBodies(relay);
    relayErrorHandler(relay);
    const creations = new RateLimiter(options.rate_limit_per_s);
    relay.addHook('onRequest', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
    });
    /** Creation is cheap to ask for and costs storage: bounded per client address. */
    const rateLimited = (request: FastifyRequest) => {
      const wait_s = creations.take(request.ip, now_ms());
      return wait_s > 0 ? new WebWalletError('relay_busy', { retry_after_s: wait_s }) : undefined;
    };
    pairingRoutes(relay, options.store, rateLimited);
    relay.register(async (mailboxes) => mailboxRoutes(mailboxes, options.store, now_ms, rateLimited));
  });
}

function pairingRoutes(
  app: FastifyInstance,
  store: RelayStore,
  rateLimited: (request: FastifyRequest) => WebWalletError | undefined,
): void {
  app.post(
    '/v1/relay/pairings',
    {
      bodyLimit: PAIRING_BODY_BYTES_MAX,
      schema: {
        operationId: 'createPairing',
        tags: ['relay'],
        summary: 'Leave a one-time, short-lived ciphertext for a device being paired',
        description:
          'No authentication: whoever knows the returned id can read it once. Limited to 16 KiB decoded and rate limited per client address.',
        body: S.CreatePairing,
        response: { 201: S.CreatedPairing, ...errorResponses(...BODY_ERRORS, 429) },
      },
    },
    async (request, reply) => {
      const busy = rateLimited(request);
      if (busy) return refuse(reply, busy);
      const body = request.body as Static<typeof S.CreatePairing>;
      const bytes = ciphertextBytes(body.ciphertext, 'pairing_bytes_max', store.limits.pairing_bytes_max);
      if (bytes instanceof WebWalletError) return refuse(reply, bytes);
      const created = await store.createPairing(body.ciphertext, body.expires_in_s ?? PAIRING_EXPIRES_IN_S_DEFAULT);
      if (created instanceof WebWalletError) return refuse(reply, created);
      return reply.code(201).send(created);
    },
  );
  app.get(
    '/v1/relay/pairings/:id',
    {
      // A HEAD (a prefetcher, a link checker) would run this GET and burn the one read.
      exposeHeadRoute: false,
      schema: {
        operationId: 'takePairing',
        tags: ['relay'],
        summary: 'Read a pairing handoff once; it is deleted as it is read',
        params: S.PairingParams,
        response: { 200: S.TakenPairing, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const taken = await store.takePairing((request.params as Static<typeof S.PairingParams>).id);
      if (taken instanceof WebWalletError) return refuse(reply, taken);
      return taken;
    },
  );
}

function mailboxRoutes(
  app: FastifyInstance,
  store: RelayStore,
  now_ms: () => number,
  rateLimited: (request: FastifyRequest) => WebWalletError | undefined,
): void {
  const replays = new ReplayCache();
  // After the body is parsed (its bytes are signed), before it is validated: strangers get 401, not schema errors.
  app.addHook('preValidation', async (request, reply) => {
    const device = await authenticateDevice(
      request.headers.authorization,
      { method: request.method, path: request.url, body: request.relayRawBody ?? EMPTY },
      replays,
      now_ms(),
    );
    if (device instanceof WebWalletError) return refuse(reply, device);
    request.relayDevice = device;
  });
  const by = (request: FastifyRequest) => request.relayDevice!.device_key;
  const params = (request: FastifyRequest) => request.params as Static<typeof S.DeviceParams>;
  /** Sends a value, or the error it is (forgetting the signed request when it did nothing). */
  const answer = (request: FastifyRequest, reply: FastifyReply, value: unknown, status = 200) => {
    if (!(value instanceof WebWalletError)) return reply.code(status).send(value);
    if (FORGOTTEN.has(value.code)) replays.release(request.relayDevice!.claim);
    return refuse(reply, value);
  };
  const route = (operationId: string, summary: string, extra: Record<string, unknown>) => ({
    operationId,
    tags: ['relay'],
    summary,
    description: SIGNED,
    ...extra,
  });

  app.post(
    '/v1/relay/mailboxes',
    {
      bodyLimit: SMALL_BODY_BYTES_MAX,
      schema: route('createMailbox', 'Create a sync mailbox; the signing device is its first member', {
        body: S.CreateMailbox,
        response: { 201: { $ref: 'RelayMailbox#' }, ...errorResponses(...BODY_ERRORS, 401, 429) },
      }),
    },
    async (request, reply) => {
      const busy = rateLimited(request);
      if (busy) return refuse(reply, busy);
      return answer(request, reply, await store.createMailbox(by(request)), 201);
    },
  );
  app.get(
    '/v1/relay/mailboxes/:id',
    {
      exposeHeadRoute: false,
      schema: route('getMailbox', 'A mailbox and its member devices', {
        params: S.MailboxParams,
        response: { 200: { $ref: 'RelayMailbox#' }, ...errorResponses(400, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => answer(request, reply, await store.getMailbox(params(request).id, by(request))),
  );
  app.post(
    '/v1/relay/mailboxes/:id/devices',
    {
      bodyLimit: SMALL_BODY_BYTES_MAX,
      schema: route('addMailboxDevice', 'Add a member device (at most 32)', {
        params: S.MailboxParams,
        body: S.AddDevice,
        response: { 200: { $ref: 'RelayMailbox#' }, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const { device_key } = request.body as Static<typeof S.AddDevice>;
      return answer(request, reply, await store.addDevice(params(request).id, by(request), device_key));
    },
  );
  app.delete(
    '/v1/relay/mailboxes/:id/devices/:device_key',
    {
      schema: route('removeMailboxDevice', 'Remove a member device; removing the last deletes the mailbox', {
        params: S.DeviceParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const { id, device_key } = params(request);
      const removed = await store.removeDevice(id, by(request), device_key);
      if (removed instanceof WebWalletError) return answer(request, reply, removed);
      return reply.code(204).send();
    },
  );
  app.post(
    '/v1/relay/mailboxes/:id/messages',
    {
      bodyLimit: MESSAGE_BODY_BYTES_MAX,
      schema: route('postMailboxMessage', 'Append an opaque ciphertext message', {
        params: S.MailboxParams,
        body: S.PostMessage,
        response: { 201: S.PostedMessage, ...errorResponses(...BODY_ERRORS, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const { epoch, ciphertext } = request.body as Static<typeof S.PostMessage>;
      const bytes = ciphertextBytes(ciphertext, 'message_bytes_max', store.limits.message_bytes_max);
      if (bytes instanceof WebWalletError) return refuse(reply, bytes);
      const posted = await store.postMessage(params(request).id, by(request), { epoch, ciphertext, bytes });
      return answer(request, reply, posted, 201);
    },
  );
  app.get(
    '/v1/relay/mailboxes/:id/messages',
    {
      exposeHeadRoute: false,
      schema: route('listMailboxMessages', 'Messages after a seq, oldest first', {
        params: S.MailboxParams,
        querystring: S.ListMessages,
        response: { 200: { $ref: 'RelayMessagePage#' }, ...errorResponses(400, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const query = request.query as Static<typeof S.ListMessages>;
      const page = await store.listMessages(
        params(request).id,
        by(request),
        query.after ?? 0,
        query.limit ?? S.MESSAGES_PAGE_DEFAULT,
      );
      return answer(request, reply, page);
    },
  );
  app.delete(
    '/v1/relay/mailboxes/:id/messages',
    {
      schema: route('trimMailboxMessages', 'Delete the oldest messages (seq < before), at most 10,000 per call', {
        params: S.MailboxParams,
        querystring: S.TrimMessages,
        response: { 200: S.Trimmed, ...errorResponses(400, ...AUTH_ERRORS, 404) },
      }),
    },
    async (request, reply) => {
      const { before } = request.query as Static<typeof S.TrimMessages>;
      return answer(request, reply, await store.trimMessages(params(request).id, by(request), before));
    },
  );
}
