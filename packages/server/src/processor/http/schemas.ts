import { AmountText, CurrencyCode } from '@webwallet/ledger';
import { type TSchema, Type } from 'typebox';
import { StrictObject } from '../../http/schemas.js';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../../ledger/schemas.js';
import { ADDITIONAL_STATUSES, EVENT_TYPES, INVOICE_STATUSES, SCOPES } from '../model.js';

/**
 * The merchant API's schemas: they validate requests, type the handlers and are the OpenAPI
 * components. Response objects list their fields; docs/processor.md describes them.
 */

const Str = (maxLength: number, description?: string) =>
  Type.String({ maxLength, ...(description ? { description } : {}) });
const Time = Type.String({ format: 'date-time', description: 'RFC 3339 UTC.' });
const NullableTime = Type.Union([Time, Type.Null()]);
const NullableStr = Type.Union([Type.String(), Type.Null()]);
const HttpUrl = Type.String({ maxLength: 2048, pattern: '^https?://', description: 'Absolute http(s) URL.' });
const Mode = Type.Union([Type.Literal('live'), Type.Literal('test')]);

function object(id: string, properties: Record<string, TSchema>, description: string) {
  return Type.Object(properties, { $id: id, additionalProperties: false, description });
}

export const Payment = object(
  'Payment',
  {
    id: Type.String(),
    rail: Type.String({ description: '"ledger" for the node\'s own ledger; chain rails add others.' }),
    transaction_id: Type.String(),
    from: Type.String(),
    amount: Type.String(),
    currency: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('confirmed')]),
    late: Type.Boolean(),
    counted: Type.Boolean({ description: 'false when it arrived after the monitoring window.' }),
    received_at: Time,
    confirmed_at: NullableTime,
    block_height: Type.Union([Type.Integer(), Type.Null()]),
    receipt: Type.Union([Type.Unsafe({ $ref: 'Receipt#' }), Type.Null()]),
  },
  'One payment toward an invoice.',
);

export const Invoice = object(
  'Invoice',
  {
    id: Type.String(),
    object: Type.Literal('invoice'),
    mode: Mode,
    store_id: Type.String(),
    status: Type.String({ enum: [...INVOICE_STATUSES] }),
    additional_status: Type.String({ enum: [...ADDITIONAL_STATUSES] }),
    amount: Type.String(),
    currency: Type.String(),
    amount_paid: Type.String(),
    amount_due: Type.String(),
    amount_refunded: Type.String(),
    order_id: NullableStr,
    description: NullableStr,
    metadata: Type.Object({}, { additionalProperties: true }),
    redirect_url: NullableStr,
    payment_tolerance_pct: Type.Integer(),
    payee: Type.String(),
    payment_uri: Type.String(),
    checkout_url: Type.String(),
    payment_link_id: NullableStr,
    created_at: Time,
    expires_at: Time,
    monitoring_until: Time,
    settled_at: NullableTime,
    payments: Type.Array(Type.Unsafe({ $ref: 'Payment#' })),
  },
  'An invoice; states as BTCPay Server (docs/processor.md).',
);

const Failure = Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]);
const MoneyOutStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

export const Refund = object(
  'Refund',
  {
    id: Type.String(),
    object: Type.Literal('refund'),
    mode: Mode,
    invoice_id: Type.String(),
    amount: Type.String(),
    currency: Type.String(),
    destination: Type.String(),
    status: MoneyOutStatus,
    transaction_id: Type.String(),
    failure: Failure,
    reason: NullableStr,
    created_at: Time,
  },
  'Money back to the account that paid an invoice.',
);

export const Payout = object(
  'Payout',
  {
    id: Type.String(),
    object: Type.Literal('payout'),
    mode: Mode,
    amount: Type.String(),
    currency: Type.String(),
    destination: Type.String(),
    description: NullableStr,
    status: MoneyOutStatus,
    transaction_id: Type.String(),
    failure: Failure,
    created_at: Time,
  },
  "Money from the store's balance to an account the merchant controls.",
);

export const WebhookEndpoint = object(
  'WebhookEndpoint',
  {
    id: Type.String(),
    object: Type.Literal('webhook_endpoint'),
    mode: Mode,
    url: Type.String(),
    events: Type.Array(Type.String()),
    description: NullableStr,
    enabled: Type.Boolean(),
    created_at: Time,
    secret: Type.Optional(Type.String({ description: 'Shown only when created or rotated.' })),
    previous_secret_valid_until: Type.Optional(Time),
    deleted: Type.Optional(Type.Boolean()),
  },
  'Where events of one store and mode are delivered.',
);

export const Delivery = object(
  'WebhookDelivery',
  {
    id: Type.String(),
    object: Type.Literal('webhook_delivery'),
    event_id: Type.String(),
    event_type: Type.String(),
    status: MoneyOutStatus,
    attempts: Type.Integer(),
    next_attempt_at: NullableTime,
    last_attempt_at: NullableTime,
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    last_error: NullableStr,
    created_at: Time,
  },
  'One event on its way to one endpoint.',
);

export const Event = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ enum: [...EVENT_TYPES] }),
    mode: Mode,
    store_id: Type.String(),
    created_at: Time,
    data: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'Event', additionalProperties: false, description: 'A webhook event, exactly as delivered.' },
);

