import { base58 } from '@scure/base';
import {
  canonicalize,
  concatBytes,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  err,
  ok,
  type Result,
  sha256,
  sign,
  tryCanonicalize,
  utf8,
  verify,
} from '@webwallet/core';
import { CREDENTIAL_JSON_BYTES_MAX } from './types.js';

/**
 * W3C Verifiable Credentials 2.0 (https://www.w3.org/TR/vc-data-model-2.0/) as identity cards,
 * and the one proof the wallet checks itself: a Data Integrity proof with the "eddsa-jcs-2022"
 * cryptosuite (W3C Data Integrity EdDSA Cryptosuites v1.0, https://www.w3.org/TR/vc-di-eddsa/,
 * section 3.3) by an issuer identified with a did:key (https://w3c-ccg.github.io/did-key-spec/).
 * Everything else still shows as a card, marked unverified: resolving did:web or other DID
 * methods needs the network and trust decisions the wallet does not make on its own.
 */

export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2';
export const DATA_INTEGRITY_PROOF = 'DataIntegrityProof';
export const EDDSA_JCS_2022 = 'eddsa-jcs-2022';
/** Most @context entries, credential subjects and types a credential may list. */
export const CREDENTIAL_LIST_MAX = 32;
/** did:key identifiers and multibase proof values are short; the caps bound base58 decoding (quadratic). */
const DID_KEY_LENGTH_MAX = 128;
const PROOF_VALUE_LENGTH_MAX = 128;
/** Multicodec ed25519-pub (0xed) as an unsigned varint: the bytes 0xed 0x01 before the raw key. */
const ED25519_PUB_MULTICODEC = new Uint8Array([0xed, 0x01]);

export type JsonObject = { readonly [key: string]: unknown };

/** A Data Integrity proof (https://www.w3.org/TR/vc-data-integrity/#proofs). */
export interface DataIntegrityProof {
  readonly type: string;
  readonly cryptosuite?: string;
  readonly verificationMethod?: string;
  readonly proofPurpose?: string;
  readonly created?: string;
  readonly expires?: string;
  readonly proofValue?: string;
  readonly '@context'?: readonly (string | JsonObject)[];
  readonly [key: string]: unknown;
}

/** The parts of a VC 2.0 credential the wallet reads; any other property is kept as is. */
export interface VerifiableCredential {
  readonly '@context': readonly (string | JsonObject)[];
  readonly id?: string;
  readonly type: string | readonly string[];
  readonly issuer: string | (JsonObject & { readonly id: string });
  readonly credentialSubject: JsonObject | readonly JsonObject[];
  readonly validFrom?: string;
  readonly validUntil?: string;
  readonly proof?: DataIntegrityProof | readonly DataIntegrityProof[];
  readonly [key: string]: unknown;
}

export interface VerifiedCredential {
  readonly verified: true;
  /** The issuer's id: the did:key whose key made the proof. */
  readonly issuer: string;
  readonly cryptosuite: typeof EDDSA_JCS_2022;
  readonly verification_method: string;
}

// XML Schema dateTimeStamp (VC 2.0 section 4.9): a time zone is required. Four-digit years only,
// which is what Date.parse reads reliably.
const DATE_TIME_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an XML Schema dateTimeStamp, or undefined when it is not one. */
export function parseDateTimeStamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DATE_TIME_STAMP.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2_048) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The credential's `type` values as a list. */
export function credentialTypes(vc: VerifiableCredential): readonly string[] {
  return typeof vc.type === 'string' ? [vc.type] : vc.type;
}

/** The issuer's id (a URL or DID), whether `issuer` is a string or an object. */
export function credentialIssuerId(vc: VerifiableCredential): string {
  return typeof vc.issuer === 'string' ? vc.issuer : vc.issuer.id;
}

function contextProblem(context: unknown): string | undefined {
  // VC 2.0 section 4.3: an ordered set whose first item is the v2 context URL.
  if (!Array.isArray(context) || context.length === 0 || context.length > CREDENTIAL_LIST_MAX) {
    return `@context is a list of 1 to ${CREDENTIAL_LIST_MAX} entries`;
  }
  if (context[0] !== VC_CONTEXT_V2) return `@context must start with "${VC_CONTEXT_V2}" (a VC 2.0 credential)`;
  if (!context.every((c) => isUrl(c) || isObject(c))) return '@context entries are URLs or objects';
  return undefined;
}

