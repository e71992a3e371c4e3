import {
  checkRecoveryPhrase,
  DEVICE_NAME_LENGTH_MAX,
  NodeClient,
  newRecoveryPhrase,
  PAIRING_CODE_TEXT_MAX,
  PAIRING_URI_PREFIX,
  parsePairingCode,
  RECOVERY_PHRASE_LENGTH_MAX,
} from '@webwallet/wallet';
import { describeSyncError } from './devices.js';
import { button, field, form, h, messageArea } from './dom.js';
import type { Nav } from './nav.js';
import { defaultDeviceName, openAccount, Session } from './session.js';
import type { StoredWallet } from './store.js';
import { describeError, nodeAnswered, show } from './ui.js';

/**
 * First run (create a wallet, restore one from its recovery phrase, or add this device to a
 * wallet with a pairing code from one of its devices), the passphrase that locks it, and
 * unlocking. The phrase is shown once, when the wallet is made, and checked by asking for three
 * of its words: a phrase nobody wrote down is a wallet nobody can restore. A paired device gets
 * the phrase inside the encrypted pairing offer.
 */

/** How many words of a new phrase the user types back. */
export const CONFIRM_WORDS = 3;
/** NIST SP 800-63B's minimum for a memorized secret; Argon2id makes each guess expensive. */
export const PASSPHRASE_LENGTH_MIN = 8;
export const PASSPHRASE_LENGTH_MAX = 1_024;

/** Where the node serves its sandbox ledger: play money with its own key, for trying payments. */
export const SANDBOX_PATH = '/sandbox';

export function showWelcome(nav: Nav): void {
  const sandbox = h('input', { type: 'checkbox', id: 'sandbox' });
  const nodeUrl = () => (sandbox.checked ? `${nav.nodeUrl}${SANDBOX_PATH}` : nav.nodeUrl);
  show(
    'welcome',
    'Welcome to WebWallet',
    h(
      'p',
      {},
      'Your keys are made on this device and never leave it. Balances come from the ledger node; receipts are kept here and prove your payments offline.',
    ),
    h(
      'div',
      { class: 'buttons' },
      button('Create a new wallet', () => showNewPhrase(nav, newRecoveryPhrase(), nodeUrl()), {
        id: 'create',
        class: 'primary',
      }),
      button('Restore from a recovery phrase', () => showRestore(nav, false, nodeUrl()), { id: 'restore' }),
      button('Add this device to a wallet', () => showJoin(nav), { id: 'join' }),
    ),
    h(
      'label',
      { class: 'check', for: 'sandbox' },
      sandbox,
      'Test money (sandbox): a wallet for trying payments with play money that is worth nothing',
    ),
    nav.pendingNote(),
  );
}

function showNewPhrase(nav: Nav, phrase: string, nodeUrl: string): void {
  const words = phrase.split(' ');
  const saved = h('input', { type: 'checkbox', id: 'phrase-saved' });
  const next = button('Continue', () => showConfirmWords(nav, phrase, nodeUrl), {
    id: 'phrase-continue',
    class: 'primary',
    disabled: true,
  });
  saved.addEventListener('change', () => {
    next.disabled = !saved.checked;
  });
  show(
    'phrase',
    'Your recovery phrase',
    h(
      'p',
      { class: 'warning' },
      `Write these ${words.length} words down, in order, and keep them somewhere safe and offline. They are shown only now. Anyone who has them can spend your money; with them you can restore this wallet on any device.`,
    ),
    h(
      'ol',
      { id: 'phrase', class: 'phrase card', 'aria-label': 'Recovery phrase' },
      ...words.map((w) => h('li', {}, w)),
    ),
    h('label', { class: 'check', for: 'phrase-saved' }, saved, `I have written down all ${words.length} words`),
    h('div', { class: 'buttons' }, next),
  );
}

/** CONFIRM_WORDS distinct word positions (1-based, ascending), from the platform's CSPRNG. */
function confirmPositions(count: number): number[] {
  const chosen = new Set<number>();
  const random = new Uint32Array(1);
  while (chosen.size < Math.min(CONFIRM_WORDS, count)) {
    crypto.getRandomValues(random);
    chosen.add(((random[0] as number) % count) + 1);
  }
  return [...chosen].sort((a, b) => a - b);
}

function showConfirmWords(nav: Nav, phrase: string, nodeUrl: string): void {
  const words = phrase.split(' ');
  const inputs = confirmPositions(words.length).map((position) =>
    h('input', {
      type: 'text',
      id: `confirm-${position}`,
      'data-position': position,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: true,
    }),
  );
  const message = messageArea('confirm-message');
  const check = () => {
    const wrong = inputs.find((input) => {
      const position = Number(input.dataset.position);
      return input.value.trim().toLowerCase() !== words[position - 1];
    });
    if (!wrong) return showPassphrase(nav, 'Create wallet', (passphrase) => setUp(phrase, passphrase, nodeUrl));
    message.say(`Word ${wrong.dataset.position} does not match. Look at your written copy and try again.`, 'error');
    wrong.focus();
  };
  show(
    'confirm',
    'Check your recovery phrase',
    h('p', {}, 'Type these words from the phrase you wrote down.'),
    form(
      { id: 'confirm-form' },
      check,
      ...inputs.flatMap((input) => field(`Word ${input.dataset.position}`, input)),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', id: 'confirm-words', class: 'primary' }, 'Check'),
        button('Show the phrase again', () => showNewPhrase(nav, phrase, nodeUrl), { id: 'phrase-again' }),
      ),
    ),
  );
}

