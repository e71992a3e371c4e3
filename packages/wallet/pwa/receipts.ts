import { NOTE_LENGTH_MAX, type StoredReceipt } from '@webwallet/wallet';
import { button, facts, field, form, formatTime, h, messageArea, shortId } from './dom.js';
import type { Nav } from './nav.js';
import type { Session } from './session.js';
import { show } from './ui.js';

/**
 * Receipts: the list on the home screen and one receipt's page. Each is verified offline when
 * shown, against the node key the wallet pinned: the badge says "Verified offline" only when the
 * signed block and the Merkle proof check out on this device, with no network.
 */

/** How many receipts the home screen lists (newest first). */
export const RECEIPTS_SHOWN_MAX = 50;

interface Leg {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly amount: string;
}

export interface ReceiptSummary {
  /** "Paid 12.50 EUR", "Received 5.00 EUR" or the transaction type. */
  readonly title: string;
  readonly direction: 'sent' | 'received' | 'other';
  readonly leg: Leg | undefined;
  readonly memo: string | undefined;
  readonly transaction_id: string;
  readonly block_height: number;
  readonly block_time: string;
}

function firstLeg(body: unknown): Leg | undefined {
  const legs = (body as { legs?: unknown } | null)?.legs;
  const leg = Array.isArray(legs) ? (legs[0] as Partial<Leg> | undefined) : undefined;
  const fields = [leg?.from, leg?.to, leg?.currency, leg?.amount];
  return fields.every((f) => typeof f === 'string') ? (leg as Leg) : undefined;
}

/** What a receipt proves, from the point of view of this wallet's accounts. */
export function summarize(stored: StoredReceipt, mine: ReadonlySet<string>): ReceiptSummary {
  const { document, block } = stored.receipt;
  const body = document.body as { id?: string; memo?: unknown };
  const leg = document.type === 'ledger.transfer' ? firstLeg(body) : undefined;
  const direction = leg && mine.has(leg.from) ? 'sent' : leg && mine.has(leg.to) ? 'received' : 'other';
  const money = leg ? `${leg.amount} ${leg.currency}` : '';
  const title = direction === 'sent' ? `Paid ${money}` : direction === 'received' ? `Received ${money}` : document.type;
  return {
    title,
    direction,
    leg,
    memo: typeof body.memo === 'string' ? body.memo : undefined,
    transaction_id: String(body.id ?? ''),
    block_height: block.body.height,
    block_time: block.body.timestamp,
  };
}

/** A badge that turns into "Verified offline" (or "Does not verify") once the check is done. */
function verifiedBadge(session: Session, stored: StoredReceipt, id?: string): HTMLElement {
  const badge = h('span', { class: 'badge', 'data-verified': 'pending', ...(id ? { id } : {}) }, 'Checking…');
  void session.verify(stored).then((ok) => {
    badge.dataset.verified = ok ? 'yes' : 'no';
    badge.textContent = ok ? 'Verified offline' : 'Does not verify';
    badge.closest('li')?.setAttribute('data-verified', ok ? 'yes' : 'no');
  });
  return badge;
}

function accountsOf(session: Session): Set<string> {
  return new Set(session.accounts().map((a) => a.id));
}

/** The home screen's receipts card. */
export function receiptsCard(nav: Nav, session: Session): HTMLElement {
  const mine = accountsOf(session);
  const stored = session.document.receipts({ limit: RECEIPTS_SHOWN_MAX });
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'receipts-title' },
    h('h2', { id: 'receipts-title' }, 'Receipts'),
  );
  if (stored.length === 0) {
    card.append(
      h('p', { id: 'no-receipts', class: 'muted' }, 'No receipts yet. Each payment you make keeps its receipt here.'),
    );
    return card;
  }
  const list = h('ul', { id: 'receipts', class: 'receipts' });
  for (const receipt of stored) {
    const summary = summarize(receipt, mine);
    const counterparty = summary.leg
      ? summary.direction === 'received'
        ? `from ${shortId(summary.leg.from)}`
        : `to ${shortId(summary.leg.to)}`
      : '';
    const open = button('', () => nav.receipt(receipt.key), { class: 'receipt' });
    open.append(
      h('span', { class: 'what' }, summary.title),
      h('span', { class: 'muted' }, [counterparty, formatTime(summary.block_time)].filter(Boolean).join(' · '), ' '),
      verifiedBadge(session, receipt),
      ...(receipt.note === undefined ? [] : [h('span', { class: 'note' }, receipt.note)]),
    );
    list.append(h('li', { 'data-key': receipt.key, 'data-verified': 'pending' }, open));
  }
  card.append(list);
  return card;
}

export function showReceipt(nav: Nav, session: Session, key: string, fresh: boolean): void {
  const stored = session.document.receipt(key);
  if (!stored) {
    nav.home();
    return;
  }
  const summary = summarize(stored, accountsOf(session));
  const { leg } = summary;
  show(
    'receipt',
    fresh ? 'Paid' : 'Receipt',
    fresh
      ? h(
          'p',
          { role: 'status' },
          'The payment is in a signed block of the ledger. Its receipt is stored on this device.',
        )
      : null,
    h(
      'section',
      { class: 'card', id: 'receipt', 'data-key': key },
      leg ? h('p', { class: 'amount', id: 'receipt-amount' }, `${leg.amount} ${leg.currency}`) : null,
      h('p', {}, verifiedBadge(session, stored, 'receipt-status')),
      facts([
        ...(leg
          ? ([
              ['To', leg.to, { id: 'receipt-to', class: 'mono' }],
              ['From', leg.from, { id: 'receipt-from', class: 'mono' }],
            ] as const)
          : []),
        ...(summary.memo === undefined ? [] : ([['For', summary.memo, { id: 'receipt-memo' }]] as const)),
        ['Transaction', summary.transaction_id, { id: 'receipt-transaction', class: 'mono' }],
        ['Block', `${summary.block_height} · ${formatTime(summary.block_time)}`, { id: 'receipt-block' }],
        // The block's signer is the node (its key), not the payer: say so, people read "Signed by" as "who paid".
        [
          'Signed by',
          h('span', {}, 'the node ', h('code', {}, stored.receipt.block.body.node)),
          { id: 'receipt-signer' },
        ],
      ]),
      h(
        'p',
        { class: 'muted' },
        'Verified offline means this device checked the node’s signature on the block and the proof that the payment is in it, with no network. Anyone with the node’s key can check it again.',
      ),
    ),
    noteForm(session, stored),
    h(
      'div',
      { class: 'buttons' },
      button('Back to the wallet', () => nav.home(), { id: 'back-home', class: 'primary' }),
    ),
  );
}

/** A private note on a receipt: kept in the wallet document, so the wallet's other devices get it (encrypted). */
function noteForm(session: Session, stored: StoredReceipt): HTMLElement {
  const input = h('input', { type: 'text', id: 'receipt-note', maxlength: NOTE_LENGTH_MAX, autocomplete: 'off' });
  input.value = stored.note ?? '';
  const message = messageArea('note-message');
  const save = async () => {
    const saved = await session.setReceiptNote(stored.key, input.value);
    if (!saved.ok) return message.say(`The note was not saved: ${saved.error.message}`, 'error');
    message.say(saved.value.note === undefined ? 'Note removed.' : 'Saved. Your other devices get it when they sync.');
  };
  return form(
    { id: 'note-form', class: 'card' },
    () => void save(),
    ...field('Note', input, 'Only you and your devices see it.'),
    message.element,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'save-note' }, 'Save note')),
  );
}
