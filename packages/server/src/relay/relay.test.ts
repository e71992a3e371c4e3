import assert from 'node:assert/strict';
import { createCipheriv, randomBytes as nodeRandomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, fromBase64Url, generateKeyPair, type KeyPair, toBase64Url, utf8 } from '@webwallet/core';
import { ENGINES, postgresMissing, startProcessorNode, type TestNode } from '../processor/test-support.js';
import { assertErrorShape } from '../test-helpers.js';
import { relayAuthorization } from './auth.js';
import { MESSAGE_BODY_BYTES_MAX } from './routes.js';
import { RELAY_LIMITS, RelayStore } from './store.js';

interface Device {
  readonly keyPair: KeyPair;
  readonly key: string;
}

async function newDevice(): Promise<Device> {
  const keyPair = await generateKeyPair();
  return { keyPair, key: encodePrefixed('pub', keyPair.publicKey) };
}

const nowS = () => Math.floor(Date.now() / 1000);
/** Random bytes of any length (WebCrypto's getRandomValues stops at 64 KiB). */
const random = (length: number) => new Uint8Array(nodeRandomBytes(length));
/** What a wallet would post: AES-256-GCM of a plaintext under a key only the devices have. */
function encrypt(plaintext: string, key: Buffer): string {
  const iv = nodeRandomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return toBase64Url(sealed);
}

/**
 * The wallet sync relay over real HTTP against a real node, once per storage engine: membership,
 * device signatures, ordering, limits, pairing handoffs, and that the node keeps only ciphertext.
 */
