import { Type } from 'typebox';
import { StrictObject } from '../http/schemas.js';

/** Most documents per POST /v1/transactions. */
export const TRANSACTIONS_PER_REQUEST_MAX = 1_000;
export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 200;

const Anything = Type.Object({}, { additionalProperties: true });
const ErrorObject = Type.Object(
  { code: Type.String(), message: Type.String(), details: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: false },
);

export const SubmitRequest = StrictObject({
  documents: Type.Array(Type.Unsafe<unknown>({ $ref: 'SignedDocument#' }), {
    minItems: 1,
    maxItems: TRANSACTIONS_PER_REQUEST_MAX,
    description: 'Signed transaction documents; each is validated and applied on its own unless `atomic`.',
  }),
  atomic: Type.Optional(
    Type.Boolean({ description: 'All documents are applied, or none (each result then says why).', default: false }),
  ),
});

export const SubmitResultSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
    id: Type.Union([Type.String(), Type.Null()], { description: 'The client id from the document body.' }),
    document_id: Type.Optional(Type.String()),
    seq: Type.Optional(Type.Integer({ description: 'Position in the log.' })),
    accepted_at: Type.Optional(Type.String()),
    duplicate: Type.Optional(Type.Boolean({ description: 'True when the same document was accepted before.' })),
    error: Type.Optional(ErrorObject),
  },
  {
    $id: 'SubmitResult',
    description: 'Per-document outcome: accepted (durable) or rejected with a stable error code.',
  },
);

export const SubmitResponse = Type.Object({ results: Type.Array(Type.Unsafe({ $ref: 'SubmitResult#' })) });

export const SignedBlockSchema = Type.Object(
  {
    type: Type.Literal('ledger.block'),
    version: Type.Integer(),
    body: Type.Object({
      height: Type.Integer(),
      previous: Type.Union([Type.String(), Type.Null()]),
      timestamp: Type.String(),
      tree_size: Type.Integer(),
      root: Type.String(),
      node: Type.String(),
    }),
    signatures: Type.Array(Type.Object({ key: Type.String(), sig: Type.String() })),
  },
  { $id: 'SignedBlock', description: 'A block header signed by the node: a checkpoint of the log.' },
);

export const BlockResponse = Type.Object(
  { height: Type.Integer(), hash: Type.String(), block: Type.Unsafe({ $ref: 'SignedBlock#' }) },
  { $id: 'Block' },
);

export const ReceiptSchema = Type.Object(
  {
    version: Type.Literal(1),
    document: Anything,
    index: Type.Integer(),
    block: Type.Unsafe({ $ref: 'SignedBlock#' }),
    proof: Type.Array(Type.String()),
  },
  { $id: 'Receipt', description: 'Document + signed block + inclusion proof; verifies offline with the node key.' },
);

export const TransactionResponse = Type.Object(
  {
    id: Type.String(),
    document_id: Type.String(),
    seq: Type.Integer(),
    type: Type.String(),
    accepted_at: Type.String(),
    node_authorized: Type.Boolean(),
    document: Anything,
    block_height: Type.Union([Type.Integer(), Type.Null()]),
    receipt: Type.Union([Type.Unsafe({ $ref: 'Receipt#' }), Type.Null()]),
  },
  { $id: 'Transaction' },
);

export const AccountResponse = Type.Object(
  {
    id: Type.String(),
    keys: Type.Array(Type.String()),
    threshold: Type.Integer(),
    custodial: Type.Boolean(),
    allow_rippling: Type.Boolean(),
    spending_policy: Type.Union(
      [
        Type.Object({
          small_payments: Type.Array(
            Type.Object({
              currency: Type.String(),
              amount_max: Type.String(),
              threshold: Type.Integer(),
              window_ms: Type.Integer(),
              window_amount_max: Type.String(),
              window_spent: Type.String({
                description: 'Small payments inside the window ending now (fewer-signature payments only).',
              }),
            }),
          ),
        }),
        Type.Null(),
      ],
      { description: 'Fewer signatures for small payments (SpendingPolicy); null when every debit needs `threshold`.' },
    ),
    balances: Type.Array(
      Type.Object({
        currency: Type.String(),
        balance: Type.String(),
        held: Type.String(),
        available: Type.String(),
        limit: Type.Union([Type.String(), Type.Null()]),
        credit_limit: Type.String(),
        frozen: Type.Boolean(),
        issuer: Type.Boolean(),
      }),
    ),
    pending: Type.Array(
      Type.Object({
        id: Type.String(),
        expires_at: Type.String(),
        hashlock: Type.Union([Type.String(), Type.Null()]),
        legs: Type.Array(
          Type.Object({
            from: Type.String(),
            to: Type.String(),
            currency: Type.String(),
            amount: Type.String(),
            fee: Type.String(),
          }),
        ),
      }),
    ),
  },
  { $id: 'Account' },
);

export const CurrencyResponse = Type.Object(
  {
    code: Type.String(),
    scale: Type.Integer(),
    issuer: Type.String(),
    max_supply: Type.Union([Type.String(), Type.Null()]),
    transfer_fee_bps: Type.Integer(),
    circulating: Type.String(),
  },
  { $id: 'Currency' },
);

export const PageQuery = StrictObject({
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor from the previous page.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT })),
});

export function pageOf(item: { $id: string }) {
  return Type.Object({
    items: Type.Array(Type.Unsafe({ $ref: `${item.$id}#` })),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as cursor for the next page; null at the end.',
    }),
  });
}

export const InclusionQuery = StrictObject({
  transaction: Type.String({ maxLength: 128, description: 'Client id of the transaction.' }),
  tree_size: Type.Optional(
    Type.Integer({ minimum: 1, description: "A sealed block's tree size; default the latest block." }),
  ),
});
export const InclusionResponse = Type.Object({
  index: Type.Integer(),
  tree_size: Type.Integer(),
  root: Type.String(),
  proof: Type.Array(Type.String()),
});
export const ConsistencyQuery = StrictObject({ from: Type.Integer({ minimum: 0 }), to: Type.Integer({ minimum: 1 }) });
export const ConsistencyResponse = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  proof: Type.Array(Type.String()),
});
export const IdParam = StrictObject({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** Longest a transaction lookup may wait for the block that seals it. */
export const TRANSACTION_WAIT_MS_MAX = 10_000;
export const TransactionQuery = StrictObject({
  wait_ms: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: TRANSACTION_WAIT_MS_MAX,
      default: 0,
      description:
        'While the transaction is not yet in a signed block, hold the answer up to this many milliseconds and ' +
        'answer as soon as a block seals it (with its receipt), or when the wait ends (`receipt` still null). ' +
        '0 answers at once. A node with too many waiting requests may answer before the wait ends: ask again.',
    }),
  ),
});
export const HeightParam = StrictObject({ height: Type.Integer({ minimum: 0 }) });

export const LEDGER_SCHEMAS = [
  SubmitResultSchema,
  SignedBlockSchema,
  BlockResponse,
  ReceiptSchema,
  TransactionResponse,
  AccountResponse,
  CurrencyResponse,
];
