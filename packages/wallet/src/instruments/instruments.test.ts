import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPayerToken, encodePrefixed, generateKeyPair, PAYER_TOKEN_PREFIX } from '@webwallet/core';
import { cardFace } from './card.js';
import { issueCredential, verifyCredential } from './credential.js';
import { exportInstrument, parseInstrumentImport } from './import.js';
import { offersFor } from './offers.js';
import { ticketClaims } from './ticket.js';
import type { Coupon, IdentityCard, Instrument, LoyaltyCard, Ticket, Voucher } from './types.js';
import { validateInstrument } from './validate.js';

const NOW = Date.parse('2025-05-01T12:00:00Z');
const ADDED = '2025-04-01T09:00:00Z';

const voucher: Voucher = {
  id: 'ins_voucher',
  kind: 'voucher',
  title: 'Bookshop gift card',
  issuer: 'Bookshop',
  added_at: ADDED,
  amount: '25.00',
  currency: 'EUR',
  code: 'GIFT-1234',
  expires_at: '2025-12-31T23:59:59Z',
  merchant_origins: ['https://books.example'],
};

const coupon: Coupon = {
  id: 'ins_coupon',
  kind: 'coupon',
  title: 'Spring sale',
  added_at: ADDED,
  percent_off: '15',
  merchant_origins: ['https://books.example', 'https://music.example'],
  code: 'SPRING15',
  expires_at: '2025-06-01T00:00:00Z',
};

const loyalty: LoyaltyCard = {
  id: 'ins_loyalty',
  kind: 'loyalty',
  title: 'Coffee club',
  added_at: ADDED,
  program: 'Coffee club',
  member_id: 'CC-000123',
  points: 42,
};

/** A real payer token for a ticket purchase (by-reference form: no ledger needed to make it). */
async function ticketToken(reference = 'Concert 2025-06-01, row 4 seat 12'): Promise<string> {
  const payer = await generateKeyPair();
  const node = await generateKeyPair();
  const document = {
    type: 'ledger.transfer',
    body: {
      id: 'tx_ticket_1',
      created_at: '2025-04-30T10:00:00Z',
      legs: [{ from: encodePrefixed('pub', payer.publicKey), to: 'acc_venue', currency: 'EUR', amount: '45.00' }],
      memo: reference,
    },
  };
  const token = await createPayerToken({
    keyPair: payer,
    node: encodePrefixed('pub', node.publicKey),
    document,
    audience: 'https://tickets.example',
    lifetime_s: 60 * 86_400,
    now_ms: NOW,
  });
  assert.ok(token.ok);
  return token.value;
}

function code(result: { ok: boolean; error?: { code: string } }): string {
  return result.ok ? 'ok' : (result.error?.code ?? '');
}

function field(result: { ok: boolean; error?: { details: Record<string, unknown> } }): unknown {
  return result.ok ? 'ok' : result.error?.details.field;
}

