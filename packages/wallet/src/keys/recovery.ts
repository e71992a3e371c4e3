import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { generateMnemonic, mnemonicToEntropy, mnemonicToSeed } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { err, type KeyPair, keyPairFromSecret, ok, type Result, toBase64Url, utf8 } from '@webwallet/core';

/**
 * The recovery phrase is the wallet: every account key, the wallet id and the sync key are
 * derived from it, so typing it on a fresh device restores the same accounts. BIP39 (English
 * list) gives the words and the 64-byte seed; HKDF-SHA256 (RFC 5869) with a distinct salt per
 * purpose derives the rest, so no derived value reveals another.
 */

export const RECOVERY_WORDS_DEFAULT = 24;
/** Phrase lengths the wallet makes and accepts: 128 or 256 bits of entropy (BIP39). */
export const RECOVERY_WORD_COUNTS: readonly number[] = [12, 24];
/** Longest phrase text looked at: 24 words of at most 8 letters with generous whitespace. */
export const RECOVERY_PHRASE_LENGTH_MAX = 1_024;
export const WALLET_SEED_BYTES = 64;
/** Account indexes fit in 31 bits, like BIP32's non-hardened range, so they survive any JSON. */
export const ACCOUNT_INDEX_MAX = 2 ** 31 - 1;
export const SYNC_KEY_BYTES = 32;

// Versioned salts: changing a derivation means a new salt, never a silent change of old accounts.
const ACCOUNT_KEY_SALT = utf8('webwallet:account-key:v1');
const WALLET_ID_SALT = utf8('webwallet:wallet-id:v1');
const SYNC_KEY_SALT = utf8('webwallet:sync-key:v1');
const WALLET_ID_BYTES = 16;
const WORDS: ReadonlySet<string> = new Set(wordlist);

/** The text form of a wallet id: "wal_" and 16 bytes in base64url. */
export const WALLET_ID_PATTERN = /^wal_[A-Za-z0-9_-]{22}$/;

/**
 * A new random recovery phrase (BIP39, English words) from the platform's CSPRNG.
 *
 * @example
 * const phrase = newRecoveryPhrase(); // "legal winner thank year wave …" (24 words)
 */
export function newRecoveryPhrase(words: 12 | 24 = RECOVERY_WORDS_DEFAULT): string {
  if (words !== 12 && words !== 24) throw new RangeError('a recovery phrase has 12 or 24 words');
  return generateMnemonic(wordlist, words === 12 ? 128 : 256);
}

/**
 * Checks a phrase as a person typed it and returns its normal form: lower case, single spaces.
 * Fails with recovery_phrase_invalid and a details.reason saying what to fix. The details name
 * the unknown word, so do not send them off the device.
 *
 * @example
 * checkRecoveryPhrase('  Legal winner …'); // ok('legal winner …')
 * checkRecoveryPhrase('legal xyz …');      // err recovery_phrase_invalid, reason 'unknown word "xyz" at position 2'
 */
export function checkRecoveryPhrase(phrase: string): Result<string> {
  if (typeof phrase !== 'string') throw new TypeError('the recovery phrase must be a string');
  if (phrase.length > RECOVERY_PHRASE_LENGTH_MAX) {
    return err('recovery_phrase_invalid', { reason: `longer than ${RECOVERY_PHRASE_LENGTH_MAX} characters` });
  }
  // BIP39 reads phrases in NFKD; any run of Unicode whitespace separates words.
  const text = phrase.normalize('NFKD').trim().toLowerCase();
  const words = text === '' ? [] : text.split(/\s+/u);
  if (!RECOVERY_WORD_COUNTS.includes(words.length)) {
    return err('recovery_phrase_invalid', {
      reason: `expected 12 or 24 words, got ${words.length}`,
      words: words.length,
    });
  }
  const unknown = words.findIndex((word) => !WORDS.has(word));
  if (unknown >= 0) {
    const word = words[unknown]!;
    const position = unknown + 1;
    return err('recovery_phrase_invalid', { reason: `unknown word "${word}" at position ${position}`, word, position });
  }
  const normal = words.join(' ');
  try {
    mnemonicToEntropy(normal, wordlist);
  } catch {
    // Every word is known, so only the checksum (the last bits of the last word) can be wrong.
    return err('recovery_phrase_invalid', {
      reason: 'wrong checksum: a word is mistyped as another valid word, or two words are swapped',
    });
  }
  return ok(normal);
}

/**
 * The BIP39 seed of a phrase with a BIP39 passphrase. The wallet always uses the empty passphrase
 * (walletSeed); this exists so the official test vectors, made with "TREZOR", exercise the same
 * code path. Not part of the package's public API.
 */
export async function bip39Seed(phrase: string, bip39Passphrase: string): Promise<Result<Uint8Array>> {
  const checked = checkRecoveryPhrase(phrase);
  if (!checked.ok) return checked;
  return ok(await mnemonicToSeed(checked.value, bip39Passphrase));
}

/**
 * The 64-byte wallet seed: BIP39 PBKDF2-HMAC-SHA512 of the normalized phrase, no BIP39 passphrase
 * (one secret to keep, not two; the passphrase lock protects the stored copy instead).
 *
 * @example
 * const seed = unwrap(await walletSeed(phrase));
 * const first = await accountKeyPair(seed, 0);
 */
export function walletSeed(phrase: string): Promise<Result<Uint8Array>> {
  return bip39Seed(phrase, '');
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== WALLET_SEED_BYTES) {
    throw new RangeError(`a wallet seed is ${WALLET_SEED_BYTES} bytes (from walletSeed)`);
  }
}

/**
 * The Ed25519 key pair of account number `index` (0, 1, 2, …): HKDF-SHA256(seed, salt
 * "webwallet:account-key:v1", info = index as 4 bytes big-endian) gives the 32-byte RFC 8032 seed.
 *
 * @example
 * const { publicKey } = await accountKeyPair(seed, 0);
 * encodePrefixed('pub', publicKey); // the self-custody account id "pub_…"
 */
export function accountKeyPair(seed: Uint8Array, index: number): Promise<KeyPair> {
  checkSeed(seed);
  if (!Number.isInteger(index) || index < 0 || index > ACCOUNT_INDEX_MAX) {
    throw new RangeError(`an account index is an integer from 0 to ${ACCOUNT_INDEX_MAX}`);
  }
  const info = new Uint8Array(4);
  new DataView(info.buffer).setUint32(0, index, false);
  return keyPairFromSecret(hkdf(sha256, seed, ACCOUNT_KEY_SALT, info, 32));
}

/**
 * A stable public name for the wallet, the same on every device that holds the phrase: "wal_"
 * and 16 bytes of HKDF output. It reveals nothing about the keys, so the sync relay may see it.
 *
 * @example
 * walletId(seed); // "wal_3q2-7wAAAAA…" (22 base64url characters after the prefix)
 */
export function walletId(seed: Uint8Array): string {
  checkSeed(seed);
  return `wal_${toBase64Url(hkdf(sha256, seed, WALLET_ID_SALT, undefined, WALLET_ID_BYTES))}`;
}

/** The 32-byte root key for end-to-end encrypted sync between the wallet's devices. */
export function syncKey(seed: Uint8Array): Uint8Array {
  checkSeed(seed);
  return hkdf(sha256, seed, SYNC_KEY_SALT, undefined, SYNC_KEY_BYTES);
}