function typeProblem(type: unknown): string | undefined {
  const types = typeof type === 'string' ? [type] : type;
  if (!Array.isArray(types) || types.length > CREDENTIAL_LIST_MAX || !types.every((t) => typeof t === 'string')) {
    return 'type is a string or a list of strings';
  }
  return types.includes('VerifiableCredential') ? undefined : 'type must include "VerifiableCredential"';
}

function issuerProblem(issuer: unknown): string | undefined {
  if (isUrl(issuer)) return undefined;
  if (isObject(issuer) && isUrl(issuer.id)) return undefined;
  return 'issuer is a URL (such as a DID) or an object with an id URL';
}

function subjectProblem(subject: unknown): string | undefined {
  const subjects = Array.isArray(subject) ? subject : [subject];
  if (subjects.length === 0 || subjects.length > CREDENTIAL_LIST_MAX || !subjects.every(isObject)) {
    return 'credentialSubject is an object or a list of objects';
  }
  return undefined;
}

function validityProblem(value: JsonObject): string | undefined {
  for (const field of ['validFrom', 'validUntil'] as const) {
    if (value[field] !== undefined && parseDateTimeStamp(value[field]) === undefined) {
      return `${field} is a date-time with a time zone, e.g. "2025-01-01T00:00:00Z"`;
    }
  }
  return undefined;
}

function proofShapeProblem(proof: unknown): string | undefined {
  if (proof === undefined) return undefined;
  const proofs = Array.isArray(proof) ? proof : [proof];
  if (proofs.length === 0 || proofs.length > CREDENTIAL_LIST_MAX) return 'proof is an object or a list of objects';
  if (!proofs.every((p) => isObject(p) && typeof p.type === 'string')) return 'each proof is an object with a type';
  return undefined;
}

/** Why `value` is not a VC 2.0 credential, or undefined when it is one (shape only, no proof check). */
export function credentialProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'a credential is a JSON object';
  const canonical = tryCanonicalize(value);
  if (!canonical.ok) return `not plain JSON: ${String(canonical.error.details.reason ?? '')}`;
  if (utf8(canonical.value).length > CREDENTIAL_JSON_BYTES_MAX) {
    return `larger than ${CREDENTIAL_JSON_BYTES_MAX} bytes`;
  }
  if (value.id !== undefined && !isUrl(value.id)) return 'id is a URL';
  return (
    contextProblem(value['@context']) ??
    typeProblem(value.type) ??
    issuerProblem(value.issuer) ??
    subjectProblem(value.credentialSubject) ??
    validityProblem(value) ??
    proofShapeProblem(value.proof)
  );
}

/** Checks a credential's shape: `credential_invalid` with details.reason when it is not one. */
export function checkCredential(value: unknown): Result<VerifiableCredential> {
  const problem = credentialProblem(value);
  return problem === undefined ? ok(value as VerifiableCredential) : err('credential_invalid', { reason: problem });
}

// ---------------------------------------------------------------------------------------------
// did:key and multibase

function multibaseDecode(text: string, lengthMax: number): Uint8Array | undefined {
  // "z" is the multibase prefix of base58btc (the only base eddsa-jcs-2022 allows).
  if (text.length > lengthMax || !text.startsWith('z')) return undefined;
  try {
    return base58.decode(text.slice(1));
  } catch {
    return undefined;
  }
}

/** The did:key of an Ed25519 public key: "did:key:z6Mk…". */
export function didKeyFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) throw new RangeError('an Ed25519 public key is 32 bytes');
  return `did:key:z${base58.encode(concatBytes(ED25519_PUB_MULTICODEC, publicKey))}`;
}

/**
 * The Ed25519 public key a did:key names. Other key types (P-256 "zDn…", …) are
 * `credential_proof_unsupported`; a damaged identifier is `credential_invalid`.
 */