describe('validateInstrument', () => {
  test('each kind validates and comes back as a copy', async () => {
    const ticket: Ticket = {
      id: 'ins_ticket',
      kind: 'ticket',
      title: 'Concert',
      added_at: ADDED,
      token: await ticketToken(),
      event: 'Concert',
      starts_at: '2025-06-01T19:30:00Z',
      venue: 'Town hall',
    };
    const vc = await issueCredential({ id: 'did:example:alice', name: 'Alice' }, await generateKeyPair());
    const identity: IdentityCard = {
      id: 'ins_id',
      kind: 'identity',
      title: 'Club card',
      added_at: ADDED,
      credential: vc,
    };
    const { percent_off: _percent, ...rest } = coupon;
    const amountCoupon: Coupon = { ...rest, amount_off: '5', currency: 'EUR' };
    for (const instrument of [voucher, coupon, amountCoupon, ticket, loyalty, identity] as Instrument[]) {
      const result = validateInstrument(instrument);
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.value, instrument);
      assert.notEqual(result.value, instrument);
    }
  });

  test('each kind rejects what is wrong, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ ...voucher, kind: 'gift' }, 'kind'],
      [{ ...voucher, amount: '0' }, 'amount'],
      [{ ...voucher, amount: '-5' }, 'amount'],
      [{ ...voucher, amount: '1e3' }, 'amount'],
      [{ ...voucher, amount: 25 }, 'amount'],
      [{ ...voucher, currency: 'euro' }, 'currency'],
      [{ ...voucher, balance: '25.00' }, 'balance'],
      [{ ...voucher, redeem_url: 'javascript:alert(1)' }, 'redeem_url'],
      [{ ...voucher, merchant_origins: ['https://books.example/shop'] }, 'merchant_origins'],
      [{ ...voucher, expires_at: '2025-12-31' }, 'expires_at'],
      [{ ...voucher, image: 'data:image/svg+xml;base64,PHN2Zz4=' }, 'image'],
      [{ ...voucher, title: 'a\u0000b' }, 'title'],
      [{ ...voucher, title: 'x'.repeat(201) }, 'title'],
      [{ ...voucher, title: '   ' }, 'title'],
      [{ ...voucher, id: 'has space' }, 'id'],
      [{ ...voucher, added_at: undefined }, 'added_at'],
      [{ ...coupon, amount_off: '5', currency: 'EUR' }, 'percent_off'],
      [{ ...coupon, percent_off: undefined }, 'percent_off'],
      [{ ...coupon, percent_off: '101' }, 'percent_off'],
      [{ ...coupon, percent_off: '0' }, 'percent_off'],
      [{ ...coupon, percent_off: '12.345' }, 'percent_off'],
      [{ ...coupon, percent_off: '10', currency: 'EUR' }, 'currency'],
      [{ ...coupon, percent_off: undefined, amount_off: '5' }, 'currency'],
      [{ ...coupon, merchant_origins: [] }, 'merchant_origins'],
      [{ ...coupon, code: undefined }, 'code'],
      [{ id: 'ins_t', kind: 'ticket', title: 'T', added_at: ADDED, token: 'not a token', event: 'E' }, 'token'],
      [
        { id: 'ins_t', kind: 'ticket', title: 'T', added_at: ADDED, token: `${PAYER_TOKEN_PREFIX}a b`, event: 'E' },
        'token',
      ],
      [{ ...loyalty, points: -1 }, 'points'],
      [{ ...loyalty, points: 1.5 }, 'points'],
      [{ ...loyalty, member_id: '' }, 'member_id'],
      [
        { id: 'ins_i', kind: 'identity', title: 'ID', added_at: ADDED, credential: { type: 'VerifiableCredential' } },
        'credential',
      ],
    ];
    for (const [value, expected] of cases) {
      const clean = JSON.parse(JSON.stringify(value));
      const result = validateInstrument(clean);
      assert.equal(code(result), 'instrument_invalid', JSON.stringify(clean));
      assert.equal(field(result), expected, JSON.stringify(clean));
    }
    assert.equal(code(validateInstrument('voucher')), 'instrument_invalid');
    assert.equal(code(validateInstrument(null)), 'instrument_invalid');
  });
});