for (const name of ['sqlite', 'postgres'] as const) {
  const engine = ENGINES.find((e) => e.name === name);
  describe(`sync relay on ${name}`, () => {
    let node: TestNode;
    let alice: Device;
    let bob: Device;

    before(async () => {
      if (!engine) return;
      node = await startProcessorNode(engine);
      [alice, bob] = [await newDevice(), await newDevice()];
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

    interface Options {
      t?: number;
      nonce?: string | null;
      /** Send this body instead of the signed one. */
      sentBody?: string;
      authorization?: string;
    }
    /** A request signed by `device`; a random nonce unless told otherwise. */
    const signed = async (device: Device, method: string, path: string, body?: unknown, options: Options = {}) => {
      const raw = body === undefined ? '' : JSON.stringify(body);
      const nonce = options.nonce === null ? undefined : (options.nonce ?? toBase64Url(random(12)));
      const authorization =
        options.authorization ??
        (await relayAuthorization(device.keyPair, { method, path, t: options.t ?? nowS(), body: utf8(raw), nonce }));
      return send(method, path, authorization, options.sentBody ?? (body === undefined ? undefined : raw));
    };
    const send = async (method: string, path: string, authorization: string | undefined, body?: string) => {
      const response = await fetch(node.url + path, {
        method,
        headers: {
          ...(authorization ? { authorization } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      // biome-ignore lint/suspicious/noExplicitAny: assertions check the shapes
      const parsed: any = text ? JSON.parse(text) : undefined;
      return { status: response.status, headers: response.headers, body: parsed };
    };
    const createMailbox = async (device: Device) => {
      const created = await signed(device, 'POST', '/v1/relay/mailboxes', {});
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.id as string;
    };
    const post = (device: Device, id: string, ciphertext: string, epoch = 0) =>
      signed(device, 'POST', `/v1/relay/mailboxes/${id}/messages`, { epoch, ciphertext });
    const read = (device: Device, id: string, query = '') =>
      signed(device, 'GET', `/v1/relay/mailboxes/${id}/messages${query}`);

    test('two devices share a mailbox: add, post from both, read in order, bytes round-trip exactly', async (t) => {
      if (skip(t)) return;
      const created = await signed(alice, 'POST', '/v1/relay/mailboxes', {});
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const id = created.body.id as string;
      assert.match(id, /^mbx_[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(
        created.body.devices.map((d: { device_key: string }) => d.device_key),
        [alice.key],
      );
      assert.equal(created.body.last_seq, 0);
      assert.deepEqual(created.body.limits, {
        devices_max: 32,
        messages_max: 1_000_000,
        mailbox_bytes_max: 1024 ** 3,
        message_bytes_max: 256 * 1024,
      });

      const added = await signed(alice, 'POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: bob.key });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.deepEqual(
        added.body.devices.map((d: { device_key: string }) => d.device_key).sort(),
        [alice.key, bob.key].sort(),
      );
      // Adding a member again changes nothing.
      const again = await signed(bob, 'POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: bob.key });
      assert.equal(again.status, 200);
      assert.equal(again.body.devices.length, 2);
      const listed = await signed(bob, 'GET', `/v1/relay/mailboxes/${id}`);
      assert.equal(listed.status, 200);
      for (const device of listed.body.devices) assert.ok(!Number.isNaN(Date.parse(device.added_at)));

      // Every byte value, and random bytes of odd lengths (base64url with and without a tail).
      const payloads = [Uint8Array.from({ length: 256 }, (_, i) => i), random(1), random(1000), random(32_767)];
      const authors = [alice, bob, alice, bob];
      const seqs: number[] = [];
      for (const [i, payload] of payloads.entries()) {
        const posted = await post(authors[i]!, id, toBase64Url(payload), 7 + i);
        assert.equal(posted.status, 201, JSON.stringify(posted.body));
        seqs.push(posted.body.seq);
      }
      assert.deepEqual(seqs, [1, 2, 3, 4]);

      for (const reader of [alice, bob]) {
        const page = await read(reader, id);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.deepEqual(
          page.body.items.map((m: { seq: number }) => m.seq),
          [1, 2, 3, 4],
        );
        for (const [i, item] of page.body.items.entries()) {
          assert.equal(item.device_key, authors[i]!.key);
          assert.equal(item.epoch, 7 + i);
          const bytes = fromBase64Url(item.ciphertext);
          assert.ok(bytes.ok);
          assert.deepEqual(bytes.value, payloads[i]);
        }
        assert.equal(page.body.next_after, 4);
        assert.equal(page.body.has_more, false);
      }
      const first = await read(bob, id, '?limit=3');
      assert.deepEqual(
        first.body.items.map((m: { seq: number }) => m.seq),
        [1, 2, 3],
      );
      assert.equal(first.body.has_more, true);
      const rest = await read(bob, id, `?after=${first.body.next_after}&limit=3`);
      assert.deepEqual(
        rest.body.items.map((m: { seq: number }) => m.seq),
        [4],
      );
      assert.equal(rest.body.has_more, false);
      const none = await read(bob, id, '?after=4');
      assert.deepEqual(none.body, { items: [], next_after: 4, has_more: false });
      const box = await signed(alice, 'GET', `/v1/relay/mailboxes/${id}`);
      assert.equal(box.body.last_seq, 4);
      assert.equal(box.body.message_count, 4);
      assert.equal(
        box.body.message_bytes,
        payloads.reduce((sum, p) => sum + p.length, 0),
      );
    });

    test('the node stores only what the client sent, and no plaintext', async (t) => {
      if (skip(t)) return;
      const id = await createMailbox(alice);
      const key = nodeRandomBytes(32);
      const plaintext = `receipt for order ${toBase64Url(random(12))}: 12.34 EUR at Corner Books`;
      const ciphertext = encrypt(plaintext, key);
      const posted = await post(alice, id, ciphertext, 3);
      assert.equal(posted.status, 201);
      const pairingPlain = `pairing secret ${toBase64Url(random(12))}`;
      const pairingCipher = encrypt(pairingPlain, key);
      const pairing = await send(
        'POST',
        '/v1/relay/pairings',
        undefined,
        JSON.stringify({ ciphertext: pairingCipher }),
      );
      assert.equal(pairing.status, 201);

      const db = node.processor.options.db;
      const rows = await db.all<Record<string, unknown>>('SELECT * FROM relay_messages WHERE mailbox_id = ?', [id]);
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.deepEqual(Object.keys(row).sort(), [
        'bytes',
        'ciphertext',
        'created_at_ms',
        'device_key',
        'epoch',
        'mailbox_id',
        'seq',
      ]);
      assert.equal(row.ciphertext, ciphertext, 'the ciphertext text is stored exactly as sent');
      assert.equal(row.device_key, alice.key);
      assert.equal(Number(row.epoch), 3);
      assert.equal(Number(row.bytes), Buffer.from(ciphertext, 'base64url').length);
      const stored = [
        ...(await db.all<Record<string, unknown>>('SELECT * FROM relay_messages')),
        ...(await db.all<Record<string, unknown>>('SELECT * FROM relay_pairings')),
        ...(await db.all<Record<string, unknown>>('SELECT * FROM relay_mailboxes')),
        ...(await db.all<Record<string, unknown>>('SELECT * FROM relay_devices')),
      ];
      const text = JSON.stringify(stored);
      assert.ok(text.includes(pairingCipher));
      for (const secret of [plaintext, pairingPlain, 'Corner Books']) assert.ok(!text.includes(secret), secret);
      if (name === 'sqlite') {
        // The database files themselves: the ciphertext is there, the plaintext is not.
        const files = ['processor.db', 'processor.db-wal'].map((f) => {
          try {
            return readFileSync(join(node.config.data_dir, f));
          } catch {
            return Buffer.alloc(0);
          }
        });
        const all = Buffer.concat(files);
        assert.ok(all.includes(ciphertext), 'the check reads the right files');
        for (const secret of [plaintext, pairingPlain, 'Corner Books']) assert.ok(!all.includes(secret), secret);
      }
    });

    test('a stranger with a valid signature gets 403; unknown mailboxes get 404', async (t) => {
      if (skip(t)) return;
      const id = await createMailbox(alice);
      const stranger = await newDevice();
      for (const [method, path, body] of [
        ['GET', `/v1/relay/mailboxes/${id}`, undefined],
        ['GET', `/v1/relay/mailboxes/${id}/messages`, undefined],
        ['POST', `/v1/relay/mailboxes/${id}/messages`, { epoch: 0, ciphertext: 'AAAA' }],
        ['POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: stranger.key }],
        ['DELETE', `/v1/relay/mailboxes/${id}/devices/${alice.key}`, undefined],
        ['DELETE', `/v1/relay/mailboxes/${id}/messages?before=10`, undefined],
      ] as const) {
        const refused = await signed(stranger, method, path, body);
        assert.equal(refused.status, 403, `${method} ${path}`);
        assertErrorShape(refused.body, 'relay_not_member');
      }
      // A refusal for lack of membership is forgotten: the same signed request is refused again, not called a replay.
      const authorization = await relayAuthorization(stranger.keyPair, {
        method: 'GET',
        path: `/v1/relay/mailboxes/${id}`,
        t: nowS(),
        body: new Uint8Array(),
      });
      for (let i = 0; i < 2; i++) {
        assertErrorShape((await send('GET', `/v1/relay/mailboxes/${id}`, authorization)).body, 'relay_not_member');
      }
      const missing = `mbx_${toBase64Url(random(16))}`;
      const notFound = await signed(alice, 'GET', `/v1/relay/mailboxes/${missing}`);
      assert.equal(notFound.status, 404);
      assertErrorShape(notFound.body, 'mailbox_not_found');
      assertErrorShape((await post(alice, missing, 'AAAA')).body, 'mailbox_not_found');
      const malformed = await signed(alice, 'GET', '/v1/relay/mailboxes/not-a-mailbox');
      assert.equal(malformed.status, 400);
      assertErrorShape(malformed.body, 'invalid_request');
    });

    test('bad signatures, stale or future t, replays and malformed headers get 401', async (t) => {
      if (skip(t)) return;
      const id = await createMailbox(alice);
      const path = `/v1/relay/mailboxes/${id}/messages`;
      const body = { epoch: 0, ciphertext: 'AAAA' };
      const expect401 = (response: { status: number; headers: Headers; body: unknown }, code: string) => {
        assert.equal(response.status, 401, JSON.stringify(response.body));
        assert.equal(response.headers.get('www-authenticate'), 'WebWallet-Device');
        return assertErrorShape(response.body, code);
      };
      // The body sent is not the body signed.
      expect401(
        await signed(alice, 'POST', path, body, { sentBody: JSON.stringify({ epoch: 1, ciphertext: 'AAAA' }) }),
        'relay_auth_invalid',
      );
      // Same JSON value, different bytes: the signature covers the raw body, not its meaning.
      expect401(
        await signed(alice, 'POST', path, body, { sentBody: JSON.stringify(body, null, 1) }),
        'relay_auth_invalid',
      );
      // Signed for another path (query included) or method.
      const other = await relayAuthorization(alice.keyPair, {
        method: 'GET',
        path: `${path}?after=0`,
        t: nowS(),
        body: new Uint8Array(),
      });
      expect401(await send('GET', `${path}?after=1`, other), 'relay_auth_invalid');
      expect401(await send('DELETE', `${path}?after=0`, other), 'relay_auth_invalid');
      // Alice's key named, Bob's signature.
      const forged = (
        await relayAuthorization(bob.keyPair, { method: 'GET', path, t: nowS(), body: new Uint8Array() })
      ).replace(bob.key, alice.key);
      expect401(await send('GET', path, forged), 'relay_auth_invalid');
      // Clock skew, both ways.
      const stale = expect401(await signed(alice, 'GET', path, undefined, { t: nowS() - 301 }), 'relay_clock_skew');
      assert.ok(Math.abs(Number(stale.details.server_time_s) - nowS()) <= 2);
      assert.equal(stale.details.skew_s_max, 300);
      expect401(await signed(alice, 'GET', path, undefined, { t: nowS() + 301 }), 'relay_clock_skew');
      assert.equal((await signed(alice, 'GET', path, undefined, { t: nowS() - 250 })).status, 200);
      // Malformed or missing headers.
      for (const authorization of [
        undefined,
        'Bearer abc',
        'WebWallet-Device key=pub_x,t=1,sig=sig_y',
        `WebWallet-Device key=${alice.key},t=-1,sig=sig_y`,
        `WebWallet-Device key=${alice.key},t=${nowS()}`,
        `WebWallet-Device key=${alice.key},key=${alice.key},t=${nowS()},sig=sig_y`,
        `WebWallet-Device key=${alice.key},t=${nowS()},n=no spaces,sig=sig_y`,
      ]) {
        expect401(await send('GET', path, authorization), 'relay_auth_invalid');
      }
      // Replays: the same signed request twice, for a post and for a read.
      const postAuth = await relayAuthorization(alice.keyPair, {
        method: 'POST',
        path,
        t: nowS(),
        body: utf8(JSON.stringify(body)),
      });
      assert.equal((await send('POST', path, postAuth, JSON.stringify(body))).status, 201);
      expect401(await send('POST', path, postAuth, JSON.stringify(body)), 'relay_replayed');
      const getAuth = await relayAuthorization(alice.keyPair, {
        method: 'GET',
        path,
        t: nowS(),
        body: new Uint8Array(),
      });
      assert.equal((await send('GET', path, getAuth)).status, 200);
      expect401(await send('GET', path, getAuth), 'relay_replayed');
      // Only one message went in.
      assert.equal((await read(alice, id)).body.items.length, 1);
      // Parameters in another order, with spaces, and no nonce, are fine.
      const tS = nowS();
      const plain = await relayAuthorization(alice.keyPair, {
        method: 'GET',
        path: `${path}?limit=1`,
        t: tS,
        body: new Uint8Array(),
      });
      const [, key, time, sig] = /key=(\S+),t=(\d+),sig=(\S+)/.exec(plain)!;
      assert.equal(
        (await send('GET', `${path}?limit=1`, `WebWallet-Device sig=${sig}, t=${time}, key=${key}`)).status,
        200,
      );
      // A malformed body from a real member is a 4xx, never a 500.
      const broken = await signed(alice, 'POST', path, body, { sentBody: '{"epoch":' });
      assert.equal(broken.status, 400);
      assertErrorShape(broken.body, 'invalid_json');
    });

    test('a removed device can no longer read or post; removing the last deletes the mailbox', async (t) => {
      if (skip(t)) return;
      const carol = await newDevice();
      const id = await createMailbox(alice);
      for (const device of [bob, carol]) {
        assert.equal(
          (await signed(alice, 'POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: device.key })).status,
          200,
        );
      }
      assert.equal((await post(bob, id, 'AAAA')).status, 201);
      assert.equal((await read(carol, id)).status, 200);
      // Carol removes Bob: any member may.
      const removed = await signed(carol, 'DELETE', `/v1/relay/mailboxes/${id}/devices/${bob.key}`);
      assert.equal(removed.status, 204, JSON.stringify(removed.body));
      for (const response of [
        await read(bob, id),
        await post(bob, id, 'AQID', 1),
        await signed(bob, 'GET', `/v1/relay/mailboxes/${id}`),
        await signed(bob, 'POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: bob.key }),
      ]) {
        assert.equal(response.status, 403);
        assertErrorShape(response.body, 'relay_not_member');
      }
      const box = await signed(alice, 'GET', `/v1/relay/mailboxes/${id}`);
      assert.deepEqual(
        box.body.devices.map((d: { device_key: string }) => d.device_key).sort(),
        [alice.key, carol.key].sort(),
      );
      const notMember = await signed(alice, 'DELETE', `/v1/relay/mailboxes/${id}/devices/${bob.key}`);
      assert.equal(notMember.status, 404);
      assertErrorShape(notMember.body, 'relay_device_not_found');
      const badKey = await signed(alice, 'DELETE', `/v1/relay/mailboxes/${id}/devices/pub_short`);
      assert.equal(badKey.status, 400);
      // Alice leaves, then Carol: the mailbox and its messages go with the last member.
      assert.equal((await signed(alice, 'DELETE', `/v1/relay/mailboxes/${id}/devices/${alice.key}`)).status, 204);
      assertErrorShape((await read(alice, id)).body, 'relay_not_member');
      assert.equal((await signed(carol, 'DELETE', `/v1/relay/mailboxes/${id}/devices/${carol.key}`)).status, 204);
      assertErrorShape((await read(carol, id)).body, 'mailbox_not_found');
      const db = node.processor.options.db;
      const left = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM relay_messages WHERE mailbox_id = ?', [id]);
      assert.equal(Number(left?.n), 0);
    });

    test('size and count limits give coded 4xx, never 500', async (t) => {
      if (skip(t)) return;
      const id = await createMailbox(alice);
      const max = RELAY_LIMITS.message_bytes_max;
      assert.equal((await post(alice, id, toBase64Url(random(max)))).status, 201);
      const over = await post(alice, id, toBase64Url(random(max + 1)));
      assert.equal(over.status, 413);
      assert.deepEqual(assertErrorShape(over.body, 'relay_limit_exceeded').details, {
        limit: 'message_bytes_max',
        max,
        bytes: max + 1,
      });
      const huge = await post(alice, id, toBase64Url(random(MESSAGE_BODY_BYTES_MAX)));
      assert.equal(huge.status, 413);
      assert.equal(assertErrorShape(huge.body, 'payload_too_large').details.body_bytes_max, MESSAGE_BODY_BYTES_MAX);
      for (const body of [
        { epoch: 0, ciphertext: 'AB' }, // non-canonical trailing bits
        { epoch: 0, ciphertext: 'AAA=' }, // padding
        { epoch: 0, ciphertext: 'A' }, // too short
        { epoch: -1, ciphertext: 'AAAA' },
        { epoch: 1.5, ciphertext: 'AAAA' },
        { epoch: 0 },
        { epoch: 0, ciphertext: 'AAAA', plaintext: 'x' },
      ]) {
        const refused = await signed(alice, 'POST', `/v1/relay/mailboxes/${id}/messages`, body);
        assert.equal(refused.status, 400, JSON.stringify(body));
        assertErrorShape(refused.body, 'invalid_request');
      }
      for (const query of ['?limit=501', '?limit=0', '?after=-1', '?after=x', '?since=1']) {
        const refused = await read(alice, id, query);
        assert.equal(refused.status, 400, query);
        assertErrorShape(refused.body, 'invalid_request');
      }
      // 32 devices at most.
      for (let i = 1; i < RELAY_LIMITS.devices_max; i++) {
        const added = await signed(alice, 'POST', `/v1/relay/mailboxes/${id}/devices`, {
          device_key: (await newDevice()).key,
        });
        assert.equal(added.status, 200, JSON.stringify(added.body));
      }
      const full = await signed(alice, 'POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: bob.key });
      assert.equal(full.status, 413);
      assert.deepEqual(assertErrorShape(full.body, 'relay_limit_exceeded').details, { limit: 'devices_max', max: 32 });

      // Mailbox totals, with small limits on the same database.
      const store = new RelayStore({
        db: node.processor.options.db,
        limits: { messages_max: 3, mailbox_bytes_max: 10 },
      });
      const box = await store.createMailbox(alice.key);
      const message = (bytes: number) => ({ epoch: 0, ciphertext: toBase64Url(random(bytes)), bytes });
      for (let i = 0; i < 3; i++)
        assert.ok(!((await store.postMessage(box.id, alice.key, message(2))) instanceof Error));
      const tooMany = await store.postMessage(box.id, alice.key, message(1));
      assert.ok(tooMany instanceof Error);
      assert.deepEqual(tooMany.details, { limit: 'messages_max', max: 3 });
      const trimmed = await store.trimMessages(box.id, alice.key, 3);
      assert.deepEqual(trimmed, { deleted: 2, has_more: false });
      const tooBig = await store.postMessage(box.id, alice.key, message(9));
      assert.ok(tooBig instanceof Error);
      assert.deepEqual(tooBig.details, { limit: 'mailbox_bytes_max', max: 10, used: 2 });
      const fits = await store.postMessage(box.id, alice.key, message(8));
      assert.deepEqual(fits instanceof Error ? fits : fits.seq, 4, 'seqs are never reused');

      // Pairings: 16 KiB decoded, 60..900 s.
      const pairing = (body: unknown) => send('POST', '/v1/relay/pairings', undefined, JSON.stringify(body));
      assert.equal((await pairing({ ciphertext: toBase64Url(random(16 * 1024)) })).status, 201);
      const bigPairing = await pairing({ ciphertext: toBase64Url(random(16 * 1024 + 1)) });
      assert.equal(bigPairing.status, 413);
      assert.equal(assertErrorShape(bigPairing.body, 'relay_limit_exceeded').details.limit, 'pairing_bytes_max');
      for (const expires_in_s of [59, 901, 'soon']) {
        const refused = await pairing({ ciphertext: 'AAAA', expires_in_s });
        assert.equal(refused.status, 400, String(expires_in_s));
        assertErrorShape(refused.body, 'invalid_request');
      }
      assertErrorShape((await send('POST', '/v1/relay/pairings', undefined, '{')).body, 'invalid_json');
    });

    test('a pairing is read once, then 404; expired ones are gone; the node holds a bounded number', async (t) => {
      if (skip(t)) return;
      const ciphertext = toBase64Url(random(300));
      const created = await send('POST', '/v1/relay/pairings', undefined, JSON.stringify({ ciphertext }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.id, /^pair_[A-Za-z0-9_-]{22}$/);
      const expiresIn = Date.parse(created.body.expires_at) - Date.now();
      assert.ok(expiresIn > 590_000 && expiresIn <= 600_000, String(expiresIn));
      // HEAD does not consume it.
      const head = await fetch(`${node.url}/v1/relay/pairings/${created.body.id}`, { method: 'HEAD' });
      assert.equal(head.status, 404);
      const taken = await send('GET', `/v1/relay/pairings/${created.body.id}`, undefined);
      assert.equal(taken.status, 200);
      assert.equal(taken.headers.get('cache-control'), 'no-store');
      assert.equal(taken.body.ciphertext, ciphertext);
      const second = await send('GET', `/v1/relay/pairings/${created.body.id}`, undefined);
      assert.equal(second.status, 404);
      assertErrorShape(second.body, 'pairing_not_found');
      assertErrorShape(
        (await send('GET', `/v1/relay/pairings/pair_${'A'.repeat(22)}`, undefined)).body,
        'pairing_not_found',
      );
      assertErrorShape((await send('GET', '/v1/relay/pairings/mbx_nope', undefined)).body, 'invalid_request');

      // Concurrent reads of one pairing: exactly one gets it.
      const racy = await send(
        'POST',
        '/v1/relay/pairings',
        undefined,
        JSON.stringify({ ciphertext, expires_in_s: 60 }),
      );
      const reads = await Promise.all(
        Array.from({ length: 8 }, () => send('GET', `/v1/relay/pairings/${racy.body.id}`, undefined)),
      );
      assert.deepEqual(reads.map((r) => r.status).sort(), [200, 404, 404, 404, 404, 404, 404, 404]);

      // Expiry, with a clock the test moves (the shortest expiry is a minute).
      let now = Date.now() + 24 * 3600_000; // later than every pairing made so far: they are swept
      const store = new RelayStore({ db: node.processor.options.db, now_ms: () => now, limits: { pairings_max: 2 } });
      const short = await store.createPairing(ciphertext, 60);
      assert.ok(!(short instanceof Error));
      now += 59_000;
      const early = await store.createPairing(ciphertext, 60);
      assert.ok(!(early instanceof Error));
      const third = await store.createPairing(ciphertext, 60);
      assert.ok(third instanceof Error);
      assert.equal(third.code, 'relay_busy');
      now += 1_000; // `short` is now exactly expired
      const gone = await store.takePairing(short.id);
      assert.ok(gone instanceof Error);
      assert.equal(gone.code, 'pairing_not_found');
      const row = await node.processor.options.db.get('SELECT id FROM relay_pairings WHERE id = ?', [short.id]);
      assert.equal(row, undefined, 'an expired pairing read is deleted too');
      const live = await store.takePairing(early.id);
      assert.ok(!(live instanceof Error));
      assert.equal(live.ciphertext, ciphertext);
    });

    test('concurrent posts get distinct, increasing seqs; trim compacts old ones', async (t) => {
      if (skip(t)) return;
      const id = await createMailbox(alice);
      assert.equal(
        (await signed(alice, 'POST', `/v1/relay/mailboxes/${id}/devices`, { device_key: bob.key })).status,
        200,
      );
      const count = 40;
      const texts = Array.from({ length: count }, () => toBase64Url(random(64)));
      const results = await Promise.all(texts.map((text, i) => post(i % 2 ? bob : alice, id, text)));
      for (const result of results) assert.equal(result.status, 201, JSON.stringify(result.body));
      const seqs = results.map((r) => r.body.seq as number);
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        Array.from({ length: count }, (_, i) => i + 1),
      );
      const page = await read(bob, id, '?limit=500');
      assert.deepEqual(
        page.body.items.map((m: { seq: number }) => m.seq),
        Array.from({ length: count }, (_, i) => i + 1),
      );
      for (const item of page.body.items) assert.equal(item.ciphertext, texts[seqs.indexOf(item.seq)]);

      const trim = await signed(alice, 'DELETE', `/v1/relay/mailboxes/${id}/messages?before=31`);
      assert.equal(trim.status, 200, JSON.stringify(trim.body));
      assert.deepEqual(trim.body, { deleted: 30, has_more: false });
      const left = await read(bob, id);
      assert.deepEqual(
        left.body.items.map((m: { seq: number }) => m.seq),
        Array.from({ length: 10 }, (_, i) => i + 31),
      );
      const next = await post(alice, id, 'AAAA');
      assert.equal(next.body.seq, count + 1);
      const box = await signed(bob, 'GET', `/v1/relay/mailboxes/${id}`);
      assert.equal(box.body.message_count, 11);
      assert.equal(box.body.message_bytes, 10 * 64 + 3);
    });
  });
}

describe('sync relay rate limit', () => {
  test('creating pairings and mailboxes is rate limited per client address', async () => {
    const node = await startProcessorNode({ name: 'sqlite' }, { rate_limit_per_s: 1 });
    try {
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${node.url}/v1/relay/pairings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ciphertext: 'AAAA' }),
        });
        statuses.push(response.status);
        if (response.status === 429) limited = response;
        else await response.arrayBuffer();
      }
      assert.deepEqual(statuses, [201, 201, 429, 429]);
      assert.ok(Number(limited!.headers.get('retry-after')) >= 1);
      assertErrorShape(await limited!.json(), 'relay_busy');
      // Mailboxes draw on the same allowance of the same address.
      const device = await newDevice();
      const path = '/v1/relay/mailboxes';
      const authorization = await relayAuthorization(device.keyPair, {
        method: 'POST',
        path,
        t: nowS(),
        body: utf8('{}'),
      });
      const mailbox = await node.call('POST', path, undefined, {}, { authorization });
      assert.equal(mailbox.status, 429);
      assertErrorShape(mailbox.body, 'relay_busy');
    } finally {
      await node.stop();
    }
  });
});
