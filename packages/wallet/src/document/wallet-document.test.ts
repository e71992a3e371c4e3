import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createDocument,
  encodePrefixed,
  generateKeyPair,
  type KeyPair,
  type Receipt,
  type Result,
  toHex,
  transactionLeaf,
  verifyReceipt,
} from '@webwallet/core';
import fc from 'fast-check';
import type { Coupon, LoyaltyCard, Voucher } from '../instruments/types.js';
import {
  type Account,
  type Contact,
  INSTRUMENTS_MAX,
  type JsonValue,
  SETTING_JSON_BYTES_MAX,
  SETTINGS_MAX,
} from './records.js';
import { LOCAL_ORIGIN, REMOTE_ORIGIN, WalletDocument } from './wallet-document.js';

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

function code(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.error.code;
}

const ADDED = '2025-04-01T09:00:00Z';

const coupon: Coupon = {
  id: 'ins_coupon',
  kind: 'coupon',
  title: 'Spring sale',
  added_at: ADDED,
  percent_off: '15',
  merchant_origins: ['https://books.example'],
  code: 'SPRING15',
};

const voucher: Voucher = {
  id: 'ins_voucher',
  kind: 'voucher',
  title: 'Gift card',
  added_at: '2025-04-02T09:00:00Z',
  amount: '25.00',
  currency: 'EUR',
  code: 'GIFT',
};

const loyalty: LoyaltyCard = {
  id: 'ins_loyalty',
  kind: 'loyalty',
  title: 'Coffee club',
  added_at: '2025-04-03T09:00:00Z',
  program: 'Coffee club',
  member_id: 'CC-1',
};

const NODE_URL = 'http://127.0.0.1:8080';

interface Keys {
  readonly node: KeyPair;
  readonly payer: KeyPair;
}

async function keys(): Promise<Keys> {
  return { node: await generateKeyPair(), payer: await generateKeyPair() };
}

function accountOf(k: Keys, index = 0): Account {
  return { id: encodePrefixed('pub', k.payer.publicKey), node: NODE_URL, index, created_at: ADDED };
}

/** A real receipt: a one-transaction log, so the block's root is the transaction's leaf. */
async function receipt(k: Keys, id: string): Promise<Receipt> {
  const body = {
    id,
    created_at: '2025-05-01T10:00:00Z',
    legs: [{ from: encodePrefixed('pub', k.payer.publicKey), to: 'acc_shop', currency: 'EUR', amount: '3.20' }],
    memo: `order ${id}`,
  };
  const header = {
    height: 0,
    previous: null,
    timestamp: '2025-05-01T10:00:01Z',
    tree_size: 1,
    root: toHex(transactionLeaf(body)),
    node: encodePrefixed('pub', k.node.publicKey),
  };
  return {
    version: 1,
    document: await createDocument('ledger.transfer', 1, body, [k.payer]),
    index: 0,
    block: await createDocument('ledger.block', 1, header, [k.node]),
    proof: [],
  };
}

/** Both directions, each with only what the other lacks. */
function exchange(a: WalletDocument, b: WalletDocument): void {
  const aVector = a.stateVector();
  const bVector = b.stateVector();
  unwrap(b.applyUpdate(unwrap(a.encodeDiff(bVector))));
  unwrap(a.applyUpdate(unwrap(b.encodeDiff(aVector))));
}

