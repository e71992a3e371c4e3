import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { WebhookVerificationError, type WebhookVerificationReason } from './errors.js';
import { signWebhookPayload, timingSafeEqual, verifyWebhook } from './webhook.js';

// Signatures are computed here with node:crypto, independently of the WebCrypto code under test.
const hmacHex = (secret: string, t: number, body: string | Uint8Array) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

const SECRET = 'whsec_3kPq9xVb7Lm2Rt5Yw8Zc1Nf4';
const OLD_SECRET = 'whsec_previousSecretStillValid';
const NOW = 1_750_000_000;
const body = JSON.stringify({
  id: 'evt_1',
  type: 'invoice.settled',
  mode: 'test',
  store_id: 'st_1',
  created_at: '2025-06-15T15:06:40.000Z',
  data: { invoice: { id: 'inv_1', amount: '12.50', description: 'Café ☕' } },
});
const header = (t: number, ...secrets: string[]) =>
  [`t=${t}`, ...secrets.map((s) => `v1=${hmacHex(s, t, body)}`)].join(',');

async function rejectsWith(promise: Promise<unknown>, reason: WebhookVerificationReason): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WebhookVerificationError, String(error));
    assert.equal(error.reason, reason, error.message);
    return true;
  });
}

describe('verifyWebhook', () => {
  test('accepts a valid delivery and returns the parsed event', async () => {
    const event = await verifyWebhook(body, header(NOW, SECRET), SECRET, { now_s: NOW });
    assert.deepEqual(event, JSON.parse(body));
    assert.equal(event.type, 'invoice.settled');
  });

  test('uses the current clock by default', async () => {
    const now = Math.floor(Date.now() / 1000);
    const event = await verifyWebhook(body, header(now, SECRET), SECRET);
    assert.equal(event.id, 'evt_1');
    await rejectsWith(verifyWebhook(body, header(now - 301, SECRET), SECRET), 'timestamp_outside_tolerance');
  });

  test('during a rotation, any v1 may match any of the secrets', async () => {
    const rotating = header(NOW, SECRET, OLD_SECRET);
    for (const secrets of [SECRET, OLD_SECRET, [SECRET, OLD_SECRET], [OLD_SECRET, SECRET], ['whsec_other', SECRET]]) {
      const event = await verifyWebhook(body, rotating, secrets, { now_s: NOW });
      assert.equal(event.id, 'evt_1', String(secrets));
    }
    // A receiver that already has the new secret, on a delivery signed only with the old one.
    await verifyWebhook(body, header(NOW, OLD_SECRET), [SECRET, OLD_SECRET], { now_s: NOW });
    await rejectsWith(verifyWebhook(body, rotating, 'whsec_other', { now_s: NOW }), 'signature_mismatch');
  });

  test('refuses a tampered body, a wrong secret and a signature over another timestamp', async () => {
    const tampered = body.replace('12.50', '1250.00');
    await rejectsWith(verifyWebhook(tampered, header(NOW, SECRET), SECRET, { now_s: NOW }), 'signature_mismatch');
    await rejectsWith(verifyWebhook(body, header(NOW, SECRET), 'whsec_wrong', { now_s: NOW }), 'signature_mismatch');
    const moved = `t=${NOW + 1},v1=${hmacHex(SECRET, NOW, body)}`;
    await rejectsWith(verifyWebhook(body, moved, SECRET, { now_s: NOW }), 'signature_mismatch');
    // Re-serialized JSON differs from the raw bytes (here: key order), so it does not verify.
    const reserialized = JSON.stringify({ ...JSON.parse(body), id: 'evt_1' }, null, 1);
    await rejectsWith(verifyWebhook(reserialized, header(NOW, SECRET), SECRET, { now_s: NOW }), 'signature_mismatch');
  });

  test('refuses timestamps more than tolerance_s in the past or the future', async () => {
    for (const t of [NOW - 301, NOW + 301, 0]) {
      await rejectsWith(verifyWebhook(body, header(t, SECRET), SECRET, { now_s: NOW }), 'timestamp_outside_tolerance');
    }
    for (const t of [NOW - 300, NOW + 300]) await verifyWebhook(body, header(t, SECRET), SECRET, { now_s: NOW });
    await verifyWebhook(body, header(NOW - 3600, SECRET), SECRET, { now_s: NOW, tolerance_s: 3600 });
    await rejectsWith(
      verifyWebhook(body, header(NOW - 11, SECRET), SECRET, { now_s: NOW, tolerance_s: 10 }),
      'timestamp_outside_tolerance',
    );
    await assert.rejects(verifyWebhook(body, header(NOW, SECRET), SECRET, { tolerance_s: -1 }), RangeError);
  });

  test('checks the signature before the timestamp', async () => {
    await rejectsWith(verifyWebhook(body, header(0, 'whsec_wrong'), SECRET, { now_s: NOW }), 'signature_mismatch');
  });

  test('reports a missing header', async () => {
    for (const missing of [null, undefined, '', '   ', []]) {
      await rejectsWith(verifyWebhook(body, missing, SECRET, { now_s: NOW }), 'header_missing');
    }
  });

  test('reports malformed headers', async () => {
    const v1 = hmacHex(SECRET, NOW, body);
    const malformed = [
      'garbage',
      `v1=${v1}`,
      `t=${NOW}`,
      `t=${NOW},v0=${v1}`,
      `t=abc,v1=${v1}`,
      `t=-5,v1=${v1}`,
      `t=1.5,v1=${v1}`,
      `t=${NOW},t=${NOW},v1=${v1}`,
      `t=${NOW},v1=${v1.slice(2)}`,
      `t=${NOW},v1=${v1}00`,
      `t=${NOW},v1=${v1.toUpperCase()}`,
      `t=${NOW},v1=${v1.slice(1)}g`,
      `t=${NOW},v1=${v1},`,
      `t=${NOW};v1=${v1}`,
      `t=${NOW},v1==${v1}`,
      `t=${NOW},${Array.from({ length: 17 }, () => `v1=${v1}`).join(',')}`,
      `t=${NOW},v1=${v1},x=${'a'.repeat(5000)}`,
    ];
    for (const h of malformed) await rejectsWith(verifyWebhook(body, h, SECRET, { now_s: NOW }), 'header_malformed');
  });

  test('tolerates spaces after commas and skips unknown schemes', async () => {
    const v1 = hmacHex(SECRET, NOW, body);
    await verifyWebhook(body, `t=${NOW}, v0=abc, v1=${v1}`, SECRET, { now_s: NOW });
    await verifyWebhook(body, [`t=${NOW}`, `v1=${v1}`], SECRET, { now_s: NOW });
  });

  test('verifies a Uint8Array body byte for byte, including non-UTF-8 bytes', async () => {
    const bytes = new TextEncoder().encode(body);
    const event = await verifyWebhook(bytes, `t=${NOW},v1=${hmacHex(SECRET, NOW, bytes)}`, SECRET, { now_s: NOW });
    assert.equal(event.id, 'evt_1');
    const broken = new Uint8Array([...bytes.slice(0, 10), 0xff, ...bytes.slice(10)]);
    // The signature is checked over the raw bytes first; only then does decoding fail.
    await rejectsWith(
      verifyWebhook(broken, `t=${NOW},v1=${hmacHex(SECRET, NOW, broken)}`, SECRET, { now_s: NOW }),
      'body_invalid',
    );
    // A Buffer (what Express's raw() and Fastify's parseAs: 'buffer' give) is a Uint8Array.
    const buffer = Buffer.from(body);
    await verifyWebhook(buffer, header(NOW, SECRET), SECRET, { now_s: NOW });
  });

  test('parses the body only after verification, and insists on an event object', async () => {
    for (const signed of ['not json', '[1,2]', 'null', '"evt_1"', '{"id":"evt_1"}', '{"id":1,"type":"x"}']) {
      const h = `t=${NOW},v1=${hmacHex(SECRET, NOW, signed)}`;
      await rejectsWith(verifyWebhook(signed, h, SECRET, { now_s: NOW }), 'body_invalid');
      await rejectsWith(verifyWebhook(signed, h, 'whsec_wrong', { now_s: NOW }), 'signature_mismatch');
    }
  });

  test('refuses an empty secret list as a programming error', async () => {
    await assert.rejects(verifyWebhook(body, header(NOW, SECRET), []), TypeError);
    await assert.rejects(verifyWebhook(body, header(NOW, SECRET), ''), TypeError);
  });

  test('error messages say what to fix', async () => {
    await assert.rejects(verifyWebhook(body, header(NOW, SECRET), 'whsec_wrong', { now_s: NOW }), /raw request body/);
  });
});

