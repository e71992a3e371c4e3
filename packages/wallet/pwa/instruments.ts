import type { Result } from '@webwallet/core';
import {
  type CardFace,
  cardFace,
  credentialIssuerId,
  type Instrument,
  ticketClaims,
  type VerifiedCredential,
  verifyCredential,
} from '@webwallet/wallet';
import { button, type Child, facts, formatTime, h, messageArea, shortId } from './dom.js';
import type { Nav } from './nav.js';
import { qrDataUrl } from './qr.js';
import type { Session } from './session.js';
import { show } from './ui.js';

/**
 * Cards: the vouchers, coupons, tickets, loyalty cards and identity cards the wallet holds, each
 * drawn from the core's `cardFace`. Identity cards are verified on the device each time they are
 * shown (`verifyCredential`: eddsa-jcs-2022 by a did:key issuer); a card opens to its details and
 * the QR code a door or till scans. Import is in instrument-import.ts.
 */

const KIND_LABELS: Record<Instrument['kind'], string> = {
  voucher: 'Voucher',
  coupon: 'Coupon',
  ticket: 'Ticket',
  loyalty: 'Loyalty card',
  identity: 'Identity card',
};

/** What a QR code is for, under the code. */
const QR_CAPTIONS: Record<Instrument['kind'], string> = {
  voucher: 'Show this at the till to pay with the voucher.',
  coupon: 'Show this at the till for the discount.',
  ticket: 'Show this at the door: it proves you paid for the ticket.',
  loyalty: 'Show this to collect points.',
  identity: '',
};

/** A card as drawn: its face, and for an identity card the result of checking its proof. */
export interface CheckedCard {
  readonly instrument: Instrument;
  readonly face: CardFace;
  readonly verification?: Result<VerifiedCredential>;
}

/** The face of a card, verifying an identity card's credential first (offline, on this device). */
export async function checkCard(instrument: Instrument): Promise<CheckedCard> {
  if (instrument.kind !== 'identity') return { instrument, face: cardFace(instrument) };
  const verification = await verifyCredential(instrument.credential);
  return { instrument, face: cardFace(instrument, { verification }), verification };
}

/** The badge text: identity cards say whether they verified; other cards only when expired. */
export function statusText({ instrument, face, verification }: CheckedCard): string | undefined {
  if (face.status === 'expired') return 'Expired';
  if (instrument.kind !== 'identity') return undefined;
  if (face.status === 'verified') return 'Verified';
  const unknownProof = verification && !verification.ok && verification.error.code === 'credential_proof_unsupported';
  return unknownProof ? 'Not verified (unknown proof)' : 'Not verified';
}

function badge(card: CheckedCard): HTMLElement | null {
  const text = statusText(card);
  if (text === undefined) return null;
  return h('span', { class: 'badge', 'data-verified': card.face.status === 'verified' ? 'yes' : 'no' }, text);
}

/**
 * A logo the card carries, only as a data: URL: an http(s) logo is not fetched, since every
 * showing of the card would tell its host that the wallet was opened (and the CSP forbids it).
 */
function logo(instrument: Instrument): HTMLElement | null {
  if (!instrument.image?.startsWith('data:image/')) return null;
  return h('img', { class: 'card-logo', src: instrument.image, alt: '', width: 40, height: 40 });
}

/** The face of a card: kind, title, subtitle, its lines and its status. `open` makes the title a button. */
export function cardView(card: CheckedCard, open?: () => void): HTMLElement {
  const { instrument, face } = card;
  const titleId = `card-title-${instrument.id}`;
  const title = open
    ? button(face.title, open, { class: 'link card-open', id: `open-card-${instrument.id}` })
    : face.title;
  return h(
    'section',
    {
      class: 'card instrument',
      'data-id': instrument.id,
      'data-kind': instrument.kind,
      'data-status': face.status,
      'aria-labelledby': titleId,
    },
    h(
      'div',
      { class: 'card-head' },
      logo(instrument),
      h(
        'div',
        {},
        h('p', { class: 'muted card-kind' }, h('span', {}, KIND_LABELS[instrument.kind]), badge(card)),
        h('h2', { id: titleId, class: 'card-title' }, title),
      ),
    ),
    h('p', { class: 'card-subtitle' }, face.subtitle),
    face.lines.length === 0 ? null : h('ul', { class: 'card-lines' }, ...face.lines.map((line) => h('li', {}, line))),
  );
}

/** The Cards screen: every card, newest first, and the way to add one. */
export async function showCards(nav: Nav, session: Session, note?: string): Promise<void> {
  const cards = await Promise.all(session.document.instruments().map(checkCard));
  const message = messageArea('cards-message');
  if (note) message.say(note);
  show(
    'cards',
    'Cards',
    message.element,
    cards.length === 0
      ? h(
          'p',
          { class: 'muted', id: 'cards-empty' },
          'No cards yet. Add a ticket, voucher, coupon, loyalty card or identity card from a link, a file or a QR code.',
        )
      : h('div', { id: 'cards' }, ...cards.map((card) => cardView(card, () => nav.card(card.instrument.id)))),
    h(
      'div',
      { class: 'buttons' },
      button('Add a card', () => nav.importCard(), { id: 'open-import', class: 'primary' }),
      button('Home', () => nav.home(), { id: 'cards-home' }),
    ),
  );
}