describe('WalletDocument: devices edit offline and converge', () => {
  test('two devices edit while apart; after exchanging updates both have every edit', async () => {
    const k = await keys();
    const [r1, r2] = [await receipt(k, 'tx_lunch'), await receipt(k, 'tx_books')];
    const account = accountOf(k);
    const phone = WalletDocument.create();
    unwrap(phone.putAccount(account));
    unwrap(phone.putInstrument(coupon));
    unwrap(phone.putInstrument(voucher));
    unwrap(phone.setSetting('theme', 'light'));
    const laptop = unwrap(WalletDocument.load(phone.encodeState()));
    assert.notEqual(laptop.clientId, phone.clientId);
    assert.deepEqual(laptop.snapshot(), phone.snapshot());

    // Offline: the phone renames the coupon, the laptop changes its code (two fields of one record).
    unwrap(phone.putInstrument({ ...coupon, title: 'Spring sale (phone)' }));
    unwrap(laptop.putInstrument({ ...coupon, code: 'SPRING15-LAPTOP' }));
    unwrap(phone.putInstrument(loyalty));
    unwrap(laptop.putContact({ id: 'con_bob', name: 'Bob', account: 'acc_bob1', node: NODE_URL }));
    unwrap(phone.setLabel(account.id, 'Daily'));
    unwrap(laptop.setLabel('acc_shop', 'Corner shop'));
    unwrap(phone.putReceipt(r1, { stored_at: '2025-05-01T10:00:02Z', label: 'Lunch' }));
    unwrap(laptop.putReceipt(r2, { stored_at: '2025-05-01T11:00:00Z', node: NODE_URL }));
    unwrap(phone.setSetting('theme', 'dark'));
    unwrap(laptop.setSetting('theme', 'solarized'));
    unwrap(laptop.setSetting('default_account', account.id));
    unwrap(phone.putAccount({ ...account, label: 'Main' }));
    // The phone removes the voucher while the laptop edits it: the removal wins.
    assert.equal(phone.removeInstrument(voucher.id), true);
    unwrap(laptop.putInstrument({ ...voucher, amount: '20.00' }));

    exchange(phone, laptop);
    const snapshot = phone.snapshot();
    assert.deepEqual(laptop.snapshot(), snapshot);
    assert.equal(JSON.stringify(laptop.snapshot()), JSON.stringify(snapshot));

    assert.deepEqual(phone.instrument(coupon.id), { ...coupon, title: 'Spring sale (phone)', code: 'SPRING15-LAPTOP' });
    assert.deepEqual(
      laptop.instruments().map((i) => i.id),
      [loyalty.id, coupon.id],
    );
    assert.deepEqual(laptop.contacts(), [{ id: 'con_bob', name: 'Bob', account: 'acc_bob1', node: NODE_URL }]);
    assert.deepEqual(phone.labels(), { [account.id]: 'Daily', acc_shop: 'Corner shop' });
    assert.deepEqual(
      phone.receipts().map((r) => [r.key.split('/')[1], r.label ?? r.node]),
      [
        ['tx_books', NODE_URL],
        ['tx_lunch', 'Lunch'],
      ],
    );
    assert.deepEqual(phone.accounts(), [{ ...account, label: 'Main' }]);
    // Both set the theme: one value wins, the same on both devices.
    assert.ok(['dark', 'solarized'].includes(phone.setting('theme') as string));
    assert.equal(laptop.setting('theme'), phone.setting('theme'));
    assert.equal(phone.setting('default_account'), account.id);
  });

  test('receipts keep their proofs through sync and verify offline on the other device', async () => {
    const k = await keys();
    const phone = WalletDocument.create();
    const stored = unwrap(phone.putReceipt(await receipt(k, 'tx_1')));
    const laptop = WalletDocument.create();
    exchange(phone, laptop);
    const copy = laptop.receipt(stored.key);
    assert.ok(copy);
    assert.equal(stored.key, `${encodePrefixed('pub', k.node.publicKey)}/tx_1`);
    const verified = await verifyReceipt(copy.receipt, [encodePrefixed('pub', k.node.publicKey)]);
    assert.ok(verified.ok, JSON.stringify(verified));
  });

  test('three devices, random edits and random delivery (reordered, duplicated): all converge', async () => {
    const k = await keys();
    const receipts = [await receipt(k, 'tx_a'), await receipt(k, 'tx_b')];
    const accounts = [accountOf(k, 0), { ...accountOf(k, 1), id: 'acc_shared1' }];
    const edit = fc.oneof(
      fc.record({
        op: fc.constant('instrument' as const),
        id: fc.constantFrom('ins_a', 'ins_b', 'ins_c'),
        field: fc.constantFrom('title', 'code', 'percent_off', 'expires_at'),
        value: fc.constantFrom('1', '2', '3'),
      }),
      fc.record({ op: fc.constant('removeInstrument' as const), id: fc.constantFrom('ins_a', 'ins_b', 'ins_c') }),
      fc.record({
        op: fc.constant('label' as const),
        key: fc.constantFrom('k1', 'k2'),
        value: fc.option(fc.constantFrom('x', 'y', 'z')),
      }),
      fc.record({
        op: fc.constant('setting' as const),
        key: fc.constantFrom('s1', 's2'),
        value: fc.option(fc.constantFrom<JsonValue>(1, 'v', { a: [1, 2] }, null), { nil: undefined }),
      }),
      fc.record({
        op: fc.constant('contact' as const),
        id: fc.constantFrom('con_1', 'con_2'),
        name: fc.option(fc.constantFrom('Ann', 'Ben')),
      }),
      fc.record({
        op: fc.constant('account' as const),
        which: fc.constantFrom(0, 1),
        label: fc.option(fc.constantFrom('Main', 'Spare')),
      }),
      fc.record({
        op: fc.constant('receipt' as const),
        which: fc.constantFrom(0, 1),
        label: fc.option(fc.constantFrom('Lunch', 'Books')),
      }),
    );
    type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

    function apply(doc: WalletDocument, e: Edit): void {
      switch (e.op) {
        case 'instrument': {
          const base: Coupon = (doc.instrument(e.id) as Coupon | undefined) ?? { ...coupon, id: e.id };
          const value = {
            title: `Title ${e.value}`,
            code: `CODE${e.value}`,
            percent_off: `${e.value}0`,
            expires_at: `203${e.value}-01-01T00:00:00Z`,
          }[e.field];
          unwrap(doc.putInstrument({ ...base, [e.field]: value }));
          return;
        }
        case 'removeInstrument':
          doc.removeInstrument(e.id);
          return;
        case 'label':
          if (e.value === null) doc.removeLabel(e.key);
          else unwrap(doc.setLabel(e.key, e.value));
          return;
        case 'setting':
          if (e.value === undefined) doc.removeSetting(e.key);
          else unwrap(doc.setSetting(e.key, e.value));
          return;
        case 'contact':
          if (e.name === null) doc.removeContact(e.id);
          else unwrap(doc.putContact({ id: e.id, name: e.name, account: 'acc_friend', node: NODE_URL }));
          return;
        case 'account': {
          const account = accounts[e.which] as Account;
          unwrap(doc.putAccount(e.label === null ? account : { ...account, label: e.label }));
          return;
        }
        case 'receipt':
          unwrap(doc.putReceipt(receipts[e.which] as Receipt, { stored_at: ADDED, label: e.label }));
          return;
      }
    }

    const step = fc.oneof(
      fc.record({ kind: fc.constant('edit' as const), replica: fc.nat(2), edit }),
      fc.record({ kind: fc.constant('deliver' as const), replica: fc.nat(2), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 30 }), (steps, shuffle) => {
        const replicas = [WalletDocument.create(), WalletDocument.create(), WalletDocument.create()];
        const sent: Uint8Array[] = [];
        for (const replica of replicas) {
          replica.onUpdate((update, origin) => {
            if (origin === LOCAL_ORIGIN) sent.push(update);
          });
        }
        for (const s of steps) {
          const replica = replicas[s.replica] as WalletDocument;
          if (s.kind === 'edit') apply(replica, s.edit);
          else if (sent.length > 0) unwrap(replica.applyUpdate(sent[s.pick % sent.length] as Uint8Array));
        }
        // Finally every replica receives every update, in a shuffled order, some twice.
        const all = sent.slice();
        for (const replica of replicas) {
          const order = all.map((_, i) => i);
          for (let i = order.length - 1; i > 0; i--) {
            const j = (shuffle[i % Math.max(shuffle.length, 1)] ?? 0) % (i + 1);
            [order[i], order[j]] = [order[j] as number, order[i] as number];
          }
          const duplicates = shuffle.slice(0, 5).map((n) => n % Math.max(all.length, 1));
          for (const i of [...order, ...duplicates]) {
            if (all[i]) unwrap(replica.applyUpdate(all[i] as Uint8Array));
          }
        }
        const [first, ...rest] = replicas.map((r) => JSON.stringify(r.snapshot()));
        for (const other of rest) assert.equal(other, first);
        assert.deepEqual(replicas[1]?.instruments(), replicas[0]?.instruments());
        assert.deepEqual(replicas[2]?.receipts(), replicas[0]?.receipts());
      }),
      { numRuns: 150 },
    );
  });

  test('an unchanged put sends nothing, so it cannot override another device', () => {
    const doc = WalletDocument.create();
    unwrap(doc.putInstrument(coupon));
    unwrap(doc.setLabel('k', 'v'));
    unwrap(doc.setSetting('s', { a: 1 }));
    const updates: unknown[] = [];
    doc.onUpdate((_update, origin) => updates.push(origin));
    unwrap(doc.putInstrument(JSON.parse(JSON.stringify(coupon))));
    unwrap(doc.setLabel('k', 'v'));
    unwrap(doc.setSetting('s', { a: 1 }));
    assert.deepEqual(updates, []);
    unwrap(doc.putInstrument({ ...coupon, title: 'New' }));
    assert.deepEqual(updates, [LOCAL_ORIGIN]);
  });

  test('updates carry their origin; an unsubscribed listener hears nothing', () => {
    const a = WalletDocument.create();
    const b = WalletDocument.create();
    const heard: unknown[] = [];
    const stop = b.onUpdate((_u, origin) => heard.push(origin));
    unwrap(a.setLabel('k', 'v'));
    unwrap(b.applyUpdate(a.encodeState()));
    unwrap(a.setLabel('k', 'w'));
    unwrap(b.applyUpdate(unwrap(a.encodeDiff(b.stateVector())), 'relay'));
    unwrap(b.setLabel('k2', 'v'));
    stop();
    unwrap(b.setLabel('k3', 'v'));
    assert.deepEqual(heard, [REMOTE_ORIGIN, 'relay', LOCAL_ORIGIN]);
    assert.equal(b.label('k'), 'w');
  });

  test('batch makes one update of many edits', () => {
    const doc = WalletDocument.create();
    let updates = 0;
    doc.onUpdate(() => updates++);
    const added = doc.batch(() => {
      for (let i = 0; i < 50; i++) unwrap(doc.setLabel(`k${i}`, `label ${i}`));
      return 50;
    });
    assert.equal(added, 50);
    assert.equal(updates, 1);
    assert.equal(Object.keys(doc.labels()).length, 50);
  });
});

