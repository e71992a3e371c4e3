import { createHash } from 'node:crypto';
import { canonicalize, WebWalletError } from '@webwallet/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../../http/auth.js';
import { sendError } from '../../http/errors.js';
import type { SqlDb } from '../db/sql.js';
import type { ApiKey, Merchants } from '../merchants.js';
import type { Scope } from '../model.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
    idempotency?: { scope: string; key: string } | undefined;
  }
  interface FastifyContextConfig {
    /** The API key scope a merchant route needs; `sandbox` routes need a test key. */
    scope?: Scope | 'sandbox';
  }
}

/** A stored response is replayed for this long (Stripe keeps keys 24 hours too). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** A claimed key whose request never finished (crash) may be reused after this. */
const IDEMPOTENCY_STALE_MS = 60_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Token bucket per API key: `per_s` sustained, bursts of twice that. Memory is bounded. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at_ms: number }>();
  private static readonly KEYS_MAX = 100_000;

  constructor(private readonly per_s: number) {}

  /** 0 when allowed, else the seconds to wait. */
  take(key: string, now_ms = Date.now()): number {
    const burst = this.per_s * 2;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= RateLimiter.KEYS_MAX) this.buckets.clear();
      bucket = { tokens: burst, at_ms: now_ms };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now_ms - bucket.at_ms) / 1000) * this.per_s);
    bucket.at_ms = now_ms;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.per_s));
  }
}

/** onRequest: who is calling, with which scope and within which rate. */
export function authenticate(merchants: Merchants, limiter: RateLimiter) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const key = await merchants.authenticate(bearerToken(request));
    if (key instanceof WebWalletError) return sendError(reply, key);
    request.apiKey = key;
    reply.header('webwallet-mode', key.mode);
    const wait_s = limiter.take(key.id);
    if (wait_s > 0) {
      reply.header('retry-after', String(wait_s));
      return sendError(reply, new WebWalletError('rate_limited', { retry_after_s: wait_s }));
    }
    const needed = request.routeOptions.config.scope;
    if (needed === 'sandbox') {
      if (key.mode !== 'test') return sendError(reply, new WebWalletError('sandbox_only', { mode: key.mode }));
    } else if (needed && !key.scopes.includes(needed)) {
      return sendError(reply, new WebWalletError('scope_missing', { scope: needed, key_scopes: key.scopes }));
    }
  };
}

interface IdempotencyRow {
  endpoint: string;
  fingerprint: string;
  status_code: number | null;
  response: string | null;
  created_at_ms: number;
}

/**
 * preHandler for POSTs with Idempotency-Key: claims the key, or replays the stored response,
 * or refuses a reuse with other parameters. The claim and the stored response are scoped to the
 * API key's store and mode.
 */
export function idempotency(db: SqlDb) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const given = request.headers['idempotency-key'];
    if (request.method !== 'POST' || given === undefined || !request.apiKey) return;
    if (typeof given !== 'string' || !IDEMPOTENCY_KEY.test(given)) {
      return sendError(reply, new WebWalletError('idempotency_key_invalid', {}));
    }
    const scope = `${request.apiKey.store_id}:${request.apiKey.mode}`;
    const endpoint = `POST ${request.url.split('?')[0]}`;
    const fingerprint = createHash('sha256')
      .update(canonicalize(request.body ?? null))
      .digest('hex');
    const now = Date.now();
    const existing = await db.transaction(async (tx) => {
      const row = await tx.get<IdempotencyRow>(
        'SELECT endpoint, fingerprint, status_code, response, created_at_ms FROM idempotency_keys WHERE scope = ? AND key = ?',
        [scope, given],
      );
      const expired =
        row &&
        (now - row.created_at_ms > IDEMPOTENCY_TTL_MS ||
          (row.status_code === null && now - row.created_at_ms > IDEMPOTENCY_STALE_MS));
      if (row && !expired) return row;
      if (row) await tx.run('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?', [scope, given]);
      await tx.run(
        'INSERT INTO idempotency_keys (scope, key, endpoint, fingerprint, created_at_ms) VALUES (?, ?, ?, ?, ?)',
        [scope, given, endpoint, fingerprint, now],
      );
      return undefined;
    });
    if (!existing) {
      request.idempotency = { scope, key: given };
      return;
    }
    if (existing.endpoint !== endpoint || existing.fingerprint !== fingerprint) {
      return sendError(
        reply,
        new WebWalletError('idempotency_key_reused', { first_endpoint: existing.endpoint, endpoint }),
      );
    }
    if (existing.status_code === null) return sendError(reply, new WebWalletError('idempotency_key_in_use', {}));
    reply.header('idempotent-replayed', 'true');
    return reply.code(existing.status_code).type('application/json; charset=utf-8').send(existing.response);
  };
}

/** onSend: stores the response of a claimed key; a 5xx releases the key so a retry can run. */
export function storeIdempotentResponse(db: SqlDb) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    await db.transaction((tx) =>
      reply.statusCode >= 500
        ? tx.run('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?', [claim.scope, claim.key])
        : tx.run('UPDATE idempotency_keys SET status_code = ?, response = ? WHERE scope = ? AND key = ?', [
            reply.statusCode,
            typeof payload === 'string' ? payload : JSON.stringify(payload ?? null),
            claim.scope,
            claim.key,
          ]),
    );
    return payload;
  };
}

/** Removes responses older than the replay window. */
export async function purgeIdempotencyKeys(db: SqlDb, now_ms = Date.now()): Promise<number> {
  return db.transaction((tx) =>
    tx.run('DELETE FROM idempotency_keys WHERE created_at_ms < ?', [now_ms - IDEMPOTENCY_TTL_MS]),
  );
}