describe('cardFace', () => {
  test('a voucher shows its value and a QR code of its code', () => {
    const face = cardFace(voucher, { now_ms: NOW });
    assert.deepEqual(face, {
      title: 'Bookshop gift card',
      subtitle: '25.00 EUR',
      lines: ['Bookshop', 'At books.example', 'Code GIFT-1234', 'Valid until 2025-12-31 23:59 UTC'],
      qr_text: 'GIFT-1234',
      status: 'active',
    });
    assert.equal(cardFace(voucher, { now_ms: Date.parse('2026-01-01T00:00:00Z') }).status, 'expired');
  });

  test('a voucher without a code puts itself in the QR code, and scanning it imports it', async () => {
    const { code: _code, merchant_origins: _origins, ...plain } = voucher;
    const face = cardFace(plain, { now_ms: NOW });
    assert.equal(face.qr_text, exportInstrument(plain));
    const scanned = await parseInstrumentImport(face.qr_text);
    assert.ok(scanned.ok);
    assert.deepEqual(scanned.value, plain);
  });

  test('coupons, loyalty cards and tickets', async () => {
    assert.deepEqual(cardFace(coupon, { now_ms: NOW }), {
      title: 'Spring sale',
      subtitle: '15% off',
      lines: ['At books.example, music.example', 'Code SPRING15', 'Valid until 2025-06-01 00:00 UTC'],
      qr_text: 'SPRING15',
      status: 'active',
    });
    assert.deepEqual(cardFace(loyalty), {
      title: 'Coffee club',
      subtitle: 'Coffee club',
      lines: ['Member CC-000123', '42 points'],
      qr_text: 'CC-000123',
      status: 'active',
    });
    const token = await ticketToken();
    const ticket: Ticket = {
      id: 'ins_t',
      kind: 'ticket',
      title: 'Concert',
      added_at: ADDED,
      token,
      event: 'The Band live',
      starts_at: '2025-06-01T19:30:00Z',
      venue: 'Town hall',
    };
    const face = cardFace(ticket, { now_ms: NOW });
    assert.equal(face.qr_text, token);
    assert.equal(face.subtitle, 'The Band live');
    assert.deepEqual(face.lines, ['Starts 2025-06-01 19:30 UTC', 'Town hall']);
  });

  test('an identity card lists its subject and says whether it verified', async () => {
    const vc = await issueCredential(
      { id: 'did:example:alice', name: 'Alice', memberNumber: 7 },
      await generateKeyPair(),
      {
        name: 'Chess club membership',
        issuer_name: 'Chess club',
        valid_until: '2026-01-01T00:00:00Z',
        now_ms: NOW,
      },
    );
    const imported = await parseInstrumentImport(JSON.stringify(vc), { now_ms: NOW });
    assert.ok(imported.ok);
    const card = imported.value;
    const unchecked = cardFace(card, { now_ms: NOW });
    assert.equal(unchecked.status, 'unverified');
    assert.equal(unchecked.subtitle, 'Chess club');
    const checked = cardFace(card, { now_ms: NOW, verification: await verifyCredential(vc, { now_ms: NOW }) });
    assert.deepEqual(checked, {
      title: 'Chess club membership',
      subtitle: 'Chess club',
      lines: ['memberNumber: 7', 'name: Alice', 'Valid until 2026-01-01 00:00 UTC', 'Verified (eddsa-jcs-2022)'],
      status: 'verified',
    });
    const later = Date.parse('2026-02-01T00:00:00Z');
    const expired = cardFace(card, { now_ms: later, verification: await verifyCredential(vc, { now_ms: later }) });
    assert.equal(expired.status, 'expired');
    const tampered = { ...vc, credentialSubject: { id: 'did:example:alice', name: 'Mallory' } };
    const bad = cardFace(card, { verification: await verifyCredential(tampered, { now_ms: NOW }) });
    assert.equal(bad.status, 'unverified');
    assert.match(bad.lines.at(-1) ?? '', /^Not verified: /);
  });

  test('long texts are cut to one line', () => {
    const face = cardFace({ ...loyalty, issuer: 'x'.repeat(200), member_id: 'm'.repeat(256) });
    assert.ok(face.lines.every((l) => l.length <= 200));
    assert.ok(face.lines[0]?.endsWith('…'));
  });
});

describe('parseInstrumentImport', () => {
  test('a payer token becomes a ticket whose claims can be read back', async () => {
    const token = await ticketToken();
    const imported = await parseInstrumentImport(`  ${token}\n`, { now_ms: NOW, id: 'ins_scanned' });
    assert.ok(imported.ok, JSON.stringify(imported));
    const ticket = imported.value as Ticket;
    assert.equal(ticket.kind, 'ticket');
    assert.equal(ticket.id, 'ins_scanned');
    assert.equal(ticket.token, token);
    assert.equal(ticket.event, 'Concert 2025-06-01, row 4 seat 12');
    assert.equal(ticket.issuer, 'tickets.example');
    assert.equal(ticket.added_at, new Date(NOW).toISOString());
    const claims = await ticketClaims(ticket);
    assert.ok(claims.ok);
    assert.equal(claims.value.amount, '45.00');
    assert.equal(claims.value.audience, 'https://tickets.example');
    assert.equal(ticket.expires_at, claims.value.expires_at);
  });

  test('a verifiable credential becomes an identity card', async () => {
    const issuer = await generateKeyPair();
    const vc = await issueCredential({ id: 'did:example:bob' }, issuer, { types: ['LibraryCard'] });
    const imported = await parseInstrumentImport(JSON.stringify(vc, null, 2));
    assert.ok(imported.ok);
    const card = imported.value as IdentityCard;
    assert.equal(card.kind, 'identity');
    assert.equal(card.title, 'LibraryCard');
    assert.deepEqual(card.credential, vc);
    assert.match(card.id, /^ins_[A-Za-z0-9_-]{22}$/);
    // The credential's own texts become one-line card texts.
    const named = await issueCredential({ id: 'did:example:bob' }, issuer, { name: 'City\n\tlibrary card\u0007' });
    const namedCard = await parseInstrumentImport(JSON.stringify(named));
    assert.equal(namedCard.ok && namedCard.value.title, 'City library card');
  });

  test('instrument JSON imports as is, with id and added_at filled in when missing', async () => {
    const { id: _id, added_at: _added, ...bare } = loyalty;
    const imported = await parseInstrumentImport(JSON.stringify(bare), { now_ms: NOW });
    assert.ok(imported.ok);
    assert.equal(imported.value.added_at, new Date(NOW).toISOString());
    assert.deepEqual({ ...imported.value, id: 'x', added_at: 'y' }, { ...bare, id: 'x', added_at: 'y' });
    const exact = await parseInstrumentImport(exportInstrument(coupon));
    assert.deepEqual(exact.ok && exact.value, coupon);
  });

  test('anything else is instrument_invalid with a reason', async () => {
    const token = await ticketToken();
    const damaged = `${token.slice(0, 40)}AAAA${token.slice(44)}`;
    const cases: unknown[] = [
      42,
      'hello',
      '{"kind": "voucher"',
      '{"name": "not a card"}',
      '{"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"]}',
      `${PAYER_TOKEN_PREFIX}AAAA`,
      damaged,
      JSON.stringify({ kind: 'ticket', title: 'T', token: `${PAYER_TOKEN_PREFIX}AAAA`, event: 'E' }),
      'x'.repeat(131_073),
    ];
    for (const text of cases) {
      const result = await parseInstrumentImport(text);
      assert.equal(code(result), 'instrument_invalid', String(text).slice(0, 80));
      assert.ok(result.ok || typeof result.error.details.reason === 'string');
    }
  });
});