describe('WalletDocument: saving and loading', () => {
  test('load(encodeState()) gives the same document, which keeps syncing with the original', async () => {
    const k = await keys();
    const doc = WalletDocument.create();
    unwrap(doc.putAccount(accountOf(k)));
    unwrap(doc.putInstrument(coupon));
    unwrap(doc.putInstrument(loyalty));
    unwrap(doc.putReceipt(await receipt(k, 'tx_1'), { label: 'Lunch', note: 'with Bob\nand Ann' }));
    unwrap(doc.putContact({ id: 'con_1', name: 'Ann', account: 'acc_ann1', node: NODE_URL }));
    unwrap(doc.setLabel('acc_ann1', 'Ann (work)'));
    unwrap(doc.setSetting('ui', { theme: 'dark', amounts: [1, 2.5] }));
    const loaded = unwrap(WalletDocument.load(doc.encodeState()));
    assert.deepEqual(loaded.snapshot(), doc.snapshot());
    assert.deepEqual(loaded.receipts(), doc.receipts());
    assert.deepEqual(loaded.setting('ui'), { theme: 'dark', amounts: [1, 2.5] });
    assert.equal(loaded.removeInstrument(coupon.id), true);
    exchange(doc, loaded);
    assert.equal(doc.instrument(coupon.id), undefined);
    assert.deepEqual(doc.snapshot(), loaded.snapshot());
  });

  test('damaged bytes are wallet_document_invalid and change nothing', () => {
    const doc = WalletDocument.create();
    unwrap(doc.putInstrument(coupon));
    const state = doc.encodeState();
    const before = JSON.stringify(doc.snapshot());
    for (const bad of [new Uint8Array([255, 255, 255, 255, 255]), state.slice(0, state.length - 3)]) {
      assert.equal(code(WalletDocument.load(bad)), 'wallet_document_invalid');
      assert.equal(code(doc.applyUpdate(bad)), 'wallet_document_invalid');
    }
    assert.equal(code(doc.encodeDiff(new Uint8Array([255, 255, 255]))), 'wallet_document_invalid');
    assert.equal(JSON.stringify(doc.snapshot()), before);
    assert.throws(() => doc.applyUpdate('update' as never), TypeError);
  });
});