function showRestore(nav: Nav, replacing = false, nodeUrl = nav.nodeUrl): void {
  const input = h('textarea', {
    id: 'restore-phrase',
    rows: 4,
    maxlength: RECOVERY_PHRASE_LENGTH_MAX,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
  });
  const message = messageArea('restore-message');
  const next = () => {
    const checked = checkRecoveryPhrase(input.value);
    if (!checked.ok) {
      message.say(describeError(checked.error), 'error');
      input.focus();
      return;
    }
    showPassphrase(nav, 'Restore wallet', (passphrase) => setUp(checked.value, passphrase, nodeUrl));
  };
  show(
    'restore',
    'Restore a wallet',
    replacing
      ? h(
          'p',
          { class: 'warning' },
          'This replaces the wallet on this device. Receipts stored only on this device are lost; your accounts and balances are not.',
        )
      : null,
    form(
      { id: 'restore-form' },
      next,
      ...field('Recovery phrase', input, 'The 12 or 24 words, in order, separated by spaces.'),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', id: 'restore-continue', class: 'primary' }, 'Continue'),
        button('Back', () => nav.start(), { id: 'restore-back' }),
      ),
    ),
  );
}

function passwordInput(id: string): HTMLInputElement {
  return h('input', {
    type: 'password',
    id,
    autocomplete: 'new-password',
    minlength: PASSPHRASE_LENGTH_MIN,
    maxlength: PASSPHRASE_LENGTH_MAX,
    required: true,
  });
}

/**
 * The passphrase step of every way in: `setUpWith` makes the wallet with it. `back` (pairing)
 * returns to the step before, for when the code turns out to be used or expired.
 */
function showPassphrase(
  nav: Nav,
  submitLabel: string,
  setUpWith: (passphrase: string) => Promise<SetUp>,
  back?: () => void,
): void {
  const first = passwordInput('passphrase');
  const again = passwordInput('passphrase-again');
  const message = messageArea('passphrase-message');
  const submit = h('button', { type: 'submit', id: 'set-passphrase', class: 'primary' }, submitLabel);
  const done = async () => {
    if ([...first.value].length < PASSPHRASE_LENGTH_MIN) {
      return message.say(`Use at least ${PASSPHRASE_LENGTH_MIN} characters.`, 'error');
    }
    if (first.value !== again.value) return message.say('The two passphrases differ. Type them again.', 'error');
    submit.disabled = true;
    message.say('Protecting your keys with your passphrase… this takes a moment.');
    try {
      const session = await setUpWith(first.value);
      if (!session.ok) return message.say(session.message, 'error');
      nav.opened(session.session);
    } catch (error) {
      message.say(`This device could not keep the wallet: ${(error as Error).message}`, 'error');
    } finally {
      submit.disabled = false;
    }
  };
  show(
    'passphrase',
    'Choose a passphrase',
    h(
      'p',
      {},
      'The passphrase locks the wallet on this device: it is asked each time you open it. It cannot be recovered, but your recovery phrase can always restore the wallet.',
    ),
    form(
      { id: 'passphrase-form' },
      () => void done(),
      ...field('Passphrase', first, `At least ${PASSPHRASE_LENGTH_MIN} characters. A few unrelated words work well.`),
      ...field('The same passphrase again', again),
      message.element,
      h('div', { class: 'buttons' }, submit, back ? button('Back', back, { id: 'passphrase-back' }) : null),
    ),
  );
}

type SetUp = { ok: true; session: Session } | { ok: false; message: string };

/**
 * Learns the node's key (receipts will have to verify with it), stores the wallet, then opens
 * account 0 on the node. The node must answer once here; the account can be opened later.
 */
async function setUp(phrase: string, passphrase: string, nodeUrl: string): Promise<SetUp> {
  const node = new NodeClient({ url: nodeUrl });
  const info = await node.info();
  nodeAnswered(info.ok || info.error.code !== 'node_unreachable');
  if (!info.ok) {
    return {
      ok: false,
      message: `Setting up a wallet needs the node once, to learn its key. ${describeError(info.error)}`,
    };
  }
  const session = await Session.create(phrase, passphrase, { url: nodeUrl, public_key: info.value.public_key });
  const [account] = session.accounts();
  if (account) await openAccount(node, await session.keyPair(account)); // if it fails, home says the account is not open
  return { ok: true, session };
}

/** Fragment keys that carry a pairing code: #pair= (the QR code's link) and #uri= (the protocol handler). */
const PAIRING_FRAGMENTS = ['pair=', `uri=${PAIRING_URI_PREFIX}`, `uri=${encodeURIComponent(PAIRING_URI_PREFIX)}`];

