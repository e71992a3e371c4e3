import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { createSecureContext } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import { RETRY_WINDOW_MS } from './backoff.js';
import {
  type DeliveryOutcome,
  type DeliveryQueue,
  type DueDelivery,
  type WebhookLogger,
  WebhookWorker,
  type WebhookWorkerOptions,
} from './worker.js';

// The worker must accept the node's own logger.
const fastifyLoggerFits: FastifyBaseLogger extends WebhookLogger ? true : false = true;

interface Row {
  readonly delivery: DueDelivery;
  status: DeliveryOutcome['status'];
  attempts: number;
  next_attempt_at_ms: number;
  leased_until_ms: number;
  readonly log: DeliveryOutcome[];
}

/**
 * An in-memory outbox with the contract of DeliveryQueue: leases, attempt log, next due time.
 * It stands in for the database here because the HTTP side is what these tests exercise.
 */
class MemoryQueue implements DeliveryQueue {
  readonly rows = new Map<string, Row>();
  claim_failures_left = 0;
  #next_id = 0;

  add(fields: Partial<DueDelivery> & { url: string }, next_attempt_at_ms = 0): string {
    this.#next_id += 1;
    const delivery: DueDelivery = {
      delivery_id: `whd_${this.#next_id}`,
      event_id: `evt_${this.#next_id}`,
      endpoint_id: 'we_1',
      secrets: ['whsec_test'],
      body: JSON.stringify({ id: `evt_${this.#next_id}`, type: 'invoice.settled', note: 'café ☕' }),
      attempts: 0,
      event_created_at_ms: Date.now(),
      ...fields,
    };
    const row = { delivery, status: 'pending' as const, attempts: 0, next_attempt_at_ms, leased_until_ms: 0, log: [] };
    this.rows.set(delivery.delivery_id, row);
    return delivery.delivery_id;
  }

  row(id: string): Row {
    const row = this.rows.get(id);
    assert.ok(row, `no delivery ${id}`);
    return row;
  }

  async claimDue(now_ms: number, limit: number, lease_ms: number): Promise<DueDelivery[]> {
    if (this.claim_failures_left > 0) {
      this.claim_failures_left -= 1;
      throw new Error('database is down');
    }
    const due = [...this.rows.values()]
      .filter((row) => row.status === 'pending' && row.next_attempt_at_ms <= now_ms && row.leased_until_ms <= now_ms)
      .sort((a, b) => a.next_attempt_at_ms - b.next_attempt_at_ms)
      .slice(0, limit);
    for (const row of due) row.leased_until_ms = now_ms + lease_ms;
    return due.map((row) => ({ ...row.delivery, attempts: row.attempts }));
  }

  async record(outcome: DeliveryOutcome): Promise<void> {
    const row = this.row(outcome.delivery_id);
    row.log.push(outcome);
    row.attempts += 1;
    row.status = outcome.status;
    row.next_attempt_at_ms = outcome.next_attempt_at_ms ?? row.next_attempt_at_ms;
    row.leased_until_ms = 0;
  }

  async nextDueAt(): Promise<number | undefined> {
    const times = [...this.rows.values()]
      .filter((row) => row.status === 'pending')
      .map((row) => Math.max(row.next_attempt_at_ms, row.leased_until_ms));
    return times.length === 0 ? undefined : Math.min(...times);
  }
}

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly url: string;
  readonly at_ms: number;
}

type Handler = (request: IncomingMessage, response: ServerResponse, index: number) => void;

