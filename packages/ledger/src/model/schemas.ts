import { type Static, type TSchema, Type } from 'typebox';

/**
 * The ledger's transaction bodies, written once: these schemas validate documents (here and in
 * the verifier threads), give the TypeScript types, and appear in the node's OpenAPI document.
 */

/** Most legs one transfer may have. */
export const TRANSFER_LEGS_MAX = 16;
/** Most keys an account may list (m-of-n with n at most this). */
export const ACCOUNT_KEYS_MAX = 10;
/** Highest issuer transfer fee: 10% (1,000 basis points). */
export const TRANSFER_FEE_BPS_MAX = 1_000;
export const MEMO_LENGTH_MAX = 256;

function strict<P extends Record<string, TSchema>>(properties: P, description: string) {
  return Type.Object(properties, { additionalProperties: false, description });
}

export const ClientId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description:
    'Client-chosen transaction id, unique on the ledger (use a UUID or 128 random bits). Resubmitting the same id with the same content returns the original result.',
});
export const Timestamp = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
  description: 'RFC 3339 time in UTC, e.g. 2026-11-21T12:00:00.000Z.',
});
export const PublicKeyText = Type.String({ pattern: '^pub_[A-Za-z0-9_-]{43}$', description: 'Ed25519 public key.' });
export const AccountId = Type.String({
  pattern: '^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$',
  description:
    'A self-custody account is named by one of its public keys ("pub_…"); a node-managed (custodial) one is "acc_…".',
});
export const CurrencyCode = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9-]{0,11}$',
  description: 'Currency code, unique on this ledger.',
});
export const AmountText = Type.String({
  pattern: '^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,18})?$',
  description: 'Decimal string in the currency\'s units, e.g. "12.34"; at most the currency\'s scale in decimals.',
});
export const HashHex = Type.String({ pattern: '^[0-9a-f]{64}$', description: '32 bytes as lower-case hex.' });

/** Most small-payment rules an account may carry (at most one per currency). */
export const SMALL_PAYMENT_RULES_MAX = 4;
/** Shortest rolling window of a small-payment rule: one minute. */
export const SPENDING_WINDOW_MS_MIN = 60_000;
/** Longest rolling window of a small-payment rule: 31 days, so a monthly budget fits. */
export const SPENDING_WINDOW_MS_MAX = 31 * 24 * 3600_000;

export const SmallPaymentRule = strict(
  {
    currency: CurrencyCode,
    amount_max: Type.Unsafe<string>({
      ...AmountText,
      description:
        'A ledger.transfer or ledger.payment that debits the account at most this much of `currency` (fees included, one currency only) needs only `threshold` signatures.',
    }),
    threshold: Type.Integer({
      minimum: 1,
      maximum: ACCOUNT_KEYS_MAX - 1,
      description: "Signatures a small payment needs; lower than the account's threshold.",
    }),
    window_ms: Type.Integer({
      minimum: SPENDING_WINDOW_MS_MIN,
      maximum: SPENDING_WINDOW_MS_MAX,
      description: 'Length of the rolling window that caps the sum of small payments, e.g. 86400000 for a day.',
    }),
    window_amount_max: Type.Unsafe<string>({
      ...AmountText,
      description:
        'Most that payments made with the lower threshold may add up to within any window_ms; beyond it every payment needs the full threshold. At least amount_max.',
    }),
  },
  'Per-currency rule: small payments need fewer signatures, within a rolling cap.',
);

export const SpendingPolicy = strict(
  { small_payments: Type.Array(SmallPaymentRule, { maxItems: SMALL_PAYMENT_RULES_MAX }) },
  "How many signatures a payment needs by its amount. Anything no rule covers (larger amounts, other or several currencies, pending transfers, trust lines, account changes) needs the account's full threshold.",
);

export const AccountCreateBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    account: AccountId,
    keys: Type.Optional(Type.Array(PublicKeyText, { minItems: 1, maxItems: ACCOUNT_KEYS_MAX, uniqueItems: true })),
    threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: ACCOUNT_KEYS_MAX })),
    allow_rippling: Type.Optional(Type.Boolean({ description: 'Let multi-hop payments pass through this account.' })),
    spending_policy: Type.Optional(SpendingPolicy),
  },
  'Opens an account. Self-custody: signed by `threshold` of `keys` (default: the account key alone). Custodial ("acc_…"): node-authorized.',
);

export const AccountUpdateBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    account: AccountId,
    keys: Type.Array(PublicKeyText, { minItems: 1, maxItems: ACCOUNT_KEYS_MAX, uniqueItems: true }),
    threshold: Type.Integer({ minimum: 1, maximum: ACCOUNT_KEYS_MAX }),
    spending_policy: Type.Optional(SpendingPolicy),
  },
  "Replaces a self-custody account's keys, threshold and spending policy (none when omitted) from the next transaction on. Signed by the account's current threshold of its current keys (never a small-payment threshold), and by the new threshold of the new keys, so the account stays usable.",
);

export const CurrencyIssueBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    issuer: AccountId,
    currency: CurrencyCode,
    scale: Type.Integer({ minimum: 0, maximum: 18, description: 'Decimal places of the minor unit.' }),
    max_supply: Type.Optional(AmountText),
    transfer_fee_bps: Type.Optional(Type.Integer({ minimum: 0, maximum: TRANSFER_FEE_BPS_MAX })),
  },
  "Issues a new currency; the issuer's balance is minus the circulating supply. Authorized by the issuer.",
);

export const TrustSetBody = strict(
  { id: ClientId, created_at: Timestamp, holder: AccountId, currency: CurrencyCode, limit: AmountText },
  'Creates or changes a trust line: the most of `currency` the holder accepts. Authorized by the holder.',
);

