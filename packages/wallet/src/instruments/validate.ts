import {
  CURRENCY_CODE,
  canonicalize,
  err,
  ok,
  originOf,
  PAYER_TOKEN_PREFIX,
  PAYER_TOKEN_TEXT_LENGTH_MAX,
  type Result,
  randomBytes,
  toBase64Url,
  tryCanonicalize,
} from '@webwallet/core';
import { credentialProblem } from './credential.js';
import {
  CODE_LENGTH_MAX,
  IMAGE_LENGTH_MAX,
  INSTRUMENT_ID,
  INSTRUMENT_KINDS,
  type Instrument,
  type InstrumentKind,
  MERCHANT_ORIGINS_MAX,
  TEXT_LENGTH_MAX,
  URL_LENGTH_MAX,
} from './types.js';

/** A reason the value is wrong, or undefined when it is right. */
export type Check = (value: unknown) => string | undefined;

/**
 * Whether text holds a C0 control or DEL: one-line texts never need them, and they can disguise
 * what a card says. Multi-line text may hold tabs and line breaks. (A loop, not a regular
 * expression: the linter rightly distrusts control characters in patterns.)
 */
export function isControl(code: number, multiLine = false): boolean {
  if (multiLine && (code === 0x09 || code === 0x0a || code === 0x0d)) return false;
  return code < 0x20 || code === 0x7f;
}

function hasControl(text: string, multiLine = false): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i), multiLine)) return true;
  return false;
}
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** Decimal strings as on the ledger: no sign, no exponent, at most 18 decimals. */
export const DECIMAL = /^(0|[1-9]\d{0,29})(\.\d{1,18})?$/;
const PERCENT = /^(0|[1-9]\d?|100)(\.\d{1,2})?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;

export function text(max: number): Check {
  return (value) => {
    if (typeof value !== 'string' || value.trim().length === 0) return 'a non-empty string';
    if (value.length > max) return `at most ${max} characters`;
    return hasControl(value) ? 'one line without control characters' : undefined;
  };
}

/** Multi-line text (notes): line breaks and tabs allowed, other controls not. */
export function note(max: number): Check {
  return (value) => {
    if (typeof value !== 'string') return 'a string';
    if (value.length > max) return `at most ${max} characters`;
    return hasControl(value, true) ? 'text without control characters' : undefined;
  };
}

export const timestamp: Check = (value) =>
  typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))
    ? undefined
    : 'an RFC 3339 UTC time such as "2025-01-31T12:00:00Z"';

export const positiveDecimal: Check = (value) =>
  typeof value === 'string' && DECIMAL.test(value) && /[1-9]/.test(value)
    ? undefined
    : 'a positive decimal string such as "12.50"';

export const currency: Check = (value) =>
  typeof value === 'string' && CURRENCY_CODE.test(value) ? undefined : 'a currency code such as "EUR"';

export const httpUrl: Check = (value) =>
  typeof value === 'string' && value.length <= URL_LENGTH_MAX && originOf(value) !== undefined
    ? undefined
    : `an http(s) URL of at most ${URL_LENGTH_MAX} characters`;

const image: Check = (value) => {
  if (typeof value !== 'string' || value.length > IMAGE_LENGTH_MAX) return `at most ${IMAGE_LENGTH_MAX} characters`;
  if (DATA_IMAGE.test(value)) return undefined;
  return httpUrl(value) === undefined ? undefined : 'an http(s) URL or a data:image/(png|jpeg|gif|webp);base64 URL';
};

export const origins: Check = (value) => {
  if (!Array.isArray(value) || value.length === 0 || value.length > MERCHANT_ORIGINS_MAX) {
    return `a list of 1 to ${MERCHANT_ORIGINS_MAX} origins`;
  }
  const bad = value.find((o) => typeof o !== 'string' || originOf(o) !== o);
  return bad === undefined ? undefined : `"${String(bad)}" is not an origin such as "https://shop.example"`;
};

const percent: Check = (value) =>
  typeof value === 'string' && PERCENT.test(value) && /[1-9]/.test(value) && Number(value) <= 100
    ? undefined
    : 'a decimal string more than 0 and at most 100, with at most 2 decimals, such as "15"';

const payerToken: Check = (value) => {
  if (typeof value !== 'string' || !value.startsWith(PAYER_TOKEN_PREFIX)) {
    return `a payer token, starting with "${PAYER_TOKEN_PREFIX}"`;
  }
  if (value.length > PAYER_TOKEN_TEXT_LENGTH_MAX) return `at most ${PAYER_TOKEN_TEXT_LENGTH_MAX} characters`;
  return BASE64URL.test(value.slice(PAYER_TOKEN_PREFIX.length)) ? undefined : 'base64url after the prefix';
};