export function publicKeyFromDidKey(did: string): Result<Uint8Array> {
  if (!did.startsWith('did:key:')) {
    return err('credential_proof_unsupported', { reason: 'the issuer is not a did:key', issuer: did });
  }
  const bytes = multibaseDecode(did.slice('did:key:'.length), DID_KEY_LENGTH_MAX);
  if (bytes === undefined) return err('credential_invalid', { reason: 'the did:key is not base58btc multibase' });
  if (bytes[0] !== ED25519_PUB_MULTICODEC[0] || bytes[1] !== ED25519_PUB_MULTICODEC[1]) {
    return err('credential_proof_unsupported', { reason: 'the did:key is not an Ed25519 key', issuer: did });
  }
  if (bytes.length !== ED25519_PUB_MULTICODEC.length + ED25519_PUBLIC_KEY_BYTES) {
    return err('credential_invalid', { reason: 'the did:key does not hold a 32-byte Ed25519 key' });
  }
  return ok(bytes.slice(ED25519_PUB_MULTICODEC.length));
}

/** The verification method id of a did:key: the DID, "#", and the key's multibase form again. */
export function didKeyVerificationMethod(did: string): string {
  return `${did}#${did.slice('did:key:'.length)}`;
}

// ---------------------------------------------------------------------------------------------
// eddsa-jcs-2022 (vc-di-eddsa section 3.3)

function withoutKey(value: JsonObject, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = value;
  return rest;
}

/**
 * hashData of eddsa-jcs-2022 (sections 3.3.4 Hashing and 3.3.5 Proof Configuration):
 * SHA-256(JCS(proofConfig)) || SHA-256(JCS(unsecuredDocument)), where proofConfig is the proof
 * options (the proof without proofValue) with `@context` set to the document's @context.
 * Throws `canonical_json_invalid` for values that are not plain JSON.
 */
export function eddsaJcs2022HashData(unsecuredDocument: JsonObject, proofOptions: JsonObject): Uint8Array {
  const proofConfig =
    unsecuredDocument['@context'] === undefined
      ? withoutKey(proofOptions, 'proofValue')
      : { ...withoutKey(proofOptions, 'proofValue'), '@context': unsecuredDocument['@context'] };
  const proofConfigHash = sha256(utf8(canonicalize(proofConfig)));
  const transformedDocumentHash = sha256(utf8(canonicalize(unsecuredDocument)));
  return concatBytes(proofConfigHash, transformedDocumentHash);
}

/**
 * Makes an eddsa-jcs-2022 proof (section 3.3.1 Create Proof): the proof options plus a
 * base58btc `proofValue`. The proof carries `@context` only if the options do.
 *
 * @example
 * const proof = await createEddsaJcs2022Proof(credential, {
 *   type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', proofPurpose: 'assertionMethod',
 *   verificationMethod: didKeyVerificationMethod(did), created: '2025-01-01T00:00:00Z',
 * }, secretKey);
 */
export async function createEddsaJcs2022Proof(
  unsecuredDocument: JsonObject,
  proofOptions: DataIntegrityProof,
  secretKey: Uint8Array,
): Promise<DataIntegrityProof> {
  if (proofOptions.type !== DATA_INTEGRITY_PROOF || proofOptions.cryptosuite !== EDDSA_JCS_2022) {
    throw new TypeError(`proof options must be a ${DATA_INTEGRITY_PROOF} with cryptosuite ${EDDSA_JCS_2022}`);
  }
  if (proofOptions.created !== undefined && parseDateTimeStamp(proofOptions.created) === undefined) {
    throw new TypeError('proof options: created must be a date-time with a time zone');
  }
  const signature = await sign(eddsaJcs2022HashData(withoutKey(unsecuredDocument, 'proof'), proofOptions), secretKey);
  return { ...proofOptions, proofValue: `z${base58.encode(signature)}` };
}

function contextStartsWith(documentContext: unknown, proofContext: unknown): boolean {
  if (!Array.isArray(documentContext) || !Array.isArray(proofContext)) return false;
  if (proofContext.length > documentContext.length) return false;
  const same = (a: unknown, b: unknown) => {
    const x = tryCanonicalize(a);
    const y = tryCanonicalize(b);
    return x.ok && y.ok && x.value === y.value;
  };
  return proofContext.every((entry, i) => same(entry, documentContext[i]));
}

