import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  canonicalBytes,
  encodePrefixed,
  fromBase64Url,
  type Result,
  randomBytes,
  toBase64Url,
  toHex,
  unwrap,
  utf8,
  WebWalletError,
} from '@webwallet/core';
import fc from 'fast-check';
import { BACKUP_TEXT_LENGTH_MAX, BACKUP_TYPE, createBackup, openBackup } from './backup.js';
import { deriveLockKey, KDF_DEFAULT, type KdfParams, open, seal } from './lock.js';
import {
  accountKeyPair,
  bip39Seed,
  checkRecoveryPhrase,
  newRecoveryPhrase,
  syncKey,
  WALLET_ID_PATTERN,
  walletId,
  walletSeed,
} from './recovery.js';

// The smallest Argon2id work KDF_LIMITS allows (about 0.1 s in Node): keeps this file fast. One
// test below uses KDF_DEFAULT.
const FAST_KDF: KdfParams = { name: 'argon2id', m_kib: 8_192, t: 1, p: 1 };

const ABOUT_12 = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const TITLE_24 =
  'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title';

function failure<T>(result: Result<T>): WebWalletError {
  assert.equal(result.ok, false, 'expected a failure');
  const { error } = result as { ok: false; error: WebWalletError };
  assert.ok(error instanceof WebWalletError);
  return error;
}

async function seedOf(phrase: string): Promise<Uint8Array> {
  return unwrap(await walletSeed(phrase));
}

describe('recovery phrase', () => {
  // BIP39 reference vectors, English, BIP39 passphrase "TREZOR": trezor/python-mnemonic
  // vectors.json (https://github.com/trezor/python-mnemonic/blob/master/vectors.json, commit
  // f5a975ab10c035596d65d854d21164266ffed284). bip39Seed is the code path walletSeed uses.
  const TREZOR_VECTORS: [string, string][] = [
    [
      ABOUT_12,
      'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
    ],
    [
      'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
      'ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069',
    ],
    [
      TITLE_24,
      'bc09fca1804f7e69da93c2f2028eb238c227f2e9dda30cd63699232578480a4021b146ad717fbb7e451ce9eb835f43620bf5c514db0f8add49f5d121449d3e87',
    ],
    [
      'hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length',
      '64c87cde7e12ecf6704ab95bb1408bef047c22db4cc7491c4271d170a1b213d20b385bc1588d9c7b38f1b39d415665b8a9030c9ec653d75e65f847d8fc1fc440',
    ],
  ];

  test('mnemonic to seed matches the BIP39 reference vectors', async () => {
    for (const [phrase, seed] of TREZOR_VECTORS) {
      assert.equal(toHex(unwrap(await bip39Seed(phrase, 'TREZOR'))), seed, phrase);
    }
  });

  test('the wallet seed is the BIP39 seed with an empty BIP39 passphrase, 64 bytes', async () => {
    const seed = await seedOf(ABOUT_12);
    assert.equal(seed.length, 64);
    assert.deepEqual(seed, unwrap(await bip39Seed(ABOUT_12, '')));
    // The widely published empty-passphrase seed of the first vector.
    assert.equal(
      toHex(seed),
      '5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4',
    );
  });

  test('new phrases have 24 words by default or 12, are valid, and never repeat', () => {
    const a = newRecoveryPhrase();
    const b = newRecoveryPhrase();
    const short = newRecoveryPhrase(12);
    assert.equal(a.split(' ').length, 24);
    assert.equal(short.split(' ').length, 12);
    assert.notEqual(a, b);
    for (const phrase of [a, b, short]) assert.deepEqual(checkRecoveryPhrase(phrase), { ok: true, value: phrase });
    assert.throws(() => newRecoveryPhrase(18 as 24), RangeError);
  });

  test('extra whitespace and upper case are normalized away', async () => {
    const typed = `  ${ABOUT_12.toUpperCase().replaceAll(' ', ' \t\n ')}\n`;
    assert.deepEqual(checkRecoveryPhrase(typed), { ok: true, value: ABOUT_12 });
    assert.deepEqual(await seedOf(typed), await seedOf(ABOUT_12));
  });

  test('an unknown word is reported with its position', () => {
    const words = ABOUT_12.split(' ');
    words[4] = 'xyz';
    const error = failure(checkRecoveryPhrase(words.join(' ')));
    assert.equal(error.code, 'recovery_phrase_invalid');
    assert.equal(error.details.reason, 'unknown word "xyz" at position 5');
    assert.equal(error.details.position, 5);
    assert.equal(error.details.word, 'xyz');
  });

  test('a wrong word count is reported, including valid BIP39 lengths the wallet does not use', () => {
    const eleven = ABOUT_12.split(' ').slice(1).join(' ');
    assert.equal(failure(checkRecoveryPhrase(eleven)).details.reason, 'expected 12 or 24 words, got 11');
    assert.equal(failure(checkRecoveryPhrase('   ')).details.reason, 'expected 12 or 24 words, got 0');
    // A valid 15-word BIP39 phrase (20 bytes of zero entropy).
    const fifteen = `${'abandon '.repeat(14)}address`;
    assert.equal(failure(checkRecoveryPhrase(fifteen)).details.words, 15);
    assert.equal(failure(checkRecoveryPhrase('a'.repeat(1025))).code, 'recovery_phrase_invalid');
  });

  test('a wrong checksum (a valid word in the wrong place) is reported', async () => {
    const swapped = ABOUT_12.replace(/about$/, 'abandon');
    const error = failure(checkRecoveryPhrase(swapped));
    assert.equal(error.code, 'recovery_phrase_invalid');
    assert.match(String(error.details.reason), /^wrong checksum/);
    assert.equal(failure(await walletSeed(swapped)).code, 'recovery_phrase_invalid');
  });

  test('a phrase that is not a string is a programming error', () => {
    assert.throws(() => checkRecoveryPhrase(42 as unknown as string), TypeError);
  });
});