const points: Check = (value) =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : 'a non-negative integer';

const id: Check = (value) =>
  typeof value === 'string' && INSTRUMENT_ID.test(value) ? undefined : '1 to 64 letters, digits, "_" or "-"';

const credential: Check = (value) => credentialProblem(value);

export interface Rule {
  readonly check: Check;
  readonly required: boolean;
}

const required = (check: Check): Rule => ({ check, required: true });
const optional = (check: Check): Rule => ({ check, required: false });

const COMMON: Record<string, Rule> = {
  id: required(id),
  kind: required(() => undefined),
  title: required(text(TEXT_LENGTH_MAX)),
  issuer: optional(text(TEXT_LENGTH_MAX)),
  added_at: required(timestamp),
  image: optional(image),
};

const RULES: { readonly [K in InstrumentKind]: Record<string, Rule> } = {
  voucher: {
    amount: required(positiveDecimal),
    currency: required(currency),
    code: optional(text(CODE_LENGTH_MAX)),
    expires_at: optional(timestamp),
    redeem_url: optional(httpUrl),
    merchant_origins: optional(origins),
  },
  coupon: {
    percent_off: optional(percent),
    amount_off: optional(positiveDecimal),
    currency: optional(currency),
    merchant_origins: required(origins),
    code: required(text(CODE_LENGTH_MAX)),
    expires_at: optional(timestamp),
  },
  ticket: {
    token: required(payerToken),
    event: required(text(TEXT_LENGTH_MAX)),
    starts_at: optional(timestamp),
    venue: optional(text(TEXT_LENGTH_MAX)),
    expires_at: optional(timestamp),
  },
  loyalty: {
    program: required(text(TEXT_LENGTH_MAX)),
    member_id: required(text(CODE_LENGTH_MAX)),
    points: optional(points),
  },
  identity: {
    credential: required(credential),
  },
};

export function invalidField(field: string, reason: string): Result<never> {
  return err('instrument_invalid', { field, reason });
}

/**
 * Checks a record against field rules; unknown fields are refused, so a record never smuggles in
 * data the wallet does not understand (such as a balance). The first problem is reported.
 */
export function checkRecord(
  value: unknown,
  rules: Record<string, Rule>,
): { field: string; reason: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { field: '', reason: 'a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((k) => !(k in rules));
  if (unknown !== undefined) return { field: unknown, reason: 'unknown field' };
  for (const [field, rule] of Object.entries(rules)) {
    const v = record[field];
    if (v === undefined) {
      if (rule.required) return { field, reason: 'required' };
      continue;
    }
    const reason = rule.check(v);
    if (reason !== undefined) return { field, reason };
  }
  return undefined;
}

function couponProblem(c: Record<string, unknown>): { field: string; reason: string } | undefined {
  if ((c.percent_off === undefined) === (c.amount_off === undefined)) {
    return { field: 'percent_off', reason: 'exactly one of percent_off and amount_off' };
  }
  if (c.amount_off !== undefined && c.currency === undefined) {
    return { field: 'currency', reason: 'required with amount_off' };
  }
  if (c.percent_off !== undefined && c.currency !== undefined) {
    return { field: 'currency', reason: 'only with amount_off (a percentage applies in any currency)' };
  }
  return undefined;
}

/** A deep copy through canonical JSON: stored values never share objects with the caller's. */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(canonicalize(value)) as T;
}

/**
 * Checks an instrument: `instrument_invalid` with details {field, reason} when a field is
 * missing, unknown or malformed. Returns a deep copy.
 *
 * @example validateInstrument({ id: 'ins_1', kind: 'loyalty', title: 'Café', added_at: '2025-01-01T00:00:00Z',
 *   program: 'Coffee club', member_id: '12345' }).ok // true
 */
export function validateInstrument(value: unknown): Result<Instrument> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalidField('', 'an instrument is a JSON object');
  }
  const record = value as Record<string, unknown>;
  const kind = record.kind;
  if (typeof kind !== 'string' || !(INSTRUMENT_KINDS as readonly string[]).includes(kind)) {
    return invalidField('kind', `one of ${INSTRUMENT_KINDS.join(', ')}`);
  }
  const problem =
    checkRecord(record, { ...COMMON, ...RULES[kind as InstrumentKind] }) ??
    (kind === 'coupon' ? couponProblem(record) : undefined);
  if (problem) return invalidField(problem.field, problem.reason);
  const canonical = tryCanonicalize(record);
  if (!canonical.ok) return invalidField('', 'not plain JSON');
  return ok(JSON.parse(canonical.value) as Instrument);
}

/** A new random instrument id: "ins_" and 128 random bits. */
export function newInstrumentId(): string {
  return `ins_${toBase64Url(randomBytes(16))}`;
}