export const ApiKey = object(
  'ApiKey',
  {
    id: Type.String(),
    object: Type.Literal('api_key'),
    name: NullableStr,
    mode: Mode,
    prefix: Type.String(),
    scopes: Type.Array(Type.String()),
    created_at: Time,
    last_used_at: NullableTime,
    revoked_at: NullableTime,
    secret: Type.Optional(Type.String({ description: 'Shown only when created.' })),
  },
  'A secret API key (stored hashed).',
);

export const PaymentLink = object(
  'PaymentLink',
  {
    id: Type.String(),
    object: Type.Literal('payment_link'),
    mode: Mode,
    url: Type.String(),
    currency: Type.String(),
    amount: NullableStr,
    amount_min: NullableStr,
    amount_max: NullableStr,
    description: NullableStr,
    redirect_url: NullableStr,
    expires_in_s: Type.Integer(),
    active: Type.Boolean(),
    created_at: Time,
  },
  'A reusable URL that creates an invoice per visit.',
);

export const PROCESSOR_SCHEMAS = [
  Payment,
  Invoice,
  Refund,
  Payout,
  WebhookEndpoint,
  Delivery,
  Event,
  ApiKey,
  PaymentLink,
];

export function pageOfRef(id: string) {
  return Type.Object({
    items: Type.Array(Type.Unsafe({ $ref: `${id}#` })),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as cursor for the next page; null at the end.',
    }),
  });
}

export const Page = {
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'next_cursor from the previous page.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT })),
};

export const IdParam = StrictObject({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const CreateInvoice = StrictObject({
  amount: AmountText,
  currency: CurrencyCode,
  order_id: Type.Optional(Str(128)),
  description: Type.Optional(Str(1000)),
  metadata: Type.Optional(
    Type.Object(
      {},
      { additionalProperties: true, maxProperties: 50, description: 'Your data, returned as given (≤ 50 keys).' },
    ),
  ),
  redirect_url: Type.Optional(HttpUrl),
  expires_in_s: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800, default: 900 })),
  payment_tolerance_pct: Type.Optional(Type.Integer({ minimum: 0, maximum: 50 })),
});

export const ListInvoices = StrictObject({
  status: Type.Optional(Type.String({ enum: [...INVOICE_STATUSES] })),
  order_id: Type.Optional(Str(128)),
  created_from: Type.Optional(Time),
  created_to: Type.Optional(Time),
  ...Page,
});

export const MarkInvoice = StrictObject({
  status: Type.Union([Type.Literal('Settled'), Type.Literal('Invalid')]),
});

export const CreateRefund = StrictObject({
  invoice_id: Str(64),
  amount: Type.Optional(AmountText),
  reason: Type.Optional(Str(500)),
});

export const AccountRef = Type.String({ pattern: '^(pub_[A-Za-z0-9_-]{43}|acc_[A-Za-z0-9_-]{4,40})$' });

export const CreatePayout = StrictObject({
  amount: AmountText,
  currency: CurrencyCode,
  destination: AccountRef,
  description: Type.Optional(Str(500)),
});

const EventFilter = Type.Array(Type.String({ enum: ['*', ...EVENT_TYPES] }), {
  minItems: 1,
  maxItems: 20,
  uniqueItems: true,
});

export const CreateWebhook = StrictObject({
  url: Type.String({ minLength: 1, maxLength: 4096 }),
  events: EventFilter,
  description: Type.Optional(Str(500)),
});

export const UpdateWebhook = StrictObject({
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  events: Type.Optional(EventFilter),
  enabled: Type.Optional(Type.Boolean()),
});

export const RotateSecret = StrictObject({
  previous_valid_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800, default: 86_400 })),
});

export const CreateKey = StrictObject({
  name: Type.Optional(Str(100)),
  scopes: Type.Array(Type.String({ enum: [...SCOPES] }), { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
});

export const CreateMerchant = StrictObject({ name: Type.String({ minLength: 1, maxLength: 100 }) });

export const CreateLink = StrictObject({
  currency: CurrencyCode,
  amount: Type.Optional(AmountText),
  amount_min: Type.Optional(AmountText),
  amount_max: Type.Optional(AmountText),
  description: Type.Optional(Str(1000)),
  redirect_url: Type.Optional(HttpUrl),
  expires_in_s: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800 })),
});

export const StoreSettingsBody = StrictObject({
  confirmation_tiers: Type.Array(
    StrictObject({
      currency: CurrencyCode,
      amount_max: AmountText,
      confirmation: Type.Union([Type.Literal('accepted'), Type.Literal('sealed')]),
    }),
    { maxItems: 20 },
  ),
});

export const SandboxPay = StrictObject({
  payer: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
  kind: Type.Optional(Type.Union([Type.Literal('exact'), Type.Literal('partial'), Type.Literal('over')])),
  amount: Type.Optional(AmountText),
});

export const ClockAdvance = StrictObject({ seconds: Type.Integer({ minimum: 1, maximum: 2_592_000 }) });

export const Faucet = StrictObject({ account: AccountRef, currency: CurrencyCode, amount: AmountText });

export const ReportQuery = StrictObject({ from: Time, to: Time });

export const PageOnly = StrictObject({ ...Page });
export const ListRefunds = StrictObject({ invoice_id: Type.Optional(Str(64)), ...Page });
export const ListEvents = StrictObject({ type: Type.Optional(Type.String({ enum: [...EVENT_TYPES] })), ...Page });
export const DeliveryParams = StrictObject({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  delivery: Type.String({ minLength: 1, maxLength: 64 }),
});
