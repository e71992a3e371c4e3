// Ed25519 keys from 32-byte seeds via node:crypto, fast and without generateKeyPairSync (which
// deadlocked in a GC callback, ~KeyGenJob, when called in a loop on Node 20.20 here).
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The deterministic seed of benchmark key i, base64url. */
export const seedOf = (i) => createHash('sha256').update(`webwallet-bench-key-${i}`).digest('base64url');

/**
 * A private KeyObject from a base64url seed. JWK import (~40 µs) is an order of magnitude faster
 * than PKCS #8 DER (~600 µs) here; Node derives the public half from `d` and wants `x` present.
 */
export function privateKeyFromSeed(d) {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x: '' }, format: 'jwk' });
  } catch {
    const der = Buffer.concat([PKCS8_PREFIX, Buffer.from(d, 'base64url')]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}

/** The raw public key of a private KeyObject, base64url (a "pub_…" id without its prefix). */
export const publicKeyText = (privateKey) => createPublicKey(privateKey).export({ format: 'jwk' }).x;
