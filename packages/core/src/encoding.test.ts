import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodePrefixed, encodePrefixed, fromBase64Url, fromHex, toBase64Url, toHex } from './encoding.js';

describe('encodings', () => {
  test('base64url matches RFC 4648 section 10 test vectors (unpadded, url alphabet)', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      const bytes = new TextEncoder().encode(plain);
      assert.equal(toBase64Url(bytes), encoded);
      assert.deepEqual(fromBase64Url(encoded), { ok: true, value: bytes });
    }
    assert.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), '-_8');
  });

  test('base64url decoding is strict', () => {
    for (const bad of ['Zg==', 'Z', 'Zh', 'Zm9v+', 'Zm9v/', 'Zm 9v', 'Zm9vé']) {
      assert.equal(fromBase64Url(bad).ok, false, bad);
    }
  });

  test('property: base64url and hex round-trip every byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        assert.deepEqual(fromBase64Url(toBase64Url(bytes)), { ok: true, value: bytes });
        assert.deepEqual(fromHex(toHex(bytes)), { ok: true, value: bytes });
      }),
    );
  });

  test('prefixed values name their type and length', () => {
    const key = new Uint8Array(32).fill(7);
    const text = encodePrefixed('pub', key);
    assert.match(text, /^pub_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(decodePrefixed('pub', text), { ok: true, value: key });
    const asSig = decodePrefixed('sig', text);
    assert.equal(asSig.ok ? undefined : asSig.error.code, 'encoding_invalid');
    assert.equal(decodePrefixed('pub', `${text}AA`).ok, false);
    assert.equal(decodePrefixed('pub', 42).ok, false);
    assert.throws(() => encodePrefixed('sig', key), RangeError);
  });
});
