/**
 * The sync module's pieces without a relay (these also run in a browser): pairing codes, the
 * offer, message envelopes, key wrapping and saved state.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair, randomBytes, toBase64Url, utf8 } from '@webwallet/core';
import fc from 'fast-check';
import { newRecoveryPhrase } from '../keys/recovery.js';
import {
  keyId,
  keysMessage,
  newEpochKey,
  newX25519KeyPair,
  openMessage,
  sealMessage,
  unwrapEpochKey,
  type WrapContext,
  wrapEpochKey,
} from './envelope.js';
import { newPairingSecret, openOffer, pairingCode, parsePairingCode, sealOffer } from './pairing.js';
import { base64Url } from './relay-client.js';
import { EPOCH_KEYS_MAX, parseState } from './state.js';

const PAIRING_ID = `pair_${toBase64Url(new Uint8Array(16).fill(7))}`;
const RELAY = 'https://node.example';

describe('pairing codes', () => {
  test('the typed form and the URI both give back the pairing id and secret', () => {
    const secret = newPairingSecret();
    const code = pairingCode(PAIRING_ID, secret, RELAY, '2030-01-01T00:00:00.000Z');
    assert.match(code.typed, /^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.equal(
      code.uri,
      `web+webwallet:pair?relay=${encodeURIComponent(RELAY)}&code=${code.typed.replaceAll('-', '')}`,
    );
    const typed = parsePairingCode(code.typed);
    assert.deepEqual(typed, { ok: true, value: { pairing_id: PAIRING_ID, secret } });
    const scanned = parsePairingCode(code.uri);
    assert.deepEqual(scanned, { ok: true, value: { pairing_id: PAIRING_ID, secret, relay_url: RELAY } });
    // As people type: lower case, spaces, O for 0, I or L for 1.
    const sloppy = ` ${code.typed.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o').replaceAll('1', 'l')} `;
    assert.deepEqual(parsePairingCode(sloppy), typed);
  });

  test('every single mistyped character is caught by the check characters', () => {
    const code = pairingCode(PAIRING_ID, newPairingSecret(), RELAY, '2030-01-01T00:00:00.000Z').typed;
    for (let i = 0; i < code.length; i++) {
      if (code[i] === '-') continue;
      const wrong = code.slice(0, i) + (code[i] === 'X' ? 'Y' : 'X') + code.slice(i + 1);
      const parsed = parsePairingCode(wrong);
      assert.equal(parsed.ok ? 'ok' : parsed.error.code, 'pairing_code_invalid', `position ${i}`);
    }
    for (const bad of ['', 'ABCD', `${code}-ABCD`, code.replace(/[0-9A-Z]$/, 'U'), 'web+webwallet:pair?code=x']) {
      const parsed = parsePairingCode(bad);
      assert.equal(parsed.ok, false, bad);
      assert.equal(parsed.ok ? '' : parsed.error.code, 'pairing_code_invalid');
      assert.equal(typeof (parsed.ok ? undefined : parsed.error.details.reason), 'string');
    }
  });

  test('the offer opens only with its secret, with its keys and phrase intact', async () => {
    const secret = newPairingSecret();
    const offer = {
      mailbox: `mbx_${toBase64Url(randomBytes(16))}`,
      founder: encodePrefixed('pub', (await generateKeyPair()).publicKey),
      invitation: randomBytes(32),
      keys: [newEpochKey(0), newEpochKey(1), newEpochKey(7)],
      recovery_phrase: newRecoveryPhrase(12),
    };
    const sealed = sealOffer(secret, offer);
    assert.deepEqual(openOffer(secret, sealed), { ok: true, value: offer });
    const other = openOffer(newPairingSecret(), sealed);
    assert.equal(other.ok ? 'ok' : other.error.code, 'pairing_code_invalid');
    sealed[30]! ^= 1;
    assert.equal(openOffer(secret, sealed).ok, false);
    // The relay's 16 KiB holds the most keys a device keeps, and a phrase.
    const full = sealOffer(secret, {
      ...offer,
      keys: Array.from({ length: EPOCH_KEYS_MAX }, (_, i) => newEpochKey(i)),
    });
    assert.ok(full.length < 16 * 1024, String(full.length));
  });
});

describe('base64url for large messages', () => {
  test('gives exactly core’s text for every length and content', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      assert.equal(base64Url(bytes), toBase64Url(bytes));
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => base64Url(bytes) === toBase64Url(bytes)));
  });
});

describe('message envelopes', () => {
  test('a sealed message opens only in its mailbox, epoch and sender, with its key and signer', async () => {
    const device = await generateKeyPair();
    const sender = encodePrefixed('pub', device.publicKey);
    const key = newEpochKey(3);
    const context = { mailbox: `mbx_${toBase64Url(randomBytes(16))}`, sender, epoch: 3 };
    const body = utf8('a Yjs update');
    const sealed = await sealMessage(context, key, device, { type: 'update' }, body);
    const keyFor = (id: string) => (id === key.id ? key : undefined);
    const opened = await openMessage(context, sealed, keyFor);
    assert.equal(opened.kind, 'sealed');
    assert.deepEqual(opened.kind === 'sealed' && [opened.header, opened.body, opened.key_id], [
      { type: 'update' },
      body,
      key.id,
    ]);
    const other = encodePrefixed('pub', (await generateKeyPair()).publicKey);
    const moved = [
      { ...context, mailbox: `mbx_${toBase64Url(randomBytes(16))}` },
      { ...context, sender: other },
      { ...context, epoch: 4 },
    ];
    for (const where of moved) {
      assert.deepEqual(
        await openMessage(where, sealed, (id) => (id === key.id ? { ...key, epoch: where.epoch } : undefined)),
        {
          kind: 'rejected',
          reason: 'undecryptable',
        },
      );
    }
    // Every byte matters.
    for (const at of [0, 5, 20, 50, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[at]! ^= 1;
      const result = await openMessage(context, altered, keyFor);
      assert.notEqual(result.kind, 'sealed', `byte ${at}`);
    }
    // Sealed by someone holding the key, but signed by another device key than the sender's.
    const mallory = await generateKeyPair();
    const forged = await sealMessage(context, key, mallory, { type: 'update' }, body);
    assert.deepEqual(await openMessage(context, forged, keyFor), { kind: 'rejected', reason: 'signature_invalid' });
    assert.deepEqual(await openMessage(context, sealed, () => undefined), { kind: 'key_unknown', key_id: key.id });
  });

  test('an epoch key wrapped for a device opens only with that device’s X25519 key', async () => {
    const key = newEpochKey(1);
    const [ann, bob] = [newX25519KeyPair(), newX25519KeyPair()];
    const ephemeral = newX25519KeyPair();
    const annKey = encodePrefixed('pub', (await generateKeyPair()).publicKey);
    const context: WrapContext = {
      mailbox: `mbx_${toBase64Url(randomBytes(16))}`,
      epoch: 1,
      key_id: key.id,
      recipient: annKey,
      ephemeral: toBase64Url(ephemeral.publicKey),
    };
    const wrapped = wrapEpochKey(context, ephemeral.secretKey, ann.publicKey, key.key);
    assert.deepEqual(unwrapEpochKey(context, ann.secretKey, wrapped), key.key);
    assert.equal(unwrapEpochKey(context, bob.secretKey, wrapped), undefined);
    assert.equal(unwrapEpochKey({ ...context, epoch: 2 }, ann.secretKey, wrapped), undefined);
    assert.equal(unwrapEpochKey({ ...context, key_id: keyId(randomBytes(32)) }, ann.secretKey, wrapped), undefined);
    // A low-order "public key" gives no shared secret.
    assert.equal(
      unwrapEpochKey({ ...context, ephemeral: toBase64Url(new Uint8Array(32)) }, ann.secretKey, wrapped),
      undefined,
    );
  });

  test('a keys message is signed by its sender and bound to its epoch', async () => {
    const device = await generateKeyPair();
    const context = {
      mailbox: `mbx_${toBase64Url(randomBytes(16))}`,
      sender: encodePrefixed('pub', device.publicKey),
      epoch: 2,
    };
    const header = { type: 'keys', epoch: 2, key_id: newEpochKey(2).id, ephemeral: 'x', wraps: {} };
    const message = await keysMessage(context, device, header);
    assert.deepEqual(await openMessage(context, message, () => undefined), { kind: 'keys', header });
    assert.deepEqual(await openMessage({ ...context, epoch: 3 }, message, () => undefined), {
      kind: 'rejected',
      reason: 'signature_invalid',
    });
    const altered = message.slice();
    altered[10]! ^= 1;
    assert.equal((await openMessage(context, altered, () => undefined)).kind, 'rejected');
  });
});

describe('saved sync state', () => {
  test('anything but a saved state is sync_state_invalid with a reason', () => {
    for (const value of [
      null,
      'text',
      {},
      { type: 'webwallet.sync', version: 2 },
      { type: 'webwallet.sync', version: 1 },
    ]) {
      const parsed = parseState(value);
      assert.equal(parsed.ok ? 'ok' : parsed.error.code, 'sync_state_invalid');
      assert.match(String(parsed.ok ? '' : parsed.error.details.reason), /^sync state: /);
    }
  });
});