export const HolderSetBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    currency: CurrencyCode,
    holder: AccountId,
    frozen: Type.Optional(Type.Boolean()),
    credit_limit: Type.Optional(AmountText),
  },
  'The issuer freezes or unfreezes a holder, or sets how far below zero the holder may go. Authorized by the issuer.',
);

export const Leg = strict(
  { from: AccountId, to: AccountId, currency: CurrencyCode, amount: AmountText },
  'Moves `amount` of `currency` from one account to another.',
);

export const PendingTerms = strict(
  {
    expires_at: Timestamp,
    hashlock: Type.Optional(
      Type.Unsafe<string>({ ...HashHex, description: 'Hex SHA-256 of a 32-byte preimage that posting must reveal.' }),
    ),
  },
  'Makes the transfer two-phase: funds are held until posted, voided or expired.',
);

export const TransferBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    legs: Type.Array(Leg, { minItems: 1, maxItems: TRANSFER_LEGS_MAX }),
    pending: Type.Optional(PendingTerms),
    memo: Type.Optional(Type.String({ maxLength: MEMO_LENGTH_MAX })),
  },
  'One or more legs, all-or-nothing. Authorized by every paying account.',
);

export const TransferPostBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    pending_id: ClientId,
    amount: Type.Optional(
      Type.Unsafe<string>({
        ...AmountText,
        description: 'Post less than held (single-leg holds only); the rest is released.',
      }),
    ),
    preimage: Type.Optional(Type.Unsafe<string>({ ...HashHex, description: 'Hex preimage of the hashlock.' })),
  },
  'Completes a pending transfer. Authorized by the payers, or by anyone revealing the hashlock preimage.',
);

export const TransferVoidBody = strict(
  { id: ClientId, created_at: Timestamp, pending_id: ClientId },
  'Cancels a pending transfer and releases the held funds. Authorized by a payer or a payee.',
);

/** Most intermediaries on a payment path: six hops in all. */
export const PATH_INTERMEDIARIES_MAX = 5;

const CurrencyAmount = strict({ currency: CurrencyCode, amount: AmountText }, 'An amount of a currency.');

export const PaymentBody = strict(
  {
    id: ClientId,
    created_at: Timestamp,
    from: AccountId,
    to: AccountId,
    deliver: CurrencyAmount,
    send_max: CurrencyAmount,
    path: Type.Optional(
      Type.Array(
        strict({ account: AccountId, currency: CurrencyCode }, 'An intermediary and the currency it pays onward.'),
        { maxItems: PATH_INTERMEDIARIES_MAX },
      ),
    ),
    memo: Type.Optional(Type.String({ maxLength: MEMO_LENGTH_MAX })),
  },
  'Multi-hop payment: `from` pays in send_max.currency, intermediaries that allow rippling pass the value on 1:1 in currencies of the same scale, `to` receives exactly `deliver`; issuer fees apply per hop; all-or-nothing. Without `path` the node finds the shortest one (at most 6 hops). Authorized by `from`.',
);

/** Written by the node itself when a hold expires; never accepted from clients. */
export const TransferExpireBody = strict(
  { id: Type.String({ maxLength: 128 }), created_at: Timestamp, pending_id: ClientId },
  'Node-written: a pending transfer expired and its funds were released.',
);

export const TRANSACTION_TYPES = {
  'ledger.account.create': AccountCreateBody,
  'ledger.account.update': AccountUpdateBody,
  'ledger.currency.issue': CurrencyIssueBody,
  'ledger.trust.set': TrustSetBody,
  'ledger.holder.set': HolderSetBody,
  'ledger.transfer': TransferBody,
  'ledger.transfer.post': TransferPostBody,
  'ledger.transfer.void': TransferVoidBody,
  'ledger.transfer.expire': TransferExpireBody,
  'ledger.payment': PaymentBody,
} as const;

export type TransactionType = keyof typeof TRANSACTION_TYPES;
/** Types only the node writes. */
export const SYSTEM_TYPES: ReadonlySet<string> = new Set(['ledger.transfer.expire']);
export const TRANSACTION_VERSION = 1;

export type AccountCreate = Static<typeof AccountCreateBody>;
export type AccountUpdate = Static<typeof AccountUpdateBody>;
export type SpendingPolicyBody = Static<typeof SpendingPolicy>;
export type CurrencyIssue = Static<typeof CurrencyIssueBody>;
export type TrustSet = Static<typeof TrustSetBody>;
export type HolderSet = Static<typeof HolderSetBody>;
export type LegBody = Static<typeof Leg>;
export type Transfer = Static<typeof TransferBody>;
export type TransferPost = Static<typeof TransferPostBody>;
export type TransferVoid = Static<typeof TransferVoidBody>;
export type TransferExpire = Static<typeof TransferExpireBody>;
export type Payment = Static<typeof PaymentBody>;

export type TransactionBody =
  | { type: 'ledger.account.create'; body: AccountCreate }
  | { type: 'ledger.account.update'; body: AccountUpdate }
  | { type: 'ledger.currency.issue'; body: CurrencyIssue }
  | { type: 'ledger.trust.set'; body: TrustSet }
  | { type: 'ledger.holder.set'; body: HolderSet }
  | { type: 'ledger.transfer'; body: Transfer }
  | { type: 'ledger.transfer.post'; body: TransferPost }
  | { type: 'ledger.transfer.void'; body: TransferVoid }
  | { type: 'ledger.transfer.expire'; body: TransferExpire }
  | { type: 'ledger.payment'; body: Payment };