/** Takes a pairing code out of the fragment, and the fragment out of the address bar and history. */
export function takePairingFromFragment(): string | undefined {
  const fragment = location.hash.slice(1);
  const prefix = PAIRING_FRAGMENTS.find((p) => fragment.startsWith(p));
  if (prefix === undefined) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  const value = prefix === 'pair=' ? fragment.slice(prefix.length) : fragment.slice('uri='.length);
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a malformed escape: the code check below says what is wrong
  }
}

function sameNode(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/**
 * Adding this device to a wallet: the code from the other device's Devices screen (typed, pasted
 * or opened from its QR code), a name for this device, then a passphrase. The code is checked
 * here first: its check characters catch a typo before the one-time pairing is spent.
 */
export function showJoin(nav: Nav, code = '', replacing = false): void {
  const input = h('textarea', {
    id: 'pair-code',
    rows: 3,
    maxlength: PAIRING_CODE_TEXT_MAX,
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    required: true,
  });
  input.value = code;
  const name = h('input', { type: 'text', id: 'pair-device-name', maxlength: DEVICE_NAME_LENGTH_MAX, required: true });
  name.value = defaultDeviceName();
  const message = messageArea('pair-message');
  input.addEventListener('input', () => message.say(''));
  const next = () => {
    const parsed = parsePairingCode(input.value);
    if (!parsed.ok) {
      message.say(describeSyncError(parsed.error), 'error');
      return input.focus();
    }
    const relay = parsed.value.relay_url;
    if (relay !== undefined && !sameNode(relay, nav.nodeUrl)) {
      message.say(
        `This code is for a wallet on the node ${relay}. Open the wallet app there to add this device.`,
        'error',
      );
      return input.focus();
    }
    const deviceName = name.value.trim();
    // Control characters would be refused by the other devices: they show names as plain text.
    if (/\p{Cc}/u.test(deviceName)) return message.say('Use letters, digits and spaces in the name.', 'error');
    const typed = input.value;
    showPassphrase(
      nav,
      'Add this device',
      (passphrase) => joinWallet(typed, passphrase, deviceName || defaultDeviceName(), nav.nodeUrl),
      () => showJoin(nav, typed, replacing),
    );
  };
  show(
    'pair',
    'Add this device to a wallet',
    h(
      'p',
      {},
      'On a device that has the wallet, open Devices and choose Add a device. Scan the QR code it shows with this device, or type the code under it.',
    ),
    replacing
      ? h(
          'p',
          { class: 'warning' },
          'This replaces the wallet on this device with the one you pair with. Receipts stored only here are lost.',
        )
      : null,
    form(
      { id: 'pair-form' },
      next,
      ...field('Pairing code', input, '56 letters and digits in groups of 4. Dashes, spaces and case do not matter.'),
      ...field('Name for this device', name, "How the wallet's other devices list this one."),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', id: 'pair-continue', class: 'primary' }, 'Continue'),
        button('Back', () => nav.start(), { id: 'pair-back' }),
      ),
    ),
  );
}

/** Learns the node's key, as setUp does, then pairs (Session.join) and opens the account on the node if needed. */
async function joinWallet(code: string, passphrase: string, deviceName: string, nodeUrl: string): Promise<SetUp> {
  const node = new NodeClient({ url: nodeUrl });
  const info = await node.info();
  nodeAnswered(info.ok || info.error.code !== 'node_unreachable');
  if (!info.ok) {
    return { ok: false, message: `Adding a device needs the node. ${describeError(info.error)}` };
  }
  const session = await Session.join(code, passphrase, { url: nodeUrl, public_key: info.value.public_key }, deviceName);
  if (!session.ok) return { ok: false, message: describeSyncError(session.error) };
  return { ok: true, session: session.value };
}

export function showUnlock(nav: Nav, record: StoredWallet): void {
  const input = h('input', {
    type: 'password',
    id: 'unlock-passphrase',
    autocomplete: 'current-password',
    required: true,
  });
  const message = messageArea('unlock-message');
  const submit = h('button', { type: 'submit', id: 'unlock', class: 'primary' }, 'Unlock');
  const unlock = async () => {
    submit.disabled = true;
    message.say('Unlocking…');
    try {
      const session = await Session.unlock(record, input.value);
      if (!session.ok) {
        message.say(describeError(session.error), 'error');
        input.select();
        return;
      }
      nav.opened(session.value);
    } catch (error) {
      message.say(`The wallet could not be opened: ${(error as Error).message}`, 'error');
    } finally {
      submit.disabled = false;
    }
  };
  show(
    'unlock',
    'Unlock your wallet',
    nav.pendingNote(),
    form(
      { id: 'unlock-form' },
      () => void unlock(),
      ...field('Passphrase', input),
      message.element,
      h('div', { class: 'buttons' }, submit),
    ),
    h(
      'p',
      { class: 'muted' },
      'Forgot the passphrase? ',
      button('Restore from your recovery phrase', () => showRestore(nav, true), {
        id: 'unlock-restore',
        class: 'link',
      }),
      ' instead.',
    ),
  );
}
