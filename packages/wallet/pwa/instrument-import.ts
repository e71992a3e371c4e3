import { PAYER_TOKEN_PREFIX, type WebWalletError } from '@webwallet/core';
import { IMPORT_TEXT_LENGTH_MAX, type Instrument, parseInstrumentImport } from '@webwallet/wallet';
import { append, button, field, form, h, messageArea } from './dom.js';
import { cardView, checkCard } from './instruments.js';
import type { Nav } from './nav.js';
import { hasCamera, readQrFile, scanCamera } from './qr.js';
import type { Session } from './session.js';
import { show } from './ui.js';

/**
 * Adding a card: from a link (/wallet/#import=<text>, which app.ts takes out of the address bar
 * and keeps until the wallet is unlocked), pasted text, a file (a card's JSON, a credential's
 * JSON, a "wwpt1." ticket, or a picture of a QR code) or the camera. Whatever the source, the
 * text goes through the core's `parseInstrumentImport`, and the card is shown for the person to
 * add: nothing is stored until they say so, and nothing is stored when the text is refused.
 */

/** Largest card or ticket file read as text: UTF-8 takes at most 4 bytes a character. */
const TEXT_FILE_BYTES_MAX = 4 * IMPORT_TEXT_LENGTH_MAX;
/** Largest picture read for a QR code: a phone photo is a few MB. */
const IMAGE_FILE_BYTES_MAX = 25 * 1024 * 1024;

type Source = 'link' | 'text' | 'file' | 'qr';

/** What to do after a refusal, by where the text came from. */
const HINTS: Record<Source, string> = {
  link: 'Ask whoever sent the link for a new one, or for the card as a file.',
  text: `Paste the whole card: its JSON (starting with "{") or a ticket (starting with "${PAYER_TOKEN_PREFIX}").`,
  file: `Choose a card file (.json), a ticket (.txt, starting with "${PAYER_TOKEN_PREFIX}") or a picture of the card's QR code.`,
  qr: 'That QR code does not hold a card: scan the QR code the shop, event or issuer gave you for the wallet.',
};

/** A refusal as a person reads it: what is wrong, then what to do. */
function refusal(error: WebWalletError, source: Source): string {
  const reason = typeof error.details.reason === 'string' ? error.details.reason : error.message;
  const field =
    typeof error.details.field === 'string' && error.details.field !== '' ? ` (${error.details.field})` : '';
  return `This is not a card the wallet can add: ${reason}${field}. ${HINTS[source]} Code: ${error.code}.`;
}

/** Link text is percent-encoded; text that does not decode is read as it is and refused by the parser. */
function decodeLinkText(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isPicture(file: File): boolean {
  return file.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp)$/i.test(file.name);
}