describe('account keys', () => {
  test('the same phrase gives the same accounts, wallet id and sync key on two independent derivations', async () => {
    const phrase = newRecoveryPhrase();
    const first = await seedOf(phrase);
    const second = await seedOf(` ${phrase.toUpperCase()} `);
    for (const index of [0, 1, 7]) {
      assert.deepEqual(await accountKeyPair(first, index), await accountKeyPair(second, index));
    }
    assert.equal(walletId(first), walletId(second));
    assert.deepEqual(syncKey(first), syncKey(second));
  });

  test('different indexes, purposes and phrases give different keys', async () => {
    const seed = await seedOf(TITLE_24);
    const keys = await Promise.all([0, 1, 2, 2 ** 31 - 1].map((i) => accountKeyPair(seed, i)));
    const publics = new Set(keys.map((k) => toHex(k.publicKey)));
    const secrets = new Set([...keys.map((k) => toHex(k.secretKey)), toHex(syncKey(seed))]);
    assert.equal(publics.size, 4);
    assert.equal(secrets.size, 5);
    const other = await seedOf(ABOUT_12);
    assert.notEqual(walletId(other), walletId(seed));
    assert.notDeepEqual((await accountKeyPair(other, 0)).publicKey, keys[0]!.publicKey);
  });

  test('derivations are pinned: changing them would move every existing wallet', async () => {
    // Computed once by this implementation; they must never change for the v1 salts.
    const seed = await seedOf(TITLE_24);
    const account = async (i: number) => encodePrefixed('pub', (await accountKeyPair(seed, i)).publicKey);
    assert.equal(await account(0), 'pub_za3O9yeEUjAdoLtwoFJ3bTTSf25VYpMTuQqsC1224g4');
    assert.equal(await account(1), 'pub_WobOw8snDqx_QyLZNerGhiLou1bUptrtBqbwwPbdmx4');
    assert.equal(await account(2 ** 31 - 1), 'pub_rlUEdhG3Ctx6GMTSVemWbizVkj5watEWgY7kOuQye-A');
    assert.equal(walletId(seed), 'wal_xkxfjx_nTSYTxJJ1jLLqtw');
    assert.match(walletId(seed), WALLET_ID_PATTERN);
    assert.equal(toHex(syncKey(seed)), '0ccdcf3d64fd11435bc07f00e98d97849b7971c2147a225d110664bfb90bf807');
  });

  test('account secrets agree with an independent HKDF (WebCrypto, RFC 5869)', async () => {
    const seed = await seedOf(TITLE_24);
    const key = await crypto.subtle.importKey('raw', new Uint8Array(seed), 'HKDF', false, ['deriveBits']);
    const salt = utf8('webwallet:account-key:v1') as Uint8Array<ArrayBuffer>;
    const info = new Uint8Array([0x00, 0x01, 0x02, 0x03]); // index 0x00010203, big-endian
    const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, 256);
    assert.deepEqual((await accountKeyPair(seed, 0x00010203)).secretKey, new Uint8Array(bits));
  });

  test('indexes outside 0..2^31-1 and seeds of the wrong size are programming errors', async () => {
    const seed = await seedOf(ABOUT_12);
    for (const index of [-1, 2 ** 31, 1.5, Number.NaN]) assert.throws(() => accountKeyPair(seed, index), RangeError);
    assert.throws(() => walletId(seed.subarray(0, 32)), RangeError);
    assert.throws(() => syncKey(new Uint8Array(65)), RangeError);
  });
});

