import { decodePrefixed, err, ok, type Result, type SignedDocument, unwrap, verifyDocumentSync } from '@webwallet/core';
import { Compile } from 'typebox/compile';
import {
  SYSTEM_TYPES,
  TRANSACTION_TYPES,
  TRANSACTION_VERSION,
  type TransactionBody,
  type TransactionType,
} from '../model/schemas.js';

/** How far a client's created_at may be from the node's clock. */
export const TIMESTAMP_SKEW_MS_MAX = 5 * 60_000;
/** Schema errors listed per rejected document. */
const SCHEMA_ERRORS_MAX = 10;

type Validator = ReturnType<typeof Compile>;
const validators = new Map<string, Validator>();

/**
 * The compiled validator of a transaction type, compiled on first use: compiling all of them at
 * import would cost every command-line call that only builds documents a good part of a second.
 */
function validatorFor(type: string): Validator | undefined {
  let validator = validators.get(type);
  if (!validator && Object.hasOwn(TRANSACTION_TYPES, type)) {
    validator = Compile(TRANSACTION_TYPES[type as TransactionType]);
    validators.set(type, validator);
  }
  return validator;
}

/** A document that passed every check that needs no ledger state: shape, schema, signatures. */
export interface PreparedTransaction {
  readonly tx: TransactionBody;
  /** Client-chosen id. */
  readonly id: string;
  readonly document: SignedDocument;
  /** "doc_…": SHA-256 of the canonical body. */
  readonly documentId: string;
  readonly hash: Uint8Array;
  /** Keys whose signatures verified. */
  readonly signers: readonly string[];
  /** Submitted by an authenticated operator path: may act for custodial ("acc_…") accounts. */
  readonly nodeAuthorized: boolean;
}

export interface PrepareOptions {
  nodeAuthorized?: boolean;
  /** Check created_at against this clock; omitted when replaying the log. */
  now_ms?: number;
  /** Accept node-written types (replay only). */
  allowSystem?: boolean;
}

/** The part of preparation that verifier threads do; the result crosses threads as plain data. */
export interface CheckedDocument {
  documentId: string;
  signers: string[];
}

/** Shape, schema, timestamp and signatures of one document, without ledger state. */
export function checkDocument(value: unknown, options: PrepareOptions = {}): Result<CheckedDocument> {
  const verified = verifyDocumentSync(value);
  if (!verified.ok) return verified;
  const doc = value as SignedDocument<{ created_at?: string }>;
  const validator = validatorFor(doc.type);
  if (!validator || doc.version !== TRANSACTION_VERSION || (SYSTEM_TYPES.has(doc.type) && !options.allowSystem)) {
    return err('transaction_type_unknown', { type: doc.type, version: doc.version });
  }
  if (!validator.Check(doc.body)) {
    const errors = [...validator.Errors(doc.body)]
      .filter((e) => e.keyword !== 'boolean')
      .slice(0, SCHEMA_ERRORS_MAX)
      .map((e) => ({ path: `body${e.instancePath}`, message: e.message }));
    return err('transaction_invalid', { type: doc.type, errors });
  }
  if (options.now_ms !== undefined) {
    const created = Date.parse(doc.body.created_at ?? '');
    if (!Number.isFinite(created) || Math.abs(created - options.now_ms) > TIMESTAMP_SKEW_MS_MAX) {
      return err('timestamp_skew', {
        created_at: doc.body.created_at,
        node_time: new Date(options.now_ms).toISOString(),
        skew_ms_max: TIMESTAMP_SKEW_MS_MAX,
      });
    }
  }
  return ok({ documentId: verified.value.id, signers: [...verified.value.signers] });
}

/** Combines a checked document with the original object into a PreparedTransaction. */
export function toPrepared(value: unknown, checked: CheckedDocument, nodeAuthorized: boolean): PreparedTransaction {
  const document = value as SignedDocument;
  const tx = { type: document.type, body: document.body } as TransactionBody;
  return {
    tx,
    id: tx.body.id,
    document,
    documentId: checked.documentId,
    hash: unwrap(decodePrefixed('doc', checked.documentId)),
    signers: checked.signers,
    nodeAuthorized,
  };
}

/** checkDocument and toPrepared in one step, on the calling thread. */
export function prepareTransaction(value: unknown, options: PrepareOptions = {}): Result<PreparedTransaction> {
  const checked = checkDocument(value, options);
  return checked.ok ? ok(toPrepared(value, checked.value, options.nodeAuthorized === true)) : checked;
}