describe('WalletDocument: validation and limits', () => {
  test('invalid instruments are refused and nothing is written', () => {
    const doc = WalletDocument.create();
    const bad = [
      { ...coupon, percent_off: '150' },
      { ...coupon, title: 'x'.repeat(201) },
      { ...coupon, balance: '10' },
      { ...voucher, amount: 'ten' },
    ];
    for (const instrument of bad) {
      const result = doc.putInstrument(instrument as never);
      assert.equal(code(result), 'instrument_invalid');
    }
    assert.deepEqual(doc.snapshot().instruments, {});
  });

  test('accounts never hold balances; contacts, labels and settings are checked', async () => {
    const doc = WalletDocument.create();
    const account = accountOf(await keys());
    const withBalance = doc.putAccount({ ...account, balance: '10.00' } as never);
    assert.equal(code(withBalance), 'instrument_invalid');
    assert.equal(withBalance.ok ? '' : withBalance.error.details.field, 'balance');
    assert.equal(code(doc.putAccount({ ...account, id: 'alice' })), 'instrument_invalid');
    assert.equal(code(doc.putAccount({ ...account, index: -1 })), 'instrument_invalid');
    assert.equal(code(doc.putAccount({ ...account, node: 'ftp://node.example' })), 'instrument_invalid');
    assert.equal(
      code(doc.putContact({ id: 'c1', name: '', account: 'acc_bob1', node: NODE_URL } as Contact)),
      'instrument_invalid',
    );
    assert.equal(code(doc.setLabel('k', 'x'.repeat(201))), 'instrument_invalid');
    assert.equal(code(doc.setLabel('k'.repeat(257), 'x')), 'instrument_invalid');
    assert.equal(code(doc.setSetting('big', 'x'.repeat(SETTING_JSON_BYTES_MAX))), 'instrument_invalid');
    assert.equal(code(doc.setSetting('nan', Number.NaN)), 'instrument_invalid');
    assert.deepEqual(doc.snapshot(), {
      accounts: {},
      instruments: {},
      receipts: {},
      contacts: {},
      labels: {},
      settings: {},
    });
  });

  test('a wallet holds at most INSTRUMENTS_MAX instruments and SETTINGS_MAX settings', () => {
    const doc = WalletDocument.create();
    doc.batch(() => {
      for (let i = 0; i < INSTRUMENTS_MAX; i++) unwrap(doc.putInstrument({ ...loyalty, id: `ins_${i}` }));
      for (let i = 0; i < SETTINGS_MAX; i++) unwrap(doc.setSetting(`s${i}`, i));
    });
    const more = doc.putInstrument({ ...loyalty, id: 'ins_one_more' });
    assert.equal(code(more), 'wallet_full');
    assert.equal(more.ok ? 0 : more.error.details.limit, INSTRUMENTS_MAX);
    assert.equal(code(doc.setSetting('one_more', 1)), 'wallet_full');
    // Editing what is there still works at the limit.
    unwrap(doc.putInstrument({ ...loyalty, id: 'ins_7', points: 70 }));
    unwrap(doc.setSetting('s0', 'changed'));
    assert.equal(doc.instruments('loyalty').length, INSTRUMENTS_MAX);
    assert.deepEqual(doc.instruments('coupon'), []);
  });
});

