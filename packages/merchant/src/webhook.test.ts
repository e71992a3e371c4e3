import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebhookVerificationError } from './errors.js';
import { signWebhookPayload, verifyWebhook } from './webhook.js';

// Isomorphic: this file also runs in headless Chromium (isomorphic.node.test.ts), so it uses no
// Node modules. The expected signatures were computed with OpenSSL:
//   printf '%s' '1700000000.{"id":"evt_kat","type":"invoice.created"}' | openssl dgst -sha256 -hmac whsec_known_answer
const T = 1_700_000_000;
const BODY = '{"id":"evt_kat","type":"invoice.created"}';
const SECRET = 'whsec_known_answer';
const SIGNATURE = '0d056eaca8267c5fcd196fd93d612c973f10167675e7b0538d70ec88adb80f65';
const OLD_SECRET = 'whsec_rotated_out';
const OLD_SIGNATURE = 'e12e03fcf2cb62c98d38fac8b482106e12af83ab620961b94012c52e90a2397e';

describe('webhook signatures (known answers)', () => {
  test('signWebhookPayload reproduces the OpenSSL HMACs', async () => {
    assert.equal(await signWebhookPayload(BODY, SECRET, T), `t=${T},v1=${SIGNATURE}`);
    assert.equal(await signWebhookPayload(BODY, [SECRET, OLD_SECRET], T), `t=${T},v1=${SIGNATURE},v1=${OLD_SIGNATURE}`);
  });

  test('verifyWebhook accepts them, from a string or from bytes', async () => {
    const header = `t=${T},v1=${OLD_SIGNATURE},v1=${SIGNATURE}`;
    assert.deepEqual(await verifyWebhook(BODY, header, SECRET, { now_s: T }), JSON.parse(BODY));
    const bytes = new TextEncoder().encode(BODY);
    assert.equal((await verifyWebhook(bytes, header, [OLD_SECRET], { now_s: T + 300 })).id, 'evt_kat');
  });

  test('verifyWebhook rejects a flipped bit, a stale timestamp and a missing header', async () => {
    const flipped = `t=${T},v1=${SIGNATURE.slice(0, -1)}4`;
    const valid = `t=${T},v1=${SIGNATURE}`;
    await assert.rejects(verifyWebhook(BODY, flipped, SECRET, { now_s: T }), { reason: 'signature_mismatch' });
    await assert.rejects(verifyWebhook(BODY, valid, SECRET, { now_s: T + 301 }), {
      reason: 'timestamp_outside_tolerance',
    });
    await assert.rejects(verifyWebhook(BODY, undefined, SECRET), WebhookVerificationError);
  });
});