/** The QR code a door or till scans, as an image with its text for screen readers and copying. */
async function qrFigure(instrument: Instrument, text: string): Promise<HTMLElement> {
  const url = await qrDataUrl(text);
  const caption = QR_CAPTIONS[instrument.kind];
  if (url === undefined) {
    return h(
      'p',
      { class: 'warning', id: 'card-qr-missing' },
      'This card is too long for a QR code. Its details are below.',
    );
  }
  return h(
    'figure',
    { class: 'qr' },
    h('img', { id: 'card-qr', src: url, alt: `QR code of this ${KIND_LABELS[instrument.kind].toLowerCase()}` }),
    caption ? h('figcaption', { class: 'muted' }, caption) : null,
  );
}

function verificationText(verification: Result<VerifiedCredential> | undefined): string {
  if (verification === undefined) return 'Not checked';
  if (verification.ok) return `The issuer's signature verifies (${verification.value.cryptosuite}).`;
  const reason = typeof verification.error.details.reason === 'string' ? verification.error.details.reason : '';
  return `${verification.error.message}${reason ? ` (${reason})` : ''} Code: ${verification.error.code}.`;
}

/** What the detail view lists beyond the card's face, by kind. */
async function detailRows(card: CheckedCard): Promise<[string, Child, Record<string, string>?][]> {
  const { instrument } = card;
  switch (instrument.kind) {
    case 'ticket': {
      const claims = await ticketClaims(instrument);
      if (!claims.ok) return [['Payment', 'The ticket cannot be read: it is damaged.']];
      const paid = claims.value;
      return [
        ['Paid', `${paid.amount} ${paid.currency}`, { id: 'card-paid' }],
        ['To', shortId(paid.payee), { class: 'mono' }],
        ['For', paid.audience],
        ['Payment', paid.payment.transaction, { class: 'mono' }],
        ['Valid until', formatTime(paid.expires_at)],
      ];
    }
    case 'identity':
      return [
        ['Issuer', credentialIssuerId(instrument.credential), { class: 'mono' }],
        ['Check', verificationText(card.verification), { id: 'card-verification' }],
      ];
    case 'voucher':
      return instrument.redeem_url === undefined
        ? []
        : [
            [
              'Redeem at',
              h(
                'a',
                { href: instrument.redeem_url, rel: 'noopener noreferrer', target: '_blank' },
                instrument.redeem_url,
              ),
            ],
          ];
    default:
      return [];
  }
}

/** One card: its face, its QR code, its details, and removing it (after a confirmation). */
export async function showCard(nav: Nav, session: Session, id: string): Promise<void> {
  const instrument = session.document.instrument(id);
  if (!instrument) return showCards(nav, session, 'That card is no longer in this wallet.');
  const card = await checkCard(instrument);
  const qrText = card.face.qr_text;
  const message = messageArea('card-message');
  const confirm = h('div', { id: 'remove-confirm', hidden: true });
  const remove = button('Remove', () => askToRemove(), { id: 'remove-card' });
  const askToRemove = () => {
    remove.hidden = true;
    confirm.hidden = false;
    confirm.replaceChildren(
      h(
        'p',
        { class: 'warning' },
        `Remove “${card.face.title}” from this wallet? It cannot be brought back, except by importing it again.`,
      ),
      h(
        'div',
        { class: 'buttons' },
        button('Remove the card', () => void removeCard(nav, session, card, message.say), { id: 'confirm-remove' }),
        button(
          'Keep it',
          () => {
            confirm.hidden = true;
            remove.hidden = false;
          },
          { id: 'keep-card' },
        ),
      ),
    );
  };
  const rows = await detailRows(card);
  show(
    'card',
    card.face.title,
    cardView(card),
    qrText === undefined ? null : await qrFigure(instrument, qrText),
    qrText === undefined || instrument.kind !== 'ticket'
      ? null
      : h('details', {}, h('summary', {}, 'Ticket text'), h('p', { class: 'mono', id: 'card-token' }, qrText)),
    h(
      'section',
      { class: 'card', 'aria-label': 'Details' },
      facts([
        ...rows,
        ['Kind', KIND_LABELS[instrument.kind]],
        ...(instrument.issuer === undefined ? [] : ([['Issued by', instrument.issuer]] as const)),
        ['Added', formatTime(instrument.added_at)],
        ['Card id', instrument.id, { class: 'mono', id: 'card-id' }],
      ]),
    ),
    message.element,
    h(
      'div',
      { class: 'buttons' },
      button('Back to cards', () => nav.cards(), { id: 'back-cards' }),
      remove,
    ),
    confirm,
  );
}

async function removeCard(
  nav: Nav,
  session: Session,
  card: CheckedCard,
  say: (text: string, kind?: 'error' | 'info') => void,
): Promise<void> {
  session.document.removeInstrument(card.instrument.id);
  try {
    await session.save();
  } catch (error) {
    return say(`The card could not be removed on this device: ${(error as Error).message}`, 'error');
  }
  nav.cards(`Removed “${card.face.title}”.`);
}