describe('signWebhookPayload', () => {
  test('matches an HMAC computed with node:crypto', async () => {
    assert.equal(await signWebhookPayload(body, SECRET, NOW), `t=${NOW},v1=${hmacHex(SECRET, NOW, body)}`);
    const bytes = new Uint8Array([0, 1, 2, 255]);
    assert.equal(await signWebhookPayload(bytes, SECRET, 7), `t=7,v1=${hmacHex(SECRET, 7, bytes)}`);
  });

  test('signs with several secrets as the node does during a rotation', async () => {
    assert.equal(await signWebhookPayload(body, [SECRET, OLD_SECRET], NOW), header(NOW, SECRET, OLD_SECRET));
  });

  test('defaults t to now, and round-trips through verifyWebhook', async () => {
    const signed = await signWebhookPayload(body, SECRET);
    const t = Number(/^t=(\d+),/.exec(signed)?.[1]);
    assert.ok(Math.abs(t - Date.now() / 1000) < 5);
    assert.equal((await verifyWebhook(body, signed, SECRET)).id, 'evt_1');
  });

  test('refuses a timestamp that is not whole unix seconds', async () => {
    for (const t of [-1, 1.5, Number.NaN]) await assert.rejects(signWebhookPayload(body, SECRET, t), RangeError);
  });
});

describe('timingSafeEqual', () => {
  test('compares contents and lengths', () => {
    assert.equal(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
    assert.equal(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
    assert.equal(timingSafeEqual(new Uint8Array([9, 2, 3]), new Uint8Array([1, 2, 3])), false);
    assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
    assert.equal(timingSafeEqual(new Uint8Array(), new Uint8Array()), true);
  });
});
