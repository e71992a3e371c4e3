import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { concatBytes, err, ok, type Result, randomBytes, utf8 } from '@webwallet/core';

/**
 * The passphrase lock: a memory-hard key derivation (Argon2id, RFC 9106) turns a passphrase into
 * a 32-byte key, and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) seals bytes under it. The
 * 24-byte nonce is random: at that size random nonces never repeat in practice, so callers need
 * no counter.
 */

export interface KdfParams {
  readonly name: 'argon2id';
  /** Memory in KiB. */
  readonly m_kib: number;
  /** Passes over the memory. */
  readonly t: number;
  /** Lanes (parallelism). */
  readonly p: number;
}

/**
 * OWASP's minimum recommendation for Argon2id (19 MiB, 2 passes, 1 lane; Password Storage Cheat
 * Sheet). Measured with @noble/hashes' pure-JS Argon2id: 360-410 ms on Node 20 on a 2-core x86 VM,
 * short enough to unlock without a progress bar.
 */
export const KDF_DEFAULT: KdfParams = { name: 'argon2id', m_kib: 19_456, t: 2, p: 1 };

/**
 * Limits on parameters read from a file: a hostile backup could otherwise ask for gigabytes of
 * memory or hours of work. 256 MiB and 10 passes is several seconds on a phone, still usable.
 */
export const KDF_LIMITS = {
  m_kib_min: 8_192,
  m_kib_max: 262_144,
  t_min: 1,
  t_max: 10,
  p_min: 1,
  p_max: 4,
} as const;

export const LOCK_KEY_BYTES = 32;
export const LOCK_SALT_BYTES = 16;
/** Longest salt accepted: Argon2 needs at least 8 bytes; more than 64 only costs. */
export const LOCK_SALT_BYTES_MAX = 64;
export const SEAL_NONCE_BYTES = 24;
export const SEAL_TAG_BYTES = 16;

function integerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * What is wrong with untrusted KDF parameters, or undefined when they are usable. Checked before
 * any key derivation runs, so bad parameters cost nothing.
 */
export function kdfParamsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'kdf must be an object';
  const { name, m_kib, t, p } = value as Record<string, unknown>;
  const L = KDF_LIMITS;
  if (name !== 'argon2id') return 'kdf.name must be "argon2id"';
  if (!integerIn(m_kib, L.m_kib_min, L.m_kib_max))
    return `kdf.m_kib must be an integer from ${L.m_kib_min} to ${L.m_kib_max}`;
  if (!integerIn(t, L.t_min, L.t_max)) return `kdf.t must be an integer from ${L.t_min} to ${L.t_max}`;
  if (!integerIn(p, L.p_min, L.p_max)) return `kdf.p must be an integer from ${L.p_min} to ${L.p_max}`;
  return undefined;
}

/**
 * The 32-byte lock key for a passphrase. The passphrase is NFKC-normalized first, so the same
 * characters typed on different keyboards (composed or decomposed accents, full-width forms)
 * give the same key. Argon2id runs asynchronously, yielding to the event loop so a page stays
 * responsive.
 *
 * @example
 * const salt = randomBytes(LOCK_SALT_BYTES); // store it next to the sealed bytes
 * const key = await deriveLockKey('correct horse battery staple', salt, KDF_DEFAULT);
 */
export function deriveLockKey(
  passphrase: string,
  salt: Uint8Array,
  params: KdfParams = KDF_DEFAULT,
): Promise<Uint8Array> {
  if (typeof passphrase !== 'string') throw new TypeError('the passphrase must be a string');
  if (!(salt instanceof Uint8Array) || salt.length < LOCK_SALT_BYTES || salt.length > LOCK_SALT_BYTES_MAX) {
    throw new RangeError(`the salt must be ${LOCK_SALT_BYTES} to ${LOCK_SALT_BYTES_MAX} bytes`);
  }
  const problem = kdfParamsProblem(params);
  if (problem) throw new RangeError(problem);
  return argon2idAsync(utf8(passphrase.normalize('NFKC')), salt, {
    m: params.m_kib,
    t: params.t,
    p: params.p,
    dkLen: LOCK_KEY_BYTES,
  });
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== LOCK_KEY_BYTES) {
    throw new RangeError(`a lock key is ${LOCK_KEY_BYTES} bytes`);
  }
}

/**
 * Encrypts and authenticates `plaintext`, and authenticates `aad` (bound to the ciphertext but
 * not stored in it: the caller supplies the same bytes to open). Returns nonce || ciphertext || tag.
 *
 * @example
 * const sealed = seal(key, utf8('secret'), utf8('wallet:v1'));
 * open(key, sealed, utf8('wallet:v1')); // ok(bytes of 'secret')
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkKey(key);
  const nonce = randomBytes(SEAL_NONCE_BYTES);
  return concatBytes(nonce, xchacha20poly1305(key, nonce, aad).encrypt(plaintext));
}

/**
 * Opens what `seal` made. Any failure to authenticate (wrong key, so usually a wrong passphrase;
 * altered nonce, ciphertext or aad; bytes too short to hold a tag) is passphrase_wrong: the cipher
 * cannot tell these apart, and it says nothing more about the plaintext.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Result<Uint8Array> {
  checkKey(key);
  if (!(sealed instanceof Uint8Array)) throw new TypeError('sealed must be a Uint8Array');
  if (sealed.length < SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
    return err('passphrase_wrong', { reason: 'sealed data too short' });
  const nonce = sealed.subarray(0, SEAL_NONCE_BYTES);
  try {
    return ok(xchacha20poly1305(key, nonce, aad).decrypt(sealed.subarray(SEAL_NONCE_BYTES)));
  } catch {
    return err('passphrase_wrong', { reason: 'authentication failed' });
  }
}