/** The Import screen; `linkText` is a card that came in a #import= link. */
export function showImport(nav: Nav, session: Session, linkText?: string): void {
  const message = messageArea('import-message');
  const preview = h('div', { id: 'import-preview' });
  const input = h('textarea', {
    id: 'import-text',
    rows: 4,
    maxlength: IMPORT_TEXT_LENGTH_MAX,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const file = h('input', {
    type: 'file',
    id: 'import-file',
    accept: '.json,.txt,.jsonld,application/json,application/ld+json,text/plain,image/*',
  });
  const video = h('video', { id: 'scan-video', class: 'scan', hidden: true, 'aria-label': 'Camera' });
  let scanning: AbortController | undefined;

  /** Parses the text and shows the card to add, or says why it cannot be added. */
  const check = async (text: string, source: Source) => {
    preview.replaceChildren();
    if (text.trim() === '') return message.say('Paste a card first, or choose a file.', 'error');
    const parsed = await parseInstrumentImport(text);
    if (!parsed.ok) return message.say(refusal(parsed.error, source), 'error');
    message.say('');
    await showPreview(nav, session, parsed.value, preview, message.say);
  };

  const readFile = async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    if (isPicture(chosen)) {
      if (chosen.size > IMAGE_FILE_BYTES_MAX)
        return message.say('That picture is too large: choose one under 25 MB.', 'error');
      message.say('Looking for a QR code in the picture…');
      const text = await readQrFile(chosen);
      if (text === undefined) {
        preview.replaceChildren();
        return message.say(
          'No QR code was found in that picture. Take a sharp picture with the whole code in it, or paste the card as text.',
          'error',
        );
      }
      return check(text, 'qr');
    }
    if (chosen.size > TEXT_FILE_BYTES_MAX)
      return message.say(`That file is too large to be a card. ${HINTS.file}`, 'error');
    return check(await chosen.text(), 'file');
  };

  const scan = async () => {
    scanning?.abort();
    const controller = new AbortController();
    scanning = controller;
    video.hidden = false;
    stop.hidden = false;
    message.say('Point the camera at the QR code.');
    try {
      const text = await scanCamera(video, controller.signal);
      if (text !== undefined) await check(text, 'qr');
    } catch (error) {
      message.say(cameraProblem(error as Error), 'error');
    } finally {
      video.hidden = true;
      stop.hidden = true;
    }
  };
  const stop = button('Stop the camera', () => scanning?.abort(), { id: 'stop-scan', hidden: true });
  file.addEventListener('change', () => void readFile());

  show(
    'import',
    'Add a card',
    h(
      'p',
      { class: 'muted' },
      'Tickets, vouchers, coupons, loyalty cards and identity cards (W3C verifiable credentials). The card is shown before it is added.',
    ),
    form(
      { id: 'import-form' },
      () => void check(input.value, 'text'),
      ...field(
        'Paste a card',
        input,
        `A card's JSON, a credential's JSON, or a ticket starting with "${PAYER_TOKEN_PREFIX}".`,
      ),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'import-check', class: 'primary' }, 'Check')),
    ),
    ...field('Or choose a file', file, 'A card (.json), a ticket (.txt), or a picture of a QR code.'),
    hasCamera()
      ? h(
          'div',
          { class: 'buttons' },
          button('Scan a QR code', () => void scan(), { id: 'scan-camera' }),
          stop,
        )
      : null,
    video,
    message.element,
    preview,
    h(
      'div',
      { class: 'buttons' },
      button('Back to cards', () => nav.cards(), { id: 'import-back' }),
    ),
  );
  if (linkText !== undefined) {
    const text = decodeLinkText(linkText);
    input.value = text.slice(0, IMPORT_TEXT_LENGTH_MAX);
    void check(text, 'link');
  }
}

function cameraProblem(error: Error): string {
  if (error.name === 'NotAllowedError') {
    return "The camera was not allowed. Allow it in the browser's settings for this site, or choose a picture of the QR code as a file.";
  }
  if (error.name === 'NotFoundError' || error.name === 'OverconstrainedError') {
    return 'No camera was found. Choose a picture of the QR code as a file instead.';
  }
  return `The camera could not be opened (${error.message}). Choose a picture of the QR code as a file instead.`;
}

/** The card as it will look, with "Add" (and a note when it replaces a card with the same id). */
async function showPreview(
  nav: Nav,
  session: Session,
  instrument: Instrument,
  preview: HTMLElement,
  say: (text: string, kind?: 'error' | 'info') => void,
): Promise<void> {
  const card = await checkCard(instrument);
  const existing = session.document.instrument(instrument.id);
  const add = button(existing ? 'Replace the card' : 'Add the card', () => void addCard(), {
    id: 'import-add',
    class: 'primary',
  });
  const addCard = async () => {
    add.disabled = true;
    const stored = session.document.putInstrument(instrument);
    if (!stored.ok) {
      add.disabled = false;
      return say(refusal(stored.error, 'text'), 'error');
    }
    try {
      await session.save();
    } catch (error) {
      add.disabled = false;
      return say(`The card could not be saved on this device: ${(error as Error).message}`, 'error');
    }
    nav.cards(`Added “${card.face.title}”.`);
  };
  preview.replaceChildren();
  append(preview, [
    h('h2', {}, 'This card'),
    cardView(card),
    existing
      ? h(
          'p',
          { class: 'warning', id: 'import-replaces' },
          `It replaces the card “${existing.title}” that has the same id.`,
        )
      : null,
    h('div', { class: 'buttons' }, add),
  ]);
  add.focus();
}
