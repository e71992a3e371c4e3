import { ed25519 as nobleEd25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toBase64Url } from './encoding.js';

/**
 * The few node:crypto functions core uses. Core must run unchanged in browsers, so it never
 * imports Node modules statically: on Node it loads node:crypto at start-up for speed (OpenSSL
 * verifies Ed25519 several times faster than pure JS), elsewhere it uses WebCrypto or @noble.
 */
interface NodeKeyObject {
  readonly type: string;
}
interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  /** One-shot hashing (Node 20.12+), about twice as fast as createHash for short inputs. */
  hash?(algorithm: 'sha256', data: Uint8Array, outputEncoding: 'buffer'): Uint8Array;
  createPrivateKey(input: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): NodeKeyObject;
  createPublicKey(input: { key: { kty: 'OKP'; crv: 'Ed25519'; x: string }; format: 'jwk' }): NodeKeyObject;
  sign(algorithm: null, data: Uint8Array, key: NodeKeyObject): Uint8Array;
  verify(algorithm: null, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean;
}

async function loadNodeCrypto(): Promise<NodeCrypto | undefined> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return undefined;
  // A variable specifier keeps browser bundlers from trying to resolve a Node built-in.
  const specifier = 'node:crypto';
  return (await import(/* @vite-ignore */ specifier)) as NodeCrypto;
}

const nodeCrypto = await loadNodeCrypto();

function view(bytes: Uint8Array): Uint8Array {
  // Node returns Buffers; hand out plain Uint8Arrays so equality and JSON behave the same everywhere.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** SHA-256 (FIPS 180-4), synchronous on every platform. */
export const sha256: (data: Uint8Array) => Uint8Array = nodeCrypto
  ? nodeCrypto.hash
    ? (data) => view((nodeCrypto.hash as NonNullable<NodeCrypto['hash']>)('sha256', data, 'buffer'))
    : (data) => view(nodeCrypto.createHash('sha256').update(data).digest())
  : (data) => nobleSha256(data);

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** An Ed25519 key pair. `secretKey` is the 32-byte RFC 8032 seed. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * One implementation of Ed25519 (RFC 8032, pure Ed25519 without context or prehash).
 * All backends produce identical signatures (Ed25519 is deterministic) and agree on the
 * RFC 8032 test vectors; tests run every backend available on the platform.
 */
export interface Ed25519Backend {
  readonly name: 'node' | 'webcrypto' | 'noble';
  publicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  sign(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RangeError(`${what} must be ${length} bytes`);
  }
}

/** A well-formed signature/key pair of the right lengths; backends differ in how they report bad lengths. */
function wellFormed(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return signature.length === ED25519_SIGNATURE_BYTES && publicKey.length === ED25519_PUBLIC_KEY_BYTES;
}

// The DER prefix that wraps a raw Ed25519 seed as PKCS #8 (RFC 8410 section 7).
const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** noble runs everywhere; verification is RFC 8032 strict (not ZIP-215) to agree with OpenSSL and WebCrypto. */
export const nobleBackend: Ed25519Backend = {
  name: 'noble',
  publicKey: async (secretKey) => nobleEd25519.getPublicKey(secretKey),
  sign: async (message, secretKey) => nobleEd25519.sign(message, secretKey),
  verify: async (signature, message, publicKey) => nobleVerify(signature, message, publicKey),
};

function nobleVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!wellFormed(signature, publicKey)) return false;
  try {
    return nobleEd25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // a public key that is not a curve point
  }
}

/**
 * Parsed public keys, least recently used dropped first: parsing a key costs about as much as a
 * verification, and a busy ledger sees the same accounts again and again. 65,536 keys are a few MB.
 */
const PUBLIC_KEY_CACHE_MAX = 65_536;

