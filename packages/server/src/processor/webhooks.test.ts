import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { signWebhookPayload, verifyWebhook, WebhookVerificationError } from '@webwallet/merchant';
import { assertErrorShape } from '../test-helpers.js';
import { ENGINES, eventually, postgresMissing, startProcessorNode, type TestNode } from './test-support.js';

interface Received {
  readonly body: string;
  readonly signature: string;
  readonly event_id: string;
  readonly status: number;
}

/** A real receiver that fails the first `failures` attempts of every event with a 500. */
async function receiver(failures: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event_id = String(request.headers['webwallet-event-id']);
      const seen = (attempts.get(event_id) ?? 0) + 1;
      attempts.set(event_id, seen);
      const status = seen <= failures ? 500 : 200;
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(request.headers['webwallet-signature']),
        event_id,
        status,
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

for (const name of ['sqlite', 'postgres'] as const) {
  const engine = ENGINES.find((e) => e.name === name);
  describe(`webhooks on ${name}`, () => {
    let node: TestNode;
    let key: string;
    before(async () => {
      if (!engine) return;
      node = await startProcessorNode(engine);
      key = (await node.call('POST', '/v1/merchants', node.adminToken, { name: 'Hooks' })).body.keys.test;
    });
    after(async () => {
      if (engine) await node.stop();
    });
    const skip = (t: { skip(reason: string): void }) => {
      if (engine) return false;
      const reason = postgresMissing();
      if (reason) t.skip(reason);
      return true;
    };

    test('a receiver failing the first two attempts gets retries and exactly one successful delivery per event', async (t) => {
      if (skip(t)) return;
      const hook = await receiver(2);
      t.after(() => hook.server.close());
      const endpoint = await node.call('POST', '/v1/webhooks', key, { url: hook.url, events: ['*'] });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      const secret = endpoint.body.secret as string;
      assert.match(secret, /^whsec_/);
      const invoice = (await node.call('POST', '/v1/invoices', key, { amount: '2.00', currency: 'USD' })).body;
      await node.call('POST', `/v1/sandbox/invoices/${invoice.id}/pay`, key, { kind: 'exact' });
      // invoice.processing is skipped when a block seals the payment before the processor sees it.
      const expected = await eventually(async () => {
        const events = (await node.call('GET', '/v1/events?limit=200', key)).body.items as {
          type: string;
          data: { invoice?: { id: string } };
        }[];
        const mine = events.filter((e) => e.data.invoice?.id === invoice.id).map((e) => e.type);
        return mine.includes('invoice.settled') ? mine : undefined;
      });
      assert.ok(expected.length >= 3);
      const successes = await eventually(async () => {
        const ok = hook.received.filter((r) => r.status === 200);
        return ok.length >= expected.length ? ok : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may arrive
      const final = hook.received.filter((r) => r.status === 200);
      assert.equal(final.length, expected.length, 'one success per event');
      assert.equal(new Set(final.map((r) => r.event_id)).size, expected.length);
      for (const id of new Set(hook.received.map((r) => r.event_id))) {
        assert.equal(hook.received.filter((r) => r.event_id === id).length, 3, 'two failures, then the success');
      }
      const types = [];
      for (const delivery of successes) {
        const event = await verifyWebhook(delivery.body, delivery.signature, secret);
        assert.equal(event.id, delivery.event_id);
        types.push(event.type);
      }
      assert.deepEqual(types.sort(), [...expected].sort());
      const log = await node.call('GET', `/v1/webhooks/${endpoint.body.id}/deliveries`, key);
      assert.equal(log.body.items.length, expected.length);
      for (const d of log.body.items) {
        assert.equal(d.status, 'succeeded');
        assert.equal(d.attempts, 3);
        assert.equal(d.last_status_code, 200);
      }
      // Redelivery sends one event once more.
      const redo = await node.call(
        'POST',
        `/v1/webhooks/${endpoint.body.id}/deliveries/${log.body.items[0].id}/redeliver`,
        key,
      );
      assert.equal(redo.status, 200);
      await eventually(async () =>
        hook.received.filter((r) => r.status === 200).length > expected.length ? true : undefined,
      );
    });

    test('signatures: a tampered body, an old timestamp or another secret are rejected by the SDK', async (t) => {
      if (skip(t)) return;
      const hook = await receiver(0);
      t.after(() => hook.server.close());
      const endpoint = (await node.call('POST', '/v1/webhooks', key, { url: hook.url, events: ['invoice.created'] }))
        .body;
      await node.call('POST', '/v1/invoices', key, { amount: '1.00', currency: 'USD' });
      const [delivery] = await eventually(async () => (hook.received.length > 0 ? hook.received : undefined));
      assert.ok(delivery);
      const event = await verifyWebhook(delivery.body, delivery.signature, endpoint.secret);
      assert.equal(event.type, 'invoice.created');
      const reasons = async (body: string, header: string, secret: string, options = {}) => {
        try {
          await verifyWebhook(body, header, secret, options);
          return 'accepted';
        } catch (error) {
          assert.ok(error instanceof WebhookVerificationError);
          return error.reason;
        }
      };
      assert.equal(
        await reasons(delivery.body.replace('1.00', '9.00'), delivery.signature, endpoint.secret),
        'signature_mismatch',
      );
      assert.equal(await reasons(delivery.body, delivery.signature, 'whsec_other'), 'signature_mismatch');
      assert.equal(
        await reasons(delivery.body, delivery.signature, endpoint.secret, {
          now_s: Math.floor(Date.now() / 1000) + 301,
        }),
        'timestamp_outside_tolerance',
      );
      const old = await signWebhookPayload(delivery.body, endpoint.secret, Math.floor(Date.now() / 1000) - 600);
      assert.equal(await reasons(delivery.body, old, endpoint.secret), 'timestamp_outside_tolerance');
    });

    test('secret rotation: deliveries carry a signature for the new and the previous secret', async (t) => {
      if (skip(t)) return;
      const hook = await receiver(0);
      t.after(() => hook.server.close());
      const endpoint = (await node.call('POST', '/v1/webhooks', key, { url: hook.url, events: ['invoice.created'] }))
        .body;
      const rotated = (
        await node.call('POST', `/v1/webhooks/${endpoint.id}/rotate-secret`, key, { previous_valid_s: 3600 })
      ).body;
      assert.notEqual(rotated.secret, endpoint.secret);
      await node.call('POST', '/v1/invoices', key, { amount: '1.00', currency: 'USD' });
      const [delivery] = await eventually(async () => (hook.received.length > 0 ? hook.received : undefined));
      assert.equal(delivery!.signature.split(',').filter((p) => p.startsWith('v1=')).length, 2);
      await verifyWebhook(delivery!.body, delivery!.signature, endpoint.secret);
      await verifyWebhook(delivery!.body, delivery!.signature, rotated.secret);
    });

    test('webhook URLs are validated', async (t) => {
      if (skip(t)) return;
      for (const url of ['ftp://example.com/x', 'http://user:pw@example.com/', 'not a url']) {
        const response = await node.call('POST', '/v1/webhooks', key, { url, events: ['*'] });
        assert.equal(response.status, 422, url);
        assertErrorShape(response.body, 'webhook_url_invalid');
      }
      const unknown = await node.call('POST', '/v1/webhooks', key, {
        url: 'https://example.com/',
        events: ['invoice.paid'],
      });
      assert.equal(unknown.status, 400);
    });
  });
}

describe('webhook and rate-limit policy with default settings', () => {
  test('private and loopback targets are refused unless the operator allows them; keys are rate limited with Retry-After', async () => {
    const node = await startProcessorNode({ name: 'sqlite' }, { webhook_allow_private: false, rate_limit_per_s: 5 });
    try {
      const key = (await node.call('POST', '/v1/merchants', node.adminToken, { name: 'Strict' })).body.keys.test;
      for (const url of [
        'http://127.0.0.1:9/hook',
        'http://localhost/hook',
        'http://10.0.0.1/',
        'http://[::1]/',
        'http://169.254.169.254/',
      ]) {
        const response = await node.call('POST', '/v1/webhooks', key, { url, events: ['*'] });
        assert.equal(response.status, 422, url);
        assertErrorShape(response.body, 'webhook_url_forbidden');
      }
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 20; i++) {
        const response = await node.call('GET', '/v1/invoices', key);
        statuses.push(response.status);
        if (response.status === 429) {
          retryAfter = response.headers.get('retry-after');
          assertErrorShape(response.body, 'rate_limited');
        }
      }
      assert.ok(statuses.includes(429), statuses.join(','));
      assert.ok(Number(retryAfter) >= 1);
      const signup = await node.call('POST', '/v1/merchants', undefined, { name: 'Nobody' });
      assert.equal(signup.status, 403);
      assertErrorShape(signup.body, 'signup_closed');
    } finally {
      await node.stop();
    }
  });
});
