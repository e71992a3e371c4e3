import { checkRecoveryPhrase, NodeClient, newRecoveryPhrase, RECOVERY_PHRASE_LENGTH_MAX } from '@webwallet/wallet';
import { button, field, form, h, messageArea } from './dom.js';
import type { Nav } from './nav.js';
import { openAccount, Session } from './session.js';
import type { StoredWallet } from './store.js';
import { describeError, nodeAnswered, show } from './ui.js';

/**
 * First run (create a wallet, or restore one from its recovery phrase), the passphrase that
 * locks it, and unlocking. The phrase is shown once, when the wallet is made, and checked by
 * asking for three of its words: a phrase nobody wrote down is a wallet nobody can restore.
 */

/** How many words of a new phrase the user types back. */
export const CONFIRM_WORDS = 3;
/** NIST SP 800-63B's minimum for a memorized secret; Argon2id makes each guess expensive. */
export const PASSPHRASE_LENGTH_MIN = 8;
export const PASSPHRASE_LENGTH_MAX = 1_024;

export function showWelcome(nav: Nav): void {
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
      button('Create a new wallet', () => showNewPhrase(nav, newRecoveryPhrase()), { id: 'create', class: 'primary' }),
      button('Restore from a recovery phrase', () => showRestore(nav), { id: 'restore' }),
    ),
    nav.pendingNote(),
  );
}

function showNewPhrase(nav: Nav, phrase: string): void {
  const words = phrase.split(' ');
  const saved = h('input', { type: 'checkbox', id: 'phrase-saved' });
  const next = button('Continue', () => showConfirmWords(nav, phrase), {
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

function showConfirmWords(nav: Nav, phrase: string): void {
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
    if (!wrong) return showPassphrase(nav, phrase, 'create');
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
        button('Show the phrase again', () => showNewPhrase(nav, phrase), { id: 'phrase-again' }),
      ),
    ),
  );
}

function showRestore(nav: Nav, replacing = false): void {
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
    showPassphrase(nav, checked.value, 'restore');
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

function showPassphrase(nav: Nav, phrase: string, mode: 'create' | 'restore'): void {
  const first = passwordInput('passphrase');
  const again = passwordInput('passphrase-again');
  const message = messageArea('passphrase-message');
  const submit = h(
    'button',
    { type: 'submit', id: 'set-passphrase', class: 'primary' },
    mode === 'create' ? 'Create wallet' : 'Restore wallet',
  );
  const done = async () => {
    if ([...first.value].length < PASSPHRASE_LENGTH_MIN) {
      return message.say(`Use at least ${PASSPHRASE_LENGTH_MIN} characters.`, 'error');
    }
    if (first.value !== again.value) return message.say('The two passphrases differ. Type them again.', 'error');
    submit.disabled = true;
    message.say('Protecting your keys with your passphrase… this takes a moment.');
    try {
      const session = await setUp(phrase, first.value, nav.nodeUrl);
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
      h('div', { class: 'buttons' }, submit),
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