/** A real HTTP receiver on 127.0.0.1; `handler` sees the request after its body has arrived. */
async function receiver(t: TestContext, handler: Handler) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: request.headers, body, url: request.url ?? '', at_ms: performance.now() });
      handler(request, response, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${port}/hooks?store=st_1`, port, received };
}

const answer =
  (...statuses: number[]): Handler =>
  (_request, response, index) => {
    response.writeHead(statuses[Math.min(index, statuses.length - 1)] ?? 200).end('{"received":true}');
  };

function collectingLogger() {
  const entries: { level: 'warn' | 'error'; obj: object; msg: string }[] = [];
  const logger: WebhookLogger = {
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj, msg }),
  };
  return { logger, entries };
}

function startWorker(t: TestContext, queue: MemoryQueue, options: Partial<WebhookWorkerOptions> = {}) {
  const worker = new WebhookWorker({
    queue,
    allow_private: true,
    retry_base_ms: 10,
    timeout_ms: 2_000,
    logger: collectingLogger().logger,
    ...options,
  });
  worker.start();
  t.after(() => worker.close());
  return worker;
}

async function waitFor(what: string, condition: () => boolean, timeout_ms = 5_000): Promise<void> {
  const deadline_ms = Date.now() + timeout_ms;
  while (!condition()) {
    if (Date.now() > deadline_ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hmacHex(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

function parseSignature(header: string | string[] | undefined): { t: string; v1: string[] } {
  assert.equal(typeof header, 'string');
  const parts = String(header)
    .split(',')
    .map((part) => part.split('=') as [string, string]);
  assert.equal(parts[0]?.[0], 't');
  assert.ok(parts.slice(1).every(([key]) => key === 'v1'));
  return { t: parts[0]?.[1] ?? '', v1: parts.slice(1).map(([, value]) => value) };
}

/** A throwaway self-signed certificate for "localhost", made with the openssl CLI; undefined without it. */
function selfSignedCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1']
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost'])
        .concat(['-addext', 'subjectAltName=DNS:localhost']),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('WebhookWorker', () => {
  test('the Fastify logger can be passed as the worker logger', () => {
    assert.equal(fastifyLoggerFits, true);
  });

  test('delivers once with the documented headers and the exact body bytes', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);

    const [outcome] = queue.row(id).log;
    assert.equal(outcome?.status, 'succeeded');
    assert.equal(outcome?.status_code, 200);
    assert.equal(outcome?.error, null);
    assert.equal(outcome?.next_attempt_at_ms, null);
    assert.equal(site.received.length, 1);
    const [request] = site.received;
    const delivery = queue.row(id).delivery;
    assert.equal(request?.url, '/hooks?store=st_1');
    assert.equal(request?.body, delivery.body);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['content-length'], String(Buffer.byteLength(delivery.body)));
    assert.equal(request?.headers['user-agent'], 'WebWallet-Webhooks/1');
    assert.equal(request?.headers['webwallet-event-id'], delivery.event_id);
    assert.equal(request?.headers['webwallet-delivery-id'], delivery.delivery_id);
    assert.equal(request?.headers.host, `127.0.0.1:${site.port}`);
  });

  test('a host name is resolved once and connected to, keeping the name in Host', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    const id = queue.add({ url: `http://localhost:${site.port}/hooks` });
    startWorker(t, queue, { allow_private: true }).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);
    assert.equal(queue.row(id).log[0]?.status, 'succeeded');
    assert.equal(site.received[0]?.headers.host, `localhost:${site.port}`);
  });

  test('https: sends the URL host as SNI and verifies the certificate (an untrusted one is retried)', async (t) => {
    const tls = selfSignedCertificate();
    if (tls === undefined) {
      t.skip('the openssl CLI is not available');
      return;
    }
    const servernames: string[] = [];
    const server = createHttpsServer(
      {
        ...tls,
        SNICallback: (servername, callback) => {
          servernames.push(servername);
          callback(null, createSecureContext(tls));
        },
      },
      (_request, response) => response.writeHead(200).end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const queue = new MemoryQueue();
    const id = queue.add({ url: `https://localhost:${port}/hooks` });
    startWorker(t, queue, { retry_base_ms: 60_000 }).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);

    const [outcome] = queue.row(id).log;
    assert.equal(outcome?.status, 'pending');
    assert.equal(outcome?.status_code, null);
    assert.match(outcome?.error ?? '', /certificate/i);
    assert.deepEqual(servernames, ['localhost']);
  });

  test('the signature verifies with the secret over "<t>.<raw body>" and t is now', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url, secrets: ['whsec_abcdef'] });
    startWorker(t, queue).wake();
    await waitFor('the request', () => site.received.length === 1);

    const request = site.received[0];
    const signature = parseSignature(request?.headers['webwallet-signature']);
    assert.equal(signature.v1.length, 1);
    assert.equal(signature.v1[0], hmacHex('whsec_abcdef', signature.t, request?.body ?? ''));
    assert.ok(Math.abs(Number(signature.t) - Date.now() / 1000) < 5);
    assert.equal(request?.body, queue.row(id).delivery.body);
  });

  test('during a rotation the signature carries one v1 per secret, newest first', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    queue.add({ url: site.url, secrets: ['whsec_new', 'whsec_old'] });
    startWorker(t, queue).wake();
    await waitFor('the request', () => site.received.length === 1);

    const request = site.received[0];
    const signature = parseSignature(request?.headers['webwallet-signature']);
    assert.deepEqual(signature.v1, [
      hmacHex('whsec_new', signature.t, request?.body ?? ''),
      hmacHex('whsec_old', signature.t, request?.body ?? ''),
    ]);
  });

  test('500, 500, then 200: three attempts logged, exactly one success, growing delays', async (t) => {
    const site = await receiver(t, answer(500, 500, 200));
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue).wake();
    await waitFor('three attempts', () => queue.row(id).log.length === 3);
    await settle(50);

    const log = queue.row(id).log;
    assert.equal(log.length, 3);
    assert.deepEqual(
      log.map((entry) => [entry.status, entry.status_code, entry.error]),
      [
        ['pending', 500, 'HTTP 500'],
        ['pending', 500, 'HTTP 500'],
        ['succeeded', 200, null],
      ],
    );
    assert.equal(log.filter((entry) => entry.status === 'succeeded').length, 1);
    const delays_ms = log.slice(0, 2).map((entry) => (entry.next_attempt_at_ms ?? 0) - entry.attempted_at_ms);
    assert.ok(delays_ms[0]! >= 8 && delays_ms[0]! <= 10 + 50, `first delay ${delays_ms[0]}`);
    assert.ok(delays_ms[1]! >= 16 && delays_ms[1]! <= 20 + 50, `second delay ${delays_ms[1]}`);
    assert.equal(site.received.length, 3);
    assert.equal(queue.row(id).status, 'succeeded');
  });

  test('410 fails at once and is not retried', async (t) => {
    const site = await receiver(t, answer(410));
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);
    await settle(100);

    assert.deepEqual(
      queue.row(id).log.map((entry) => [entry.status, entry.status_code, entry.next_attempt_at_ms]),
      [['failed', 410, null]],
    );
    assert.equal(site.received.length, 1);
  });

  test('429 and 408 are retried', async (t) => {
    const site = await receiver(t, answer(429, 408, 204));
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue).wake();
    await waitFor('success', () => queue.row(id).status === 'succeeded');
    assert.deepEqual(
      queue.row(id).log.map((entry) => [entry.status, entry.status_code]),
      [
        ['pending', 429],
        ['pending', 408],
        ['succeeded', 204],
      ],
    );
  });

  test('a redirect is not followed and fails for good', async (t) => {
    const elsewhere = await receiver(t, answer(200));
    const site = await receiver(t, (_request, response) => {
      response.writeHead(302, { location: elsewhere.url }).end();
    });
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);
    await settle(50);

    const [outcome] = queue.row(id).log;
    assert.equal(outcome?.status, 'failed');
    assert.equal(outcome?.status_code, 302);
    assert.match(outcome?.error ?? '', /redirect .* not followed/);
    assert.equal(elsewhere.received.length, 0);
  });

  test('a receiver that does not answer in time is retried after a timeout', async (t) => {
    const site = await receiver(t, () => {}); // holds every request open
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue, { timeout_ms: 100, retry_base_ms: 60_000 }).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);

    const [outcome] = queue.row(id).log;
    assert.equal(outcome?.status, 'pending');
    assert.equal(outcome?.status_code, null);
    assert.match(outcome?.error ?? '', /^timeout: no answer within 100 ms$/);
    assert.ok((outcome?.duration_ms ?? 0) >= 90, `duration ${outcome?.duration_ms}`);
    assert.ok((outcome?.next_attempt_at_ms ?? 0) >= (outcome?.attempted_at_ms ?? 0) + 48_000);
  });

  test('a refused connection is retried', async (t) => {
    const closed = await receiver(t, answer(200));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve)); // nothing listens on port now
    const queue = new MemoryQueue();
    const id = queue.add({ url: `http://127.0.0.1:${port}/hooks` });
    startWorker(t, queue, { retry_base_ms: 60_000 }).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);

    const [outcome] = queue.row(id).log;
    assert.equal(outcome?.status, 'pending');
    assert.equal(outcome?.status_code, null);
    assert.match(outcome?.error ?? '', /ECONNREFUSED/);
    assert.equal(closed.received.length, 0);
  });

  test('private and loopback targets are refused without a request when allow_private is off', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    const literal = queue.add({ url: site.url });
    const named = queue.add({ url: `http://localhost:${site.port}/hooks` });
    const mapped = queue.add({ url: `http://[::ffff:127.0.0.1]:${site.port}/hooks` });
    const { logger, entries } = collectingLogger();
    startWorker(t, queue, { allow_private: false, logger }).wake();
    await waitFor('three outcomes', () => [literal, named, mapped].every((id) => queue.row(id).log.length === 1));
    await settle(50);

    for (const id of [literal, named, mapped]) {
      const [outcome] = queue.row(id).log;
      assert.equal(outcome?.status, 'failed');
      assert.equal(outcome?.status_code, null);
      assert.match(outcome?.error ?? '', /^webhook_url_forbidden: /);
    }
    assert.equal(site.received.length, 0);
    assert.equal(entries.filter((entry) => entry.level === 'warn').length, 3);
  });

  test('an invalid stored URL fails without a request', async (t) => {
    const queue = new MemoryQueue();
    const id = queue.add({ url: 'ftp://example.com/hooks' });
    startWorker(t, queue).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);
    assert.match(queue.row(id).log[0]?.error ?? '', /^webhook_url_invalid: /);
    assert.equal(queue.row(id).status, 'failed');
  });

  test('retries end when the next one would fall beyond 3 days after the event', async (t) => {
    const site = await receiver(t, answer(503));
    const now_ms = Date.UTC(2030, 0, 1);
    const queue = new MemoryQueue();
    const late = queue.add({ url: site.url, event_created_at_ms: now_ms - RETRY_WINDOW_MS + 30_000, attempts: 0 });
    const early = queue.add({ url: site.url, event_created_at_ms: now_ms - RETRY_WINDOW_MS + 3_600_000 });
    startWorker(t, queue, { clock: () => now_ms, retry_base_ms: 60_000 }).wake();
    await waitFor('two outcomes', () => queue.row(late).log.length === 1 && queue.row(early).log.length === 1);

    assert.deepEqual(
      queue.row(late).log.map((entry) => [entry.status, entry.status_code, entry.next_attempt_at_ms]),
      [['failed', 503, null]],
    );
    const [retry] = queue.row(early).log;
    assert.equal(retry?.status, 'pending');
    assert.equal(retry?.attempted_at_ms, now_ms);
    assert.ok((retry?.next_attempt_at_ms ?? 0) > now_ms + 48_000 - 1);
  });

  test('reads at most 64 KiB of a huge response and still succeeds', async (t) => {
    const site = await receiver(t, (_request, response) => {
      response.on('error', () => {}); // the worker hangs up mid-body
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!response.destroyed && response.write(chunk)) {}
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    startWorker(t, queue, { timeout_ms: 5_000 }).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);
    assert.equal(queue.row(id).log[0]?.status, 'succeeded');
    assert.ok((queue.row(id).log[0]?.duration_ms ?? Infinity) < 2_000);
  });

  test('keeps no more than `concurrency` attempts in flight', async (t) => {
    let open = 0;
    let open_max = 0;
    const site = await receiver(t, (_request, response) => {
      open += 1;
      open_max = Math.max(open_max, open);
      setTimeout(() => {
        open -= 1;
        response.writeHead(200).end();
      }, 30);
    });
    const queue = new MemoryQueue();
    const ids = Array.from({ length: 10 }, () => queue.add({ url: site.url }));
    startWorker(t, queue, { concurrency: 3 }).wake();
    await waitFor('all outcomes', () => ids.every((id) => queue.row(id).status === 'succeeded'));
    assert.equal(open_max, 3);
    assert.equal(site.received.length, 10);
  });

  test('survives queue failures: logs them, pauses, and carries on', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    queue.claim_failures_left = 2;
    const id = queue.add({ url: site.url });
    const { logger, entries } = collectingLogger();
    startWorker(t, queue, { logger, queue_error_pause_ms: 20 }).wake();
    await waitFor('the outcome', () => queue.row(id).log.length === 1);
    assert.equal(queue.row(id).status, 'succeeded');
    assert.equal(entries.filter((entry) => entry.level === 'error').length, 2);
  });

  test('a failing record() is logged and the loop goes on', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    const original = queue.record.bind(queue);
    let failures_left = 1;
    queue.record = async (outcome) => {
      if (failures_left-- > 0) throw new Error('write failed');
      await original(outcome);
    };
    const first = queue.add({ url: site.url });
    const { logger, entries } = collectingLogger();
    const worker = startWorker(t, queue, { logger });
    worker.wake();
    await waitFor('the failed record', () => entries.length === 1);
    assert.match(entries[0]?.msg ?? '', /recording a webhook attempt failed/);
    assert.deepEqual(queue.row(first).log, []);

    const second = queue.add({ url: site.url });
    worker.wake();
    await waitFor('the next outcome', () => queue.row(second).log.length === 1);
  });

  test('wake() starts the POST within milliseconds', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    const worker = startWorker(t, queue, { idle_poll_ms: 60_000 });
    await settle(20); // let the loop go idle
    const latencies_ms: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      const id = queue.add({ url: site.url });
      const woken_ms = performance.now();
      worker.wake();
      await waitFor('the request', () => site.received.length === round + 1);
      latencies_ms.push((site.received[round]?.at_ms ?? Infinity) - woken_ms);
      await waitFor('the outcome', () => queue.row(id).log.length === 1);
    }
    latencies_ms.sort((a, b) => a - b);
    t.diagnostic(
      `wake → request received: median ${latencies_ms[10]?.toFixed(1)} ms, max ${latencies_ms[19]?.toFixed(1)} ms`,
    );
    assert.ok((latencies_ms[10] ?? Infinity) < 50, `median ${latencies_ms[10]} ms`);
  });

  test('without wake(), a due delivery is picked up by the idle poll', async (t) => {
    const site = await receiver(t, answer(200));
    const queue = new MemoryQueue();
    startWorker(t, queue, { idle_poll_ms: 30 });
    await settle(10);
    const id = queue.add({ url: site.url });
    await waitFor('the outcome', () => queue.row(id).log.length === 1, 1_000);
  });

  test('close() stops claiming and waits for the attempt in flight to be recorded', async (t) => {
    const site = await receiver(t, (_request, response) => {
      setTimeout(() => response.writeHead(200).end(), 100);
    });
    const queue = new MemoryQueue();
    const id = queue.add({ url: site.url });
    const worker = new WebhookWorker({
      queue,
      allow_private: true,
      retry_base_ms: 10,
      logger: collectingLogger().logger,
    });
    worker.start();
    worker.wake();
    await waitFor('the request', () => site.received.length === 1);
    await worker.close();
    assert.equal(queue.row(id).log[0]?.status, 'succeeded');

    const later = queue.add({ url: site.url });
    worker.wake();
    await settle(50);
    assert.deepEqual(queue.row(later).log, []);
  });

  test('rejects nonsensical options', () => {
    const queue = new MemoryQueue();
    assert.throws(() => new WebhookWorker({ queue, allow_private: false, retry_base_ms: 0 }), RangeError);
    assert.throws(
      () => new WebhookWorker({ queue, allow_private: false, retry_base_ms: 1, concurrency: 0 }),
      RangeError,
    );
    assert.throws(
      () => new WebhookWorker({ queue, allow_private: false, retry_base_ms: 1, batch_size: 1.5 }),
      RangeError,
    );
  });
});
