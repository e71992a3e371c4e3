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
  // payer tokens
  | 'payment_required'
  | 'token_malformed'
  | 'token_signer_not_payer'
  | 'token_signature_invalid'
  | 'token_audience_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_receipt_required'
  | 'token_payment_mismatch'
  | 'token_replayed'
  | 'payment_not_found'
  | 'payment_not_sealed'
  | 'payment_unsupported'
  | 'payment_payer_mismatch'
  | 'payment_payee_mismatch'
  | 'payment_currency_mismatch'
  | 'payment_amount_too_low'
  | 'payment_reference_mismatch'
  | 'node_unreachable'
  // wallet
  | 'recovery_phrase_invalid'
  | 'backup_invalid'
  | 'passphrase_wrong'
  | 'payment_uri_invalid'
  | 'instrument_invalid'
  | 'credential_invalid'
  | 'credential_expired'
  | 'credential_proof_unsupported'
  | 'wallet_document_invalid'
  | 'wallet_full'
  | 'sync_state_invalid'
  | 'pairing_code_invalid'
  | 'shared_wallet_invalid'
  | 'proposal_invalid'
  // ledger
  | 'transaction_invalid'
  | 'transaction_type_unknown'
  | 'timestamp_skew'
  | 'transaction_id_conflict'
  | 'batch_too_large'
  | 'authorization_insufficient'
  | 'account_exists'
  | 'account_not_found'
  | 'currency_exists'
  | 'currency_not_found'
  | 'trust_line_not_found'
  | 'trust_line_self'
  | 'trust_limit_exceeded'
  | 'trust_limit_below_balance'
  | 'credit_limit_below_debt'
  | 'insufficient_funds'
  | 'supply_exceeded'
  | 'holder_frozen'
  | 'amount_not_positive'
  | 'leg_invalid'
  | 'hold_not_found'
  | 'hold_closed'
  | 'hold_expired'
  | 'preimage_invalid'
  | 'post_amount_invalid'
  | 'transaction_not_found'
  | 'block_not_found'
  | 'cursor_invalid'
  | 'tree_size_invalid'
  | 'unauthenticated'
  | 'group_rejected'
  | 'path_not_found'
  | 'path_invalid'
  | 'send_max_exceeded'
  // payment processor
  | 'api_key_invalid'
  | 'api_key_revoked'
  | 'scope_missing'
  | 'sandbox_only'
  | 'signup_closed'
  | 'store_not_found'
  | 'invoice_not_found'
  | 'invoice_state_invalid'
  | 'refund_not_found'
  | 'refund_exceeds_paid'
  | 'payout_not_found'
  | 'webhook_not_found'
  | 'webhook_url_invalid'
  | 'webhook_url_forbidden'
  | 'event_not_found'
  | 'delivery_not_found'
  | 'payment_link_not_found'
  | 'key_not_found'
  | 'idempotency_key_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'rate_limited'
  // relay
  | 'relay_auth_invalid'
  | 'relay_clock_skew'
  | 'relay_replayed'
  | 'relay_not_member'
  | 'relay_device_not_found'
  | 'mailbox_not_found'
  | 'pairing_not_found'
  | 'relay_limit_exceeded'
  | 'relay_busy'
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
  payment_required: {
    status: 402,
    message:
      'This resource is sold for a payment. Pay as details.payment describes, then present a payer token in the Authorization header.',
  },
  token_malformed: {
    status: 403,
    message:
      'The payer token cannot be read: it must be the "wwpt1." text exactly as created (truncated or garbled?). details.reason says what is wrong.',
  },
  token_signer_not_payer: {
    status: 403,
    message: 'The token is not signed by the account it names as payer. Only the paying key can create a payer token.',
  },
  token_signature_invalid: {
    status: 403,
    message: "The token's signature does not verify for the payer's key: the token was altered or forged.",
  },
  token_audience_mismatch: {
    status: 403,
    message: 'The token was made for another site (details.audience). Create a token whose audience is this origin.',
  },
  token_expired: {
    status: 403,
    message: 'The token has expired (details.expires_at). Create a new token for the same payment.',
  },
  token_not_yet_valid: {
    status: 403,
    message: "The token's issued_at is in the future beyond the allowed clock skew. Check the device clock.",
  },
  token_receipt_required: {
    status: 403,
    message:
      'The token carries only a reference to its payment and this verifier has no URL for the node to look it up. Present the full form with the receipt.',
  },
  token_payment_mismatch: {
    status: 403,
    message: "The token's claims (transaction, payee, amount, currency or reference) differ from the payment it names.",
  },
  token_replayed: {
    status: 409,
    message: 'This payment was already redeemed here. A payer token is accepted once.',
  },
  payment_not_found: {
    status: 403,
    message: 'The node has no transaction with the id the token names.',
  },
  payment_not_sealed: {
    status: 503,
    message: 'The payment is accepted but not yet sealed into a signed block. Retry in a second.',
  },
  payment_unsupported: {
    status: 403,
    message:
      'The transaction the token names is not a final payment (a ledger.transfer without pending terms, or a ledger.payment).',
  },
  payment_payer_mismatch: {
    status: 403,
    message: "The token's payer did not make this payment: it is someone else's payment.",
  },
  payment_payee_mismatch: {
    status: 403,
    message: 'The payment went to another account than the one this seller expects (details.expected).',
  },
  payment_currency_mismatch: {
    status: 403,
    message: 'The payment is in another currency than the one this seller expects (details.expected).',
  },
  payment_amount_too_low: {
    status: 403,
    message: 'The payment is less than the price (details.expected).',
  },
  payment_reference_mismatch: {
    status: 403,
    message: "The payment's memo is not the order reference this seller expects (details.expected).",
  },
  node_unreachable: {
    status: 503,
    message: 'The ledger node could not be reached to look up the payment. Retry later.',
  },
  recovery_phrase_invalid: {
    status: 400,
    message:
      'The recovery phrase is not a valid BIP39 phrase: check the words (12 or 24, from the English list) and their order.',
  },
  backup_invalid: {
    status: 400,
    message: 'The file is not a WebWallet backup, or it is damaged. details.reason says what is wrong.',
  },
  passphrase_wrong: {
    status: 403,
    message: 'The passphrase does not open this wallet or backup. Check it and try again.',
  },
  payment_uri_invalid: {
    status: 400,
    message:
      'The payment link is not a valid web+webwallet:pay URI (node, to, amount and currency are required). details.reason says what is wrong.',
  },
  instrument_invalid: {
    status: 400,
    message: 'The card cannot be added to the wallet: details.reason says which field is wrong.',
  },
  credential_invalid: {
    status: 422,
    message: "The credential's proof does not verify, or the credential is malformed: it may have been altered.",
  },
  credential_expired: {
    status: 422,
    message: 'The credential is outside its validity period (validFrom / validUntil).',
  },
  credential_proof_unsupported: {
    status: 422,
    message:
      'The credential carries a proof this wallet cannot check (only eddsa-jcs-2022 with did:key is known). It is shown as unverified.',
  },
  wallet_document_invalid: {
    status: 400,
    message:
      'The wallet document or update is damaged or not a WebWallet document: nothing was changed. details.reason says what is wrong.',
  },
  wallet_full: {
    status: 409,
    message:
      'The wallet already holds the most records of this kind it can (details.limit): remove some before adding more.',
  },
  sync_state_invalid: {
    status: 400,
    message:
      "This device's saved sync state is damaged or not one: pair the device again. details.reason says what is wrong.",
  },
  pairing_code_invalid: {
    status: 400,
    message:
      'The pairing code cannot be right (mistyped, cut short or not a WebWallet code): check it against the other device, or scan the QR code. details.reason says what is wrong.',
  },
  shared_wallet_invalid: {
    status: 422,
    message:
      'The shared wallet description is not valid: details.field and details.reason say which part (members, roles, threshold, small-payment rules).',
  },
  proposal_invalid: {
    status: 422,
    message:
      "The proposal is not valid for this shared wallet (altered, expired, signed by a non-member, or another wallet's): details.field and details.reason say why.",
  },
  transaction_invalid: {
    status: 400,
    message:
      "The transaction body does not match its type's schema or breaks one of the type's rules. See details.errors (schema paths) or details.field and details.reason, and the schemas in /openapi.json.",
  },
  transaction_type_unknown: {
    status: 400,
    message: 'Unknown transaction type or version. Use one of the ledger.* types listed in /openapi.json, version 1.',
  },
  timestamp_skew: {
    status: 422,
    message: "created_at is too far from the node's clock (more than 5 minutes). Set it to the current UTC time.",
  },
  transaction_id_conflict: {
    status: 409,
    message: 'This transaction id was already used for a different transaction. Choose a new id (a UUID).',
  },
  batch_too_large: {
    status: 413,
    message: 'Too many documents in one request. Send at most the documented maximum per request.',
  },
  authorization_insufficient: {
    status: 403,
    message:
      "The account's required signatures are missing: sign with enough of its keys (see details), or use a node-authorized request for custodial accounts.",
  },
  account_exists: {
    status: 409,
    message: 'An account with this id exists already.',
  },
  account_not_found: {
    status: 404,
    message: 'No such account. Create it with a ledger.account.create transaction first.',
  },
  currency_exists: {
    status: 409,
    message: 'A currency with this code exists already on this ledger. Choose another code.',
  },
  currency_not_found: {
    status: 404,
    message: 'No such currency on this ledger. Check the code, or issue it with ledger.currency.issue.',
  },
  trust_line_not_found: {
    status: 422,
    message: 'The account has no trust line for this currency. The holder must first accept it with ledger.trust.set.',
  },
  trust_line_self: {
    status: 422,
    message: 'An issuer holds its own currency without a trust line; do not set one for it.',
  },
  trust_limit_exceeded: {
    status: 422,
    message:
      'The payment would take the receiver above its trust limit for this currency. The receiver can raise the limit.',
  },
  trust_limit_below_balance: {
    status: 422,
    message: 'A trust limit cannot be set below the current balance. Pay some out first, or choose a higher limit.',
  },
  credit_limit_below_debt: {
    status: 422,
    message: 'The credit limit cannot be lowered below what the holder already owes.',
  },
  insufficient_funds: {
    status: 422,
    message: "The paying account's available balance (balance minus holds, plus its credit limit) is too low.",
  },
  supply_exceeded: {
    status: 422,
    message: "Issuing this much would exceed the currency's maximum supply.",
  },
  holder_frozen: {
    status: 422,
    message: 'The issuer has frozen this holder for this currency; it can only pay the issuer back.',
  },
  amount_not_positive: {
    status: 400,
    message: 'Amounts in transfers must be greater than zero.',
  },
  leg_invalid: {
    status: 400,
    message: 'A transfer leg must move money between two different accounts.',
  },
  hold_not_found: {
    status: 404,
    message: 'No pending transfer with this id. Check pending_id.',
  },
  hold_closed: {
    status: 409,
    message: 'The pending transfer was already posted, voided or expired.',
  },
  hold_expired: {
    status: 422,
    message: 'The pending transfer expired before it was posted; its funds were released.',
  },
  preimage_invalid: {
    status: 422,
    message: "The preimage does not hash (SHA-256) to the transfer's hashlock.",
  },
  post_amount_invalid: {
    status: 422,
    message: 'A partial post needs a single-leg pending transfer and an amount no larger than held.',
  },
  transaction_not_found: {
    status: 404,
    message: 'No transaction with this id on this ledger.',
  },
  block_not_found: {
    status: 404,
    message: 'No block at this height yet. GET /v1/blocks/latest shows the newest.',
  },
  cursor_invalid: {
    status: 400,
    message: 'The pagination cursor is not one this node issued. Start again without a cursor.',
  },
  tree_size_invalid: {
    status: 422,
    message:
      'The tree size is not one of a sealed block, or is smaller than needed. Use a tree_size from GET /v1/blocks.',
  },
  unauthenticated: {
    status: 401,
    message:
      'This request needs the node\'s admin token: send "Authorization: Bearer <token>" (webwallet keys show --admin-token).',
  },
  group_rejected: {
    status: 422,
    message:
      'Another document of this all-or-nothing group was rejected, so none was applied. Fix the one named in details and resubmit the group.',
  },
  path_not_found: {
    status: 422,
    message:
      'No path of at most 6 hops connects the payer to the payee through accounts that allow rippling. Supply a path, or pay in a currency the payee accepts.',
  },
  path_invalid: {
    status: 422,
    message:
      'The supplied path cannot carry the payment: every intermediary must allow rippling, and all currencies on it must have the same scale. See details.hop.',
  },
  send_max_exceeded: {
    status: 422,
    message: "Delivering the amount along this path, with the issuers' fees, costs more than send_max. Raise send_max.",
  },
  api_key_invalid: {
    status: 401,
    message:
      'The API key is missing, malformed or unknown. Send "Authorization: Bearer ww_live_…" or "ww_test_…" with a key of this node\'s store.',
  },
  api_key_revoked: {
    status: 401,
    message: 'This API key was revoked. Create a new key and update the integration.',
  },
  scope_missing: {
    status: 403,
    message: 'The API key lacks the scope this endpoint needs (details.scope). Create a key with that scope.',
  },
  sandbox_only: {
    status: 403,
    message: 'Sandbox endpoints act on play money only: call them with a test key (ww_test_…).',
  },
  signup_closed: {
    status: 403,
    message:
      'Merchant sign-up on this node needs the admin token. Ask the operator, or run `webwallet merchant create`.',
  },
  store_not_found: {
    status: 404,
    message: 'No such store on this node. Check the store id.',
  },
  invoice_not_found: {
    status: 404,
    message:
      "No such invoice for this key's store and mode. Test keys see only test invoices, live keys only live ones.",
  },
  invoice_state_invalid: {
    status: 409,
    message:
      'The invoice is not in a state that allows this (details.status). See the invoice states in docs/processor.md.',
  },
  refund_not_found: {
    status: 404,
    message: "No such refund for this key's store and mode.",
  },
  refund_exceeds_paid: {
    status: 422,
    message: 'A refund cannot exceed what was paid minus what was already refunded (details.refundable).',
  },
  payout_not_found: {
    status: 404,
    message: "No such payout for this key's store and mode.",
  },
  webhook_not_found: {
    status: 404,
    message: "No such webhook endpoint for this key's store and mode.",
  },
  webhook_url_invalid: {
    status: 422,
    message:
      'The webhook URL must be an absolute http(s) URL without credentials or fragment, at most 2,048 characters.',
  },
  webhook_url_forbidden: {
    status: 422,
    message:
      'The webhook URL points at a private, loopback or link-local address. Use a public address, or have the operator set webhook_allow_private.',
  },
  event_not_found: {
    status: 404,
    message: "No such event for this key's store and mode.",
  },
  delivery_not_found: {
    status: 404,
    message: 'No such webhook delivery for this endpoint.',
  },
  payment_link_not_found: {
    status: 404,
    message: 'No such payment link, or it was deactivated.',
  },
  key_not_found: {
    status: 404,
    message: 'No such API key for this store.',
  },
  idempotency_key_invalid: {
    status: 400,
    message: 'Idempotency-Key must be 1 to 255 printable ASCII characters. Use a UUID.',
  },
  idempotency_key_reused: {
    status: 422,
    message:
      'This Idempotency-Key was used with different parameters or on another endpoint. Use a new key for a new request.',
  },
  idempotency_key_in_use: {
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed. Retry after it finishes.',
  },
  rate_limited: {
    status: 429,
    message: 'Too many requests for this API key. Wait for the number of seconds in Retry-After, then retry.',
  },
  // relay
  relay_auth_invalid: {
    status: 401,
    message:
      'The relay request is not signed by a device key. Send "Authorization: WebWallet-Device key=pub_…,t=<unix seconds>,sig=sig_…" signed over this method, path, t and body; details.reason says what is wrong.',
  },
  relay_clock_skew: {
    status: 401,
    message:
      "The request's t is too far from the node's clock. Set the device clock (details.server_time_s is the node's) and sign again.",
  },
  relay_replayed: {
    status: 401,
    message:
      'This exact signed request was already received. Sign it again with a later t or a random nonce (n=…) to repeat it.',
  },
  relay_not_member: {
    status: 403,
    message:
      'This device key is not a member of the mailbox (it was never added, or it was removed). Ask a member device to add it.',
  },
  relay_device_not_found: {
    status: 404,
    message: 'That device key is not a member of this mailbox. List the members with GET /v1/relay/mailboxes/{id}.',
  },
  mailbox_not_found: {
    status: 404,
    message: 'No relay mailbox has this id (it may have been deleted when its last device was removed).',
  },
  pairing_not_found: {
    status: 404,
    message:
      'No pairing has this id: it was already read, it expired, or the code is mistyped. Start pairing again on the other device.',
  },
  relay_limit_exceeded: {
    status: 413,
    message:
      'The relay does not accept this: it is over a size or count limit. details.limit names the limit and details.max its value.',
  },
  relay_busy: {
    status: 429,
    message: 'The relay is busy or this address is creating too much. Wait for the seconds in Retry-After, then retry.',
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
