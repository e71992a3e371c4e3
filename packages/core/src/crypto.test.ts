import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ed25519Backend,
  ed25519Backends,
  generateKeyPair,
  keyPairFromSecret,
  sha256,
  sign,
  signSync,
  verify,
  verifySync,
} from './crypto.js';
import { fromHex, toHex, utf8 } from './encoding.js';
import { unwrap } from './errors.js';
import { rfc8032Ed25519 } from './vectors/rfc8032-ed25519.js';

const hex = (text: string) => unwrap(fromHex(text));

describe('SHA-256', () => {
  test('FIPS 180-2 examples', () => {
    assert.equal(toHex(sha256(utf8(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(toHex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      toHex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
});

describe('Ed25519 (RFC 8032)', () => {
  test('offers node:crypto on Node, WebCrypto in browsers, and noble everywhere', () => {
    const names = ed25519Backends.map((b) => b.name);
    assert.ok(names.includes('noble'));
    const isNode =
      typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
    assert.equal(ed25519Backend.name, isNode ? 'node' : names[0]);
    if (!isNode) assert.ok(names.includes('webcrypto'), `browser should offer WebCrypto Ed25519, has ${names}`);
  });

  assert.equal(rfc8032Ed25519.vectors.length, 5);
  for (const backend of ed25519Backends) {
    test(`section 7.1 test vectors on the ${backend.name} backend`, async () => {
      for (const v of rfc8032Ed25519.vectors) {
        const seed = hex(v.secret_key_hex);
        const message = hex(v.message_hex);
        assert.equal(toHex(await backend.publicKey(seed)), v.public_key_hex, v.name);
        const signature = await backend.sign(message, seed);
        assert.equal(toHex(signature), v.signature_hex, v.name);
        assert.equal(await backend.verify(signature, message, hex(v.public_key_hex)), true, v.name);
        const flipped = signature.slice();
        flipped[0]! ^= 1;
        assert.equal(await backend.verify(flipped, message, hex(v.public_key_hex)), false, v.name);
      }
    });

    test(`the ${backend.name} backend rejects malformed input without throwing`, async () => {
      const v = rfc8032Ed25519.vectors[0]!;
      const pub = hex(v.public_key_hex);
      const sig = hex(v.signature_hex);
      assert.equal(await backend.verify(sig.slice(0, 63), new Uint8Array(0), pub), false);
      assert.equal(await backend.verify(sig, new Uint8Array(0), pub.slice(0, 31)), false);
      // y = 2 does not decode to a curve point.
      const notAPoint = new Uint8Array(32);
      notAPoint[0] = 2;
      assert.equal(await backend.verify(sig, new Uint8Array(0), notAPoint), false);
    });
  }

  test('sync and async paths agree; any flipped bit fails', async () => {
    const pair = await generateKeyPair();
    assert.deepEqual(await keyPairFromSecret(pair.secretKey), pair);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.nat(), async (message, bit) => {
        const signature = await sign(message, pair.secretKey);
        assert.deepEqual(signSync(message, pair.secretKey), signature);
        assert.equal(await verify(signature, message, pair.publicKey), true);
        assert.equal(verifySync(signature, message, pair.publicKey), true);
        const flipped = signature.slice();
        const i = bit % (flipped.length * 8);
        flipped[i >> 3]! ^= 1 << (i & 7);
        assert.equal(await verify(flipped, message, pair.publicKey), false);
        assert.equal(verifySync(flipped, message, pair.publicKey), false);
      }),
      { numRuns: 50 },
    );
  });
});