function makeNodeBackend(
  crypto: NodeCrypto,
): Ed25519Backend & { verifySync: typeof nobleVerify; signSync: (m: Uint8Array, s: Uint8Array) => Uint8Array } {
  const publicKeys = new Map<string, NodeKeyObject>();
  const publicKeyObject = (publicKey: Uint8Array): NodeKeyObject => {
    const cacheKey = String.fromCharCode(...publicKey);
    let key = publicKeys.get(cacheKey);
    if (key) {
      publicKeys.delete(cacheKey); // re-inserted below: a Map iterates oldest first, so this is an LRU
    } else {
      // JWK import is about ten times cheaper than DER (SPKI) import in node:crypto.
      key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKey) }, format: 'jwk' });
      if (publicKeys.size >= PUBLIC_KEY_CACHE_MAX) publicKeys.delete(publicKeys.keys().next().value as string);
    }
    publicKeys.set(cacheKey, key);
    return key;
  };
  const privateKeyObject = (secretKey: Uint8Array): NodeKeyObject => {
    checkLength(secretKey, ED25519_SECRET_KEY_BYTES, 'secret key');
    return crypto.createPrivateKey({ key: concatBytes(PKCS8_PREFIX, secretKey), format: 'der', type: 'pkcs8' });
  };
  const signSync = (message: Uint8Array, secretKey: Uint8Array): Uint8Array =>
    view(crypto.sign(null, message, privateKeyObject(secretKey)));
  const verifySync = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
    if (!wellFormed(signature, publicKey)) return false;
    try {
      return crypto.verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      return false; // OpenSSL rejects keys that are not curve points when parsing
    }
  };
  return {
    name: 'node',
    // Public key derivation is rare (key creation); noble's is correct and avoids DER export.
    publicKey: async (secretKey) => nobleEd25519.getPublicKey(secretKey),
    sign: async (message, secretKey) => signSync(message, secretKey),
    verify: async (signature, message, publicKey) => verifySync(signature, message, publicKey),
    signSync,
    verifySync,
  };
}

const nodeBackend = nodeCrypto ? makeNodeBackend(nodeCrypto) : undefined;

/** WebCrypto takes only ArrayBuffer-backed views; copy when a view sits on another buffer kind. */
function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

function makeWebCryptoBackend(subtle: SubtleCrypto): Ed25519Backend {
  const algorithm = { name: 'Ed25519' };
  return {
    name: 'webcrypto',
    publicKey: async (secretKey) => nobleEd25519.getPublicKey(secretKey),
    async sign(message, secretKey) {
      checkLength(secretKey, ED25519_SECRET_KEY_BYTES, 'secret key');
      const key = await subtle.importKey('pkcs8', owned(concatBytes(PKCS8_PREFIX, secretKey)), algorithm, false, [
        'sign',
      ]);
      return new Uint8Array(await subtle.sign(algorithm, key, owned(message)));
    },
    async verify(signature, message, publicKey) {
      if (!wellFormed(signature, publicKey)) return false;
      try {
        const key = await subtle.importKey('raw', owned(publicKey), algorithm, false, ['verify']);
        return await subtle.verify(algorithm, key, owned(signature), owned(message));
      } catch {
        return false;
      }
    },
  };
}

/** WebCrypto Ed25519 exists in current browsers and Node; older engines lack it, so probe once. */
async function probeWebCrypto(): Promise<Ed25519Backend | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  try {
    const backend = makeWebCryptoBackend(subtle);
    const seed = new Uint8Array(32);
    const signature = await backend.sign(new Uint8Array(0), seed);
    const publicKey = nobleEd25519.getPublicKey(seed);
    return (await backend.verify(signature, new Uint8Array(0), publicKey)) ? backend : undefined;
  } catch {
    return undefined;
  }
}

const webCryptoBackend = await probeWebCrypto();

/** Every Ed25519 backend this platform offers, fastest first. */
export const ed25519Backends: readonly Ed25519Backend[] = [nodeBackend, webCryptoBackend, nobleBackend].filter(
  (b): b is Ed25519Backend => b !== undefined,
);

/** The backend used by default: node:crypto on Node, WebCrypto in browsers, noble elsewhere. */
export const ed25519Backend: Ed25519Backend = ed25519Backends[0] ?? nobleBackend;

/** Random bytes from the platform's CSPRNG (WebCrypto getRandomValues, also global on Node 20). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** Makes a new key pair from 32 random bytes. */
export async function generateKeyPair(): Promise<KeyPair> {
  const secretKey = randomBytes(ED25519_SECRET_KEY_BYTES);
  return { secretKey, publicKey: await ed25519Backend.publicKey(secretKey) };
}

/** The key pair for an existing 32-byte seed. */
export async function keyPairFromSecret(secretKey: Uint8Array): Promise<KeyPair> {
  checkLength(secretKey, ED25519_SECRET_KEY_BYTES, 'secret key');
  return { secretKey, publicKey: await ed25519Backend.publicKey(secretKey) };
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array> {
  return ed25519Backend.sign(message, secretKey);
}

/** Resolves false (never throws) for a wrong signature, a malformed key or wrong lengths. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  return ed25519Backend.verify(signature, message, publicKey);
}

/**
 * Synchronous verification for hot paths (the ledger's verifier threads): node:crypto where
 * available, noble otherwise.
 */
export function verifySync(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return nodeBackend
    ? nodeBackend.verifySync(signature, message, publicKey)
    : nobleVerify(signature, message, publicKey);
}

/** Synchronous signing: node:crypto where available, noble otherwise. */
export function signSync(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return nodeBackend ? nodeBackend.signSync(message, secretKey) : nobleEd25519.sign(message, secretKey);
}
