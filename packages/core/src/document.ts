import { canonicalBytes, tryCanonicalize } from './canonical-json.js';
import { sha256, sign, verify, verifySync } from './crypto.js';
import { decodePrefixed, encodePrefixed, utf8 } from './encoding.js';
import { err, ok, type Result } from './errors.js';

/** Most signatures one document may carry (m-of-n accounts stay well below this). */
export const DOCUMENT_SIGNATURES_MAX = 16;
/** Document types are short dotted names such as "ledger.transfer". */
export const DOCUMENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,4}$/;
export const DOCUMENT_TYPE_LENGTH_MAX = 64;

export interface DocumentSignature {
  /** Signer's public key, "pub_…". */
  readonly key: string;
  /** Ed25519 signature over the signing payload, "sig_…". */
  readonly sig: string;
}

/**
 * The envelope of every signed statement in WebWallet: transactions, receipts, payer tokens.
 *
 * The id is the SHA-256 of the canonical body, so the same body always has the same id whoever
 * signs it. Each signature covers the signing payload (see `signingPayload`), which binds the type
 * and version to the body through the id.
 */
export interface SignedDocument<Body = unknown> {
  readonly type: string;
  readonly version: number;
  readonly body: Body;
  readonly signatures: readonly DocumentSignature[];
}

/** Raw SHA-256 of the RFC 8785 canonical body. */
export function documentHash(body: unknown): Uint8Array {
  return sha256(canonicalBytes(body));
}

/** "doc_…" id of a body. */
export function documentId(body: unknown): string {
  return encodePrefixed('doc', documentHash(body));
}

const SIGNING_DOMAIN = 'webwallet:document:v1';

/**
 * The bytes a signer signs: the canonical JSON of {domain, id, type, version}. The domain string
 * keeps a document signature from ever being valid as any other kind of WebWallet signature,
 * and signing the fixed-size id keeps signing cost independent of body size.
 */
export function signingPayload(type: string, version: number, id: string): Uint8Array {
  return canonicalBytes({ domain: SIGNING_DOMAIN, id, type, version });
}

/** Adds a signature by `secretKey` (32-byte seed) to a document; returns a new document. */
export async function signDocument<Body>(
  document: Omit<SignedDocument<Body>, 'signatures'> & { signatures?: readonly DocumentSignature[] },
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
): Promise<SignedDocument<Body>> {
  const id = documentId(document.body);
  const signature = await sign(signingPayload(document.type, document.version, id), keyPair.secretKey);
  const entry = { key: encodePrefixed('pub', keyPair.publicKey), sig: encodePrefixed('sig', signature) };
  return {
    type: document.type,
    version: document.version,
    body: document.body,
    signatures: [...(document.signatures ?? []).filter((s) => s.key !== entry.key), entry],
  };
}

/** Creates a document and signs it with each key pair in order. */
export async function createDocument<Body>(
  type: string,
  version: number,
  body: Body,
  signers: readonly { publicKey: Uint8Array; secretKey: Uint8Array }[],
): Promise<SignedDocument<Body>> {
  let document: SignedDocument<Body> = { type, version, body, signatures: [] };
  for (const signer of signers) document = await signDocument(document, signer);
  return document;
}

export interface VerifiedDocument {
  readonly id: string;
  /** Public keys ("pub_…") whose signatures verified, in document order. */
  readonly signers: readonly string[];
}

interface ParsedSignature {
  key: string;
  publicKey: Uint8Array;
  signature: Uint8Array;
  index: number;
}