function invalid(reason: string): Result<never> {
  return err('credential_invalid', { reason });
}

/**
 * Verifies an eddsa-jcs-2022 proof on a document with a known public key (section 3.3.2 Verify
 * Proof). It does not decide whose key that is: `verifyCredential` ties the key to the issuer.
 */
export async function verifyEddsaJcs2022Proof(
  securedDocument: JsonObject,
  publicKey: Uint8Array,
): Promise<Result<true>> {
  const proof = securedDocument.proof;
  if (!isObject(proof)) return invalid('the document has no single proof object');
  if (proof.type !== DATA_INTEGRITY_PROOF || proof.cryptosuite !== EDDSA_JCS_2022) {
    return err('credential_proof_unsupported', { reason: `not a ${DATA_INTEGRITY_PROOF} with ${EDDSA_JCS_2022}` });
  }
  const signature =
    typeof proof.proofValue === 'string' ? multibaseDecode(proof.proofValue, PROOF_VALUE_LENGTH_MAX) : undefined;
  if (signature?.length !== ED25519_SIGNATURE_BYTES) return invalid('proofValue is not a base58btc Ed25519 signature');
  if (proof.created !== undefined && parseDateTimeStamp(proof.created) === undefined) {
    return invalid('proof.created is not a date-time with a time zone');
  }
  const proofOptions = withoutKey(proof, 'proofValue');
  let unsecured = withoutKey(securedDocument, 'proof');
  if (proofOptions['@context'] !== undefined) {
    // Step 4 of Verify Proof: the document's @context must begin with the proof's, and the proof's
    // is what was signed (later additions to the document's @context are not covered).
    if (!contextStartsWith(securedDocument['@context'], proofOptions['@context'])) {
      return invalid("the document's @context does not start with the proof's @context");
    }
    unsecured = { ...unsecured, '@context': proofOptions['@context'] };
  }
  let hashData: Uint8Array;
  try {
    hashData = eddsaJcs2022HashData(unsecured, proofOptions);
  } catch {
    return invalid('the credential is not plain JSON');
  }
  if (!(await verify(signature, hashData, publicKey))) {
    return invalid('the proof does not verify: the credential was altered or signed by another key');
  }
  return ok(true);
}

// ---------------------------------------------------------------------------------------------
// Credentials

function singleProof(vc: VerifiableCredential): Result<DataIntegrityProof> {
  const proofs = vc.proof === undefined ? [] : Array.isArray(vc.proof) ? vc.proof : [vc.proof];
  if (proofs.length === 0) return err('credential_proof_unsupported', { reason: 'the credential has no proof' });
  if (proofs.length > 1) return err('credential_proof_unsupported', { reason: 'proof sets are not supported' });
  const proof = proofs[0] as DataIntegrityProof;
  if (proof.type !== DATA_INTEGRITY_PROOF || proof.cryptosuite !== EDDSA_JCS_2022) {
    const suite = proof.cryptosuite ?? proof.type;
    return err('credential_proof_unsupported', { reason: `proof ${suite} is not ${EDDSA_JCS_2022}` });
  }
  return ok(proof);
}

function validityError(vc: VerifiableCredential, proof: DataIntegrityProof, nowMs: number): Result<never> | undefined {
  const from = parseDateTimeStamp(vc.validFrom);
  if (from !== undefined && from > nowMs) {
    return err('credential_expired', { reason: 'not valid yet', valid_from: vc.validFrom });
  }
  const until = parseDateTimeStamp(vc.validUntil);
  if (until !== undefined && until < nowMs) {
    return err('credential_expired', { reason: 'no longer valid', valid_until: vc.validUntil });
  }
  const expires = parseDateTimeStamp(proof.expires);
  if (expires !== undefined && expires < nowMs) {
    return err('credential_expired', { reason: 'the proof has expired', expires: proof.expires });
  }
  return undefined;
}

export interface VerifyCredentialOptions {
  /** Clock for validFrom / validUntil, ms since the epoch. Default now. */
  readonly now_ms?: number;
}

