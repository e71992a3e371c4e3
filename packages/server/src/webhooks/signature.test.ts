import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateWebhookSecret, signatureHeader } from './signature.js';

/** HMAC through WebCrypto, an implementation independent of the one under test. */
async function hmacHex(secret: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await webcrypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return Buffer.from(await webcrypto.subtle.sign('HMAC', key, encoder.encode(message))).toString('hex');
}

describe('signatureHeader', () => {
  const body = '{"id":"evt_1","type":"invoice.settled","data":{"note":"café ☕"}}';

  test('t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>', async () => {
    const header = signatureHeader(['whsec_abc'], 1_700_000_000, body);
    assert.equal(header, `t=1700000000,v1=${await hmacHex('whsec_abc', `1700000000.${body}`)}`);
    assert.match(header, /^t=1700000000,v1=[0-9a-f]{64}$/);
  });

  test('one v1 per secret, in the order given (newest first)', async () => {
    const header = signatureHeader(['whsec_new', 'whsec_old'], 42, body);
    const expected = [await hmacHex('whsec_new', `42.${body}`), await hmacHex('whsec_old', `42.${body}`)];
    assert.equal(header, `t=42,v1=${expected[0]},v1=${expected[1]}`);
  });

  test('the body is signed byte for byte: any change changes the signature', () => {
    const a = signatureHeader(['whsec_abc'], 42, body);
    assert.notEqual(a, signatureHeader(['whsec_abc'], 42, `${body} `));
    assert.notEqual(a, signatureHeader(['whsec_abc'], 43, body));
  });

  test('refuses no secrets and bad timestamps', () => {
    assert.throws(() => signatureHeader([], 42, body), RangeError);
    assert.throws(() => signatureHeader(['s'], 1.5, body), RangeError);
    assert.throws(() => signatureHeader(['s'], -1, body), RangeError);
  });
});

describe('generateWebhookSecret', () => {
  test('whsec_ and 32 base64url characters, different every time', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateWebhookSecret));
    assert.equal(secrets.size, 100);
    for (const secret of secrets) assert.match(secret, /^whsec_[A-Za-z0-9_-]{32}$/);
  });
});