/** Checks the envelope's shape and decodes the signatures; no cryptography yet. */
export function parseDocument(
  value: unknown,
): Result<{ document: SignedDocument; id: string; signatures: ParsedSignature[] }> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return err('document_invalid', { reason: 'a document is a JSON object' });
  }
  const doc = value as Record<string, unknown>;
  const extra = Object.keys(doc).filter((k) => !['type', 'version', 'body', 'signatures'].includes(k));
  if (extra.length > 0) return err('document_invalid', { reason: 'unknown fields', fields: extra });
  const { type, version, body, signatures } = doc;
  if (typeof type !== 'string' || type.length > DOCUMENT_TYPE_LENGTH_MAX || !DOCUMENT_TYPE.test(type)) {
    return err('document_invalid', { field: 'type', reason: 'a dotted lower-case name such as "ledger.transfer"' });
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 1_000_000) {
    return err('document_invalid', { field: 'version', reason: 'a positive integer' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return err('document_invalid', { field: 'body', reason: 'a JSON object' });
  }
  const canonical = tryCanonicalize(body);
  if (!canonical.ok) return canonical;
  if (!Array.isArray(signatures) || signatures.length > DOCUMENT_SIGNATURES_MAX) {
    return err('document_invalid', { field: 'signatures', reason: `an array of at most ${DOCUMENT_SIGNATURES_MAX}` });
  }
  const parsed = parseSignatures(signatures);
  if (!parsed.ok) return parsed;
  const id = encodePrefixed('doc', sha256(utf8(canonical.value)));
  return ok({
    document: { type, version, body, signatures: signatures as DocumentSignature[] },
    id,
    signatures: parsed.value,
  });
}

function parseSignatures(entries: unknown[]): Result<ParsedSignature[]> {
  const out: ParsedSignature[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (Object.keys(e).length !== 2) {
      return err('document_invalid', { field: `signatures[${index}]`, reason: 'exactly {key, sig}' });
    }
    const publicKey = decodePrefixed('pub', e.key);
    const signature = decodePrefixed('sig', e.sig);
    if (!publicKey.ok || !signature.ok) {
      return err('document_invalid', { field: `signatures[${index}]`, reason: 'key must be "pub_…" and sig "sig_…"' });
    }
    const key = e.key as string;
    if (seen.has(key))
      return err('document_invalid', { field: `signatures[${index}]`, reason: 'duplicate signer', key });
    seen.add(key);
    out.push({ key, publicKey: publicKey.value, signature: signature.value, index });
  }
  return ok(out);
}

function checkSigners(
  signatures: ParsedSignature[],
  valid: boolean[],
  required: readonly string[],
  id: string,
): Result<VerifiedDocument> {
  for (const [i, s] of signatures.entries()) {
    if (!valid[i]) return err('signature_invalid', { key: s.key, index: s.index, id });
  }
  const present = new Set(signatures.map((s) => s.key));
  for (const key of required) {
    if (!present.has(key)) return err('signature_missing', { key, id });
  }
  return ok({ id, signers: signatures.map((s) => s.key) });
}

/**
 * Verifies a document: its shape, every signature on it, and that each key in `required` signed.
 * The error names exactly which signer is missing (`signature_missing`) or which signature does
 * not verify (`signature_invalid`, with its index).
 *
 * @example
 * const result = await verifyDocument(doc, ['pub_…']);
 * if (!result.ok) console.log(result.error.code, result.error.details.key);
 */
export async function verifyDocument(
  value: unknown,
  required: readonly string[] = [],
): Promise<Result<VerifiedDocument>> {
  const parsed = parseDocument(value);
  if (!parsed.ok) return parsed;
  const { document, id, signatures } = parsed.value;
  const payload = signingPayload(document.type, document.version, id);
  const valid = await Promise.all(signatures.map((s) => verify(s.signature, payload, s.publicKey)));
  return checkSigners(signatures, valid, required, id);
}

/** verifyDocument, synchronously (node:crypto or noble): for verifier worker threads. */
export function verifyDocumentSync(value: unknown, required: readonly string[] = []): Result<VerifiedDocument> {
  const parsed = parseDocument(value);
  if (!parsed.ok) return parsed;
  const { document, id, signatures } = parsed.value;
  const payload = signingPayload(document.type, document.version, id);
  const valid = signatures.map((s) => verifySync(s.signature, payload, s.publicKey));
  return checkSigners(signatures, valid, required, id);
}