/**
 * Verifies a credential offline: its shape, an eddsa-jcs-2022 proof made with the key of its
 * did:key issuer for the "assertionMethod" purpose, then its validity period. The checks run in
 * that order, so a tampered credential reports `credential_invalid` even when it is also expired.
 * Unknown proofs and issuers that are not did:key give `credential_proof_unsupported`.
 *
 * @example
 * const result = await verifyCredential(card.credential);
 * result.ok ? `verified, issued by ${result.value.issuer}` : result.error.code;
 */
export async function verifyCredential(
  value: unknown,
  options: VerifyCredentialOptions = {},
): Promise<Result<VerifiedCredential>> {
  const vc = checkCredential(value);
  if (!vc.ok) return vc;
  const proof = singleProof(vc.value);
  if (!proof.ok) return proof;
  const issuer = credentialIssuerId(vc.value);
  const publicKey = publicKeyFromDidKey(issuer);
  if (!publicKey.ok) return publicKey;
  const method = didKeyVerificationMethod(issuer);
  if (proof.value.verificationMethod !== method) {
    return invalid(`the proof was not made with the issuer's key: its verificationMethod is not ${method}`);
  }
  if (proof.value.proofPurpose !== 'assertionMethod') return invalid('the proof purpose is not "assertionMethod"');
  const verified = await verifyEddsaJcs2022Proof({ ...vc.value, proof: proof.value }, publicKey.value);
  if (!verified.ok) return verified;
  const expired = validityError(vc.value, proof.value, options.now_ms ?? Date.now());
  if (expired) return expired;
  return ok({ verified: true, issuer, cryptosuite: EDDSA_JCS_2022, verification_method: method });
}

export interface IssueCredentialOptions {
  /** Types after "VerifiableCredential", e.g. ["MembershipCard"]. */
  readonly types?: readonly string[];
  /** Contexts after the VC 2.0 context. */
  readonly contexts?: readonly (string | JsonObject)[];
  readonly id?: string;
  readonly name?: string;
  readonly description?: string;
  /** Shown as the issuer's name; the issuer's id is always the key's did:key. */
  readonly issuer_name?: string;
  /** Default: now. */
  readonly valid_from?: string;
  readonly valid_until?: string;
  /** Clock for the defaults, ms since the epoch. */
  readonly now_ms?: number;
}

function secondsTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Issues a credential signed with eddsa-jcs-2022 by the key pair's did:key: for tests, demos and
 * small issuers (a club's membership card). Throws TypeError for a subject that is not a JSON object.
 *
 * @example
 * const vc = await issueCredential({ id: 'did:example:alice', memberOf: 'Chess club' }, clubKeys, {
 *   types: ['MembershipCard'], name: 'Chess club membership',
 * });
 */
export async function issueCredential(
  subject: JsonObject,
  issuerKeyPair: { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array },
  options: IssueCredentialOptions = {},
): Promise<VerifiableCredential> {
  if (!isObject(subject)) throw new TypeError('credentialSubject must be a JSON object');
  const now = options.now_ms ?? Date.now();
  const did = didKeyFromPublicKey(issuerKeyPair.publicKey);
  const credential: Record<string, unknown> = {
    '@context': [VC_CONTEXT_V2, ...(options.contexts ?? [])],
    ...(options.id === undefined ? {} : { id: options.id }),
    type: ['VerifiableCredential', ...(options.types ?? [])],
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.description === undefined ? {} : { description: options.description }),
    issuer: options.issuer_name === undefined ? did : { id: did, name: options.issuer_name },
    validFrom: options.valid_from ?? secondsTimestamp(now),
    ...(options.valid_until === undefined ? {} : { validUntil: options.valid_until }),
    credentialSubject: subject,
  };
  const problem = credentialProblem(credential);
  if (problem !== undefined) throw new TypeError(`the credential would be invalid: ${problem}`);
  const proof = await createEddsaJcs2022Proof(
    credential,
    {
      type: DATA_INTEGRITY_PROOF,
      cryptosuite: EDDSA_JCS_2022,
      created: secondsTimestamp(now),
      verificationMethod: didKeyVerificationMethod(did),
      proofPurpose: 'assertionMethod',
    },
    issuerKeyPair.secretKey,
  );
  return { ...credential, proof } as VerifiableCredential;
}