describe('offersFor', () => {
  const checkout = { merchant_origin: 'https://books.example', currency: 'EUR', amount: '30.00' };
  const amountCoupon: Coupon = {
    id: 'ins_fiver',
    kind: 'coupon',
    title: 'Five off',
    added_at: ADDED,
    amount_off: '5',
    currency: 'EUR',
    merchant_origins: ['https://books.example'],
    code: 'FIVE',
  };

  test('coupons first, each by saving, then vouchers; exact amounts', () => {
    const bigVoucher: Voucher = { ...voucher, id: 'ins_big', amount: '100', code: 'BIG' };
    const offers = offersFor([loyalty, voucher, amountCoupon, coupon, bigVoucher], checkout, NOW);
    assert.deepEqual(
      offers.map((o) => [o.instrument.id, o.saving]),
      [
        ['ins_fiver', '5.00'],
        ['ins_coupon', '4.50'],
        ['ins_big', '30.00'],
        ['ins_voucher', '25.00'],
      ],
    );
  });

  test('percentages are exact at any scale', () => {
    const third: Coupon = { ...coupon, percent_off: '33.33' };
    const [offer] = offersFor([third], { ...checkout, amount: '10.01' }, NOW);
    assert.equal(offer?.saving, '3.336333');
  });

  test('expired, other merchants and other currencies are left out', () => {
    const expired: Coupon = { ...coupon, id: 'ins_old', expires_at: '2025-04-30T00:00:00Z' };
    const dollars: Voucher = { ...voucher, id: 'ins_usd', currency: 'USD' };
    const elsewhere: Coupon = { ...amountCoupon, id: 'ins_else', merchant_origins: ['https://other.example'] };
    const yen: Coupon = { ...amountCoupon, id: 'ins_yen', currency: 'JPY' };
    assert.deepEqual(offersFor([expired, dollars, elsewhere, yen], checkout, NOW), []);
    assert.deepEqual(
      offersFor([coupon], { ...checkout, merchant_origin: 'https://music.example/checkout?x=1' }, NOW).map(
        (o) => o.instrument.id,
      ),
      ['ins_coupon'],
    );
    assert.deepEqual(offersFor([coupon], checkout, Date.parse('2025-06-01T00:00:00Z')), []);
  });

  test('a voucher without merchant origins is taken where its redeem link points, or anywhere', () => {
    const { merchant_origins: _o, ...anywhere } = voucher;
    const linked: Voucher = { ...anywhere, id: 'ins_linked', redeem_url: 'https://cards.example/redeem' };
    assert.deepEqual(
      offersFor([anywhere, linked], checkout, NOW).map((o) => o.instrument.id),
      ['ins_voucher'],
    );
    const atCards = { ...checkout, merchant_origin: 'https://cards.example' };
    assert.deepEqual(
      offersFor([anywhere, linked], atCards, NOW).map((o) => o.instrument.id),
      ['ins_linked', 'ins_voucher'],
    );
  });

  test('a malformed checkout throws: it was validated before', () => {
    assert.throws(() => offersFor([], { ...checkout, merchant_origin: 'books.example' }, NOW), RangeError);
    assert.throws(() => offersFor([], { ...checkout, amount: '30,00' }, NOW), RangeError);
    assert.throws(() => offersFor([], { ...checkout, currency: 'eur' }, NOW), RangeError);
  });
});