describe('WalletDocument: receipts', () => {
  test('newest first by stored_at, ties by key; storing again keeps stored_at and edits the meta', async () => {
    const k = await keys();
    const doc = WalletDocument.create();
    const [a, b, c, d] = [
      await receipt(k, 'tx_a'),
      await receipt(k, 'tx_b'),
      await receipt(k, 'tx_c'),
      await receipt(k, 'tx_d'),
    ];
    unwrap(doc.putReceipt(a as Receipt, { stored_at: '2025-05-01T10:00:00Z' }));
    unwrap(doc.putReceipt(b as Receipt, { stored_at: '2025-05-03T10:00:00Z', label: 'Books' }));
    unwrap(doc.putReceipt(c as Receipt, { stored_at: '2025-05-02T10:00:00.5Z' }));
    unwrap(doc.putReceipt(d as Receipt, { stored_at: '2025-05-02T10:00:00.5Z' }));
    const ids = () => doc.receipts().map((r) => r.key.split('/')[1]);
    assert.deepEqual(ids(), ['tx_b', 'tx_c', 'tx_d', 'tx_a']);
    unwrap(doc.putReceipt(b as Receipt, { stored_at: '2020-01-01T00:00:00Z', note: 'gift for Ann' }));
    const stored = doc.receipts()[0];
    assert.equal(stored?.stored_at, '2025-05-03T10:00:00Z');
    assert.equal(stored?.label, 'Books');
    assert.equal(stored?.note, 'gift for Ann');
    unwrap(doc.putReceipt(b as Receipt, { label: null }));
    assert.equal(doc.receipts()[0]?.label, undefined);
    assert.equal(doc.receipts()[0]?.note, 'gift for Ann');
    assert.deepEqual(
      doc.receipts({ offset: 1, limit: 2 }).map((r) => r.key.split('/')[1]),
      ['tx_c', 'tx_d'],
    );
    assert.equal(doc.receiptCount(), 4);
    assert.equal(doc.removeReceipt(doc.receipts()[0]?.key ?? ''), true);
    assert.deepEqual(ids(), ['tx_c', 'tx_d', 'tx_a']);
    assert.equal(doc.receiptCount(), 3);
  });

  test('receipts of the wrong shape are receipt_invalid', async () => {
    const k = await keys();
    const good = await receipt(k, 'tx_1');
    const doc = WalletDocument.create();
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, block: { ...good.block, type: 'ledger.transfer' } },
      { ...good, proof: ['nothex'] },
      { ...good, index: -1 },
      { ...good, document: { ...good.document, body: { ...(good.document.body as object), id: 'has space' } } },
    ];
    for (const r of bad) assert.equal(code(doc.putReceipt(r as Receipt)), 'receipt_invalid', JSON.stringify(r));
    assert.equal(code(doc.putReceipt(good, { note: 'bell\u0007' })), 'instrument_invalid');
    assert.equal(code(doc.putReceipt(good, { stored_at: 'yesterday' })), 'instrument_invalid');
    assert.deepEqual(doc.receipts(), []);
  });
});