describe('passphrase lock', () => {
  test('seal and open round trip; the wrong passphrase is passphrase_wrong', async () => {
    const salt = randomBytes(16);
    const key = await deriveLockKey('correct horse battery staple', salt, FAST_KDF);
    assert.equal(key.length, 32);
    assert.deepEqual(await deriveLockKey('correct horse battery staple', salt, FAST_KDF), key);
    const sealed = seal(key, utf8('the secret'), utf8('context'));
    assert.equal(sealed.length, 24 + 10 + 16);
    assert.deepEqual(open(key, sealed, utf8('context')), { ok: true, value: utf8('the secret') });
    const wrong = await deriveLockKey('correct horse battery stapler', salt, FAST_KDF);
    assert.equal(failure(open(wrong, sealed, utf8('context'))).code, 'passphrase_wrong');
  });

  test('the passphrase is NFKC-normalized: composed and decomposed accents give one key', async () => {
    const salt = randomBytes(16);
    const composed = await deriveLockKey('caf\u00e9', salt, FAST_KDF);
    const decomposed = await deriveLockKey('cafe\u0301', salt, FAST_KDF);
    assert.deepEqual(composed, decomposed);
  });

  test('altered nonce, ciphertext, tag or associated data are passphrase_wrong', () => {
    const key = randomBytes(32);
    const aad = utf8('header');
    const sealed = seal(key, utf8('some plaintext'), aad);
    for (const position of [0, 23, 24, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[position]! ^= 0x01;
      assert.equal(failure(open(key, altered, aad)).code, 'passphrase_wrong', `byte ${position}`);
    }
    assert.equal(failure(open(key, sealed, utf8('headex'))).code, 'passphrase_wrong');
    assert.equal(failure(open(key, sealed)).code, 'passphrase_wrong');
    assert.equal(failure(open(key, sealed.subarray(0, 39), aad)).code, 'passphrase_wrong');
  });

  test('KDF parameters outside the limits and bad keys are programming errors', () => {
    const salt = randomBytes(16);
    for (const params of [
      { ...FAST_KDF, m_kib: 8_191 },
      { ...FAST_KDF, m_kib: 262_145 },
      { ...FAST_KDF, t: 0 },
      { ...FAST_KDF, t: 11 },
      { ...FAST_KDF, p: 5 },
      { ...FAST_KDF, name: 'scrypt' as 'argon2id' },
    ]) {
      assert.throws(() => deriveLockKey('x', salt, params), RangeError, JSON.stringify(params));
    }
    assert.throws(() => deriveLockKey('x', randomBytes(8), FAST_KDF), RangeError);
    assert.throws(() => seal(randomBytes(16), utf8('x')), RangeError);
  });

  test('property: open(seal(x, aad), aad) = x for random bytes, and another aad fails', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 40 }),
        (key, plaintext, aad) => {
          const sealed = seal(key, plaintext, aad);
          assert.deepEqual(open(key, sealed, aad), { ok: true, value: plaintext });
          const otherAad = new Uint8Array([...aad, 0]);
          assert.equal(failure(open(key, sealed, otherAad)).code, 'passphrase_wrong');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('backup file', () => {
  const PASSPHRASE = 'correct horse battery staple';
  const DOCUMENT = utf8('{"instruments":[],"receipts":[]}');
  let fixture: Promise<string> | undefined;
  // One backup shared by the tests that only read it: each creation costs an Argon2id run.
  const backup = (): Promise<string> => {
    fixture ??= createBackup({ phrase: TITLE_24, document: DOCUMENT, accounts: 3 }, PASSPHRASE, { kdf: FAST_KDF });
    return fixture;
  };
  const edit = async (change: (file: Record<string, unknown>) => void): Promise<string> => {
    const file = JSON.parse(await backup()) as Record<string, unknown>;
    change(file);
    return JSON.stringify(file);
  };
  const reason = async (text: string, passphrase = PASSPHRASE): Promise<unknown> => {
    const error = failure(await openBackup(text, passphrase));
    assert.equal(error.code, 'backup_invalid', error.message);
    return error.details.reason;
  };

  test('round trip with a document; the file shows the header but not the phrase', async () => {
    const text = await backup();
    const file = JSON.parse(text) as Record<string, unknown>;
    const walletIdExpected = walletId(await seedOf(TITLE_24));
    assert.equal(file.type, BACKUP_TYPE);
    assert.equal(file.version, 1);
    assert.equal(file.wallet_id, walletIdExpected);
    assert.equal(file.cipher, 'xchacha20-poly1305');
    assert.deepEqual({ ...(file.kdf as object), salt: undefined }, { ...FAST_KDF, salt: undefined });
    assert.ok(!Number.isNaN(Date.parse(String(file.created_at))));
    for (const word of ['legal', 'winner', 'sausage', 'instruments']) assert.ok(!text.includes(word), word);
    assert.deepEqual(await openBackup(text, PASSPHRASE), {
      ok: true,
      value: { phrase: TITLE_24, wallet_id: walletIdExpected, document: DOCUMENT, accounts: 3 },
    });
  });

  test('the default KDF parameters (OWASP minimum) round trip', async () => {
    const phrase = newRecoveryPhrase(12);
    const text = await createBackup({ phrase }, PASSPHRASE);
    assert.deepEqual({ ...JSON.parse(text).kdf, salt: undefined }, { ...KDF_DEFAULT, salt: undefined });
    const opened = unwrap(await openBackup(text, PASSPHRASE));
    assert.deepEqual(opened, { phrase, wallet_id: walletId(await seedOf(phrase)) });
  });

  test('the wrong passphrase is passphrase_wrong', async () => {
    assert.equal(failure(await openBackup(await backup(), 'Correct horse battery staple')).code, 'passphrase_wrong');
  });

  test('altered header fields or data make the file backup_invalid (the header is authenticated)', async () => {
    const other = walletId(await seedOf(ABOUT_12));
    const altered = 'altered or damaged: the header or data does not authenticate';
    assert.equal(await reason(await edit((f) => Object.assign(f, { wallet_id: other }))), altered);
    assert.equal(
      await reason(await edit((f) => Object.assign(f, { created_at: '2000-01-01T00:00:00.000Z' }))),
      altered,
    );
    const flipped = await edit((f) => {
      const data = unwrap(fromBase64Url(String(f.data)));
      data[40]! ^= 0x80;
      f.data = toBase64Url(data);
    });
    assert.equal(await reason(flipped), altered);
  });

  test('altered KDF parameters or salt change the key itself, so they read as passphrase_wrong', async () => {
    const slower = await edit((f) => Object.assign(f.kdf as object, { t: 2 }));
    assert.equal(failure(await openBackup(slower, PASSPHRASE)).code, 'passphrase_wrong');
    const resalted = await edit((f) => Object.assign(f.kdf as object, { salt: toBase64Url(randomBytes(16)) }));
    assert.equal(failure(await openBackup(resalted, PASSPHRASE)).code, 'passphrase_wrong');
  });

  test('truncated, foreign and malformed files are backup_invalid', async () => {
    const text = await backup();
    assert.equal(await reason(text.slice(0, text.length / 2)), 'not JSON');
    assert.equal(await reason(''), 'not JSON');
    assert.equal(await reason('[1,2]'), 'not a JSON object');
    assert.equal(await reason(await edit((f) => Object.assign(f, { type: 'other.backup' }))), 'wrong type');
    assert.equal(await reason(await edit((f) => Object.assign(f, { version: 2 }))), 'unsupported version');
    assert.equal(await reason(await edit((f) => Object.assign(f, { extra: 1 }))), 'unknown field');
    assert.equal(await reason(await edit((f) => Object.assign(f, { data: 'not base64url!' }))), 'bad base64url');
    assert.equal(await reason(await edit((f) => Object.assign(f, { data: 'AAAA' }))), 'data too short');
    assert.equal(await reason(await edit((f) => Object.assign(f, { wallet_id: 'wal_x' }))), 'bad wallet_id');
    assert.equal(await reason(await edit((f) => Object.assign(f, { cipher: 'aes-256-gcm' }))), 'unsupported cipher');
    assert.equal(
      await reason(await edit((f) => Object.assign(f.kdf as object, { salt: 'AAAA' }))),
      'kdf params out of limits',
    );
    assert.equal(await reason(' '.repeat(BACKUP_TEXT_LENGTH_MAX + 1)), 'file too large');
  });

  test('absurd KDF parameters are backup_invalid before any key derivation runs', async () => {
    for (const kdf of [
      { m_kib: 2 ** 30 },
      { m_kib: 262_145 },
      { t: 1_000_000 },
      { p: 64 },
      { m_kib: '8192' },
      { name: 'scrypt' },
    ]) {
      const text = await edit((f) => Object.assign(f.kdf as object, kdf));
      const started = performance.now();
      assert.equal(await reason(text), 'kdf params out of limits', JSON.stringify(kdf));
      // Running Argon2id with any of these would take seconds to forever (or throw for memory).
      assert.ok(performance.now() - started < 1_000, `refused ${JSON.stringify(kdf)} without deriving`);
    }
  });

  test('a file whose authenticated contents disagree with its wallet_id is backup_invalid', async () => {
    // Written by hand from the documented format, so this also checks the format itself.
    const salt = randomBytes(16);
    const master = await deriveLockKey(PASSPHRASE, salt, FAST_KDF);
    const header = {
      type: BACKUP_TYPE,
      version: 1,
      created_at: new Date().toISOString(),
      wallet_id: walletId(await seedOf(ABOUT_12)),
      kdf: { ...FAST_KDF, salt: toBase64Url(salt) },
      cipher: 'xchacha20-poly1305',
      key_check: toBase64Url(hkdf(sha256, master, undefined, utf8('webwallet:backup-check:v1'), 16)),
    };
    const dataKey = hkdf(sha256, master, undefined, utf8('webwallet:backup-key:v1'), 32);
    const write = (contents: object) => {
      const data = seal(dataKey, utf8(JSON.stringify(contents)), canonicalBytes(header));
      return JSON.stringify({ ...header, data: toBase64Url(data) });
    };
    assert.equal(unwrap(await openBackup(write({ phrase: ABOUT_12 }), PASSPHRASE)).phrase, ABOUT_12);
    assert.equal(await reason(write({ phrase: TITLE_24 })), 'wallet_id does not match the recovery phrase');
    assert.equal(await reason(write({ phrase: ABOUT_12.replace(/about$/, 'zoo') })), 'recovery phrase invalid');
    assert.equal(await reason(write({ phrase: ABOUT_12, accounts: -1 })), 'contents malformed');
  });

  test('creating a backup of an invalid phrase or with out-of-limit parameters throws', async () => {
    await assert.rejects(createBackup({ phrase: 'not a phrase' }, PASSPHRASE, { kdf: FAST_KDF }), WebWalletError);
    await assert.rejects(createBackup({ phrase: ABOUT_12 }, PASSPHRASE, { kdf: { ...FAST_KDF, t: 11 } }), RangeError);
    await assert.rejects(createBackup({ phrase: ABOUT_12, accounts: -1 }, PASSPHRASE, { kdf: FAST_KDF }), RangeError);
  });
});
