/**
 * Every expected failure in WebWallet carries one of these stable codes. The table is the single
 * source for the HTTP status and the default message; `docs/errors.md` is generated from it
 * (`npm run docs:errors`) and a test keeps the two in step.
 *
 * Adding a code to `ErrorCode` without a row in `ERRORS` is a compile error, and so is a row
 * without a status.
 */
export type ErrorCode =
  // request shape (HTTP boundary)
  | 'invalid_json'
  | 'invalid_request'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'route_not_found'
  // amounts
  | 'amount_invalid'
  | 'amount_out_of_range'
  | 'amount_too_precise'
  | 'amount_overflow'
  | 'currency_mismatch'
  // encodings and canonical JSON
  | 'encoding_invalid'
  | 'canonical_json_invalid'
  // signed documents
  | 'document_invalid'
  | 'signature_missing'
  | 'signature_invalid'
  // Merkle proofs, blocks and receipts
  | 'proof_invalid'
  | 'receipt_invalid'
  | 'node_key_untrusted'
  // node
  | 'service_unavailable'
  | 'internal_error';

export interface ErrorSpec {
  /** HTTP status the node answers with. */
  readonly status: number;
  /** Default message: says what went wrong and how to fix it. */
  readonly message: string;
}

export const ERRORS: { readonly [C in ErrorCode]: ErrorSpec } = {
  invalid_json: {
    status: 400,
    message: 'The request body is not valid JSON. Send a single JSON value encoded as UTF-8.',
  },
  invalid_request: {
    status: 400,
    message:
      'The request does not match the schema. See details for each failing field and the OpenAPI document at /openapi.json.',
  },
  unsupported_media_type: {
    status: 415,
    message: 'Send the request body with "Content-Type: application/json".',
  },
  payload_too_large: {
    status: 413,
    message: 'The request body is larger than the node accepts. Split it into smaller requests.',
  },
  route_not_found: {
    status: 404,
    message: 'No route matches this method and path. The API is described at /openapi.json.',
  },
  amount_invalid: {
    status: 400,
    message:
      'Amounts are decimal strings such as "12.34": digits, at most one ".", an optional leading "-" where negatives are allowed; no exponents, spaces or leading zeros.',
  },
  amount_out_of_range: {
    status: 400,
    message:
      'The amount is outside the allowed range: at most 9223372036854775807 minor units, and not negative unless allowed.',
  },
  amount_too_precise: {
    status: 400,
    message: 'The amount has more decimal places than the currency allows. Round it to the currency scale.',
  },
  amount_overflow: {
    status: 422,
    message: 'The result of this arithmetic would exceed the largest representable amount.',
  },
  currency_mismatch: {
    status: 422,
    message: 'The amounts are in different currencies or scales and cannot be combined.',
  },
  encoding_invalid: {
    status: 400,
    message:
      'The value is not a valid WebWallet text encoding. Keys, signatures and ids look like "pub_…", "sig_…", "doc_…" followed by unpadded base64url.',
  },
  canonical_json_invalid: {
    status: 400,
    message:
      'The value cannot be canonicalized per RFC 8785: use only JSON types (no undefined, functions, NaN or Infinity) and well-formed Unicode strings.',
  },
  document_invalid: {
    status: 400,
    message: 'The signed document envelope is malformed. It must be {type, version, body, signatures:[{key, sig}]}.',
  },
  signature_missing: {
    status: 422,
    message: 'A required signer has not signed the document. Sign it with the key named in details.key.',
  },
  signature_invalid: {
    status: 422,
    message:
      'A signature does not verify for its key. Re-sign the canonical document with the private key of details.key.',
  },
  proof_invalid: {
    status: 422,
    message: 'The Merkle proof does not verify against the given root and tree size.',
  },
  receipt_invalid: {
    status: 400,
    message:
      'The receipt is malformed. A receipt is {version: 1, document, index, block, proof} as served by GET /v1/transactions/{id}.',
  },
  node_key_untrusted: {
    status: 422,
    message:
      'The block is signed by a node key you did not trust. Fetch the node key from /.well-known/webwallet and pass it.',
  },
  service_unavailable: {
    status: 503,
    message: 'The node is shutting down or not ready. Retry shortly.',
  },
  internal_error: {
    status: 500,
    message: 'The node failed unexpectedly. Retry later and report the request id if it persists.',
  },
};

/** Codes in table order, for docs and tests. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export type ErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The one error type. Expected failures are returned as `Result` values carrying a
 * `WebWalletError`; bugs and infrastructure faults are thrown as ordinary errors.
 *
 * @example
 * const err = new WebWalletError('amount_too_precise', { scale: 2, value: '1.234' });
 * err.status; // 400
 */
export class WebWalletError extends Error {
  override readonly name = 'WebWalletError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}, message?: string) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  /** The wire shape every node error response uses. */
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetails };
}

export function isWebWalletError(value: unknown): value is WebWalletError {
  return value instanceof WebWalletError;
}

/** An expected outcome: a value, or an error with a stable code. */
export type Result<T, E = WebWalletError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err(
  code: ErrorCode,
  details: ErrorDetails = {},
  message?: string,
): { ok: false; error: WebWalletError } {
  return { ok: false, error: new WebWalletError(code, details, message) };
}

/** Returns the value or throws the error: for callers that treat a failure as a bug. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw result.error;
}
