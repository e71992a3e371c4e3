import type { KeyPair, Result } from '@webwallet/core';
import {
  type AccountView,
  canSign,
  memberOf,
  NodeClient,
  type PaymentRequest,
  type Proposal,
  parsePaymentUri,
  proposePayment,
  proposeTrust,
  type SharedWallet,
  verifySharedWallet,
} from '@webwallet/wallet';
import { button, field, form, h, messageArea } from './dom.js';
import type { Nav } from './nav.js';
import type { Session } from './session.js';
import { showCreateShared } from './shared-create.js';
import { addSharedCard, describeShared } from './shared-join.js';
import { copyButton, proposalCard, showProposal, showProposalText, trustedForSigning } from './shared-proposal.js';
import {
  descriptionText,
  keyAt,
  keyPairAt,
  nextKeyIndex,
  pruneProposals,
  putProposal,
  type StoredShared,
  sharedByAccount,
  sharedWallets,
  storedProposals,
} from './shared-store.js';
import { networkState, nodeAnswered, show } from './ui.js';

/**
 * Shared wallets: this wallet's key for them (My key), the proposals waiting for approval, each
 * shared wallet with its balances from the ledger (after checking its description against the
 * ledger), and creating or adding one. The ledger enforces each wallet's m-of-n rule; the app
 * gathers the signatures.
 */

export async function showShared(nav: Nav, session: Session): Promise<void> {
  await pruneProposals(session).catch(() => undefined);
  const myKey = await keyAt(session, nextKeyIndex(session));
  const wallets = sharedWallets(session);
  show(
    'shared',
    'Shared wallets',
    h(
      'p',
      { class: 'muted' },
      'A shared wallet pays from one ledger account that several people hold keys to. The ledger itself refuses a payment until enough of them approve it.',
    ),
    waitingCard(nav, session),
    ...wallets.map((shared) => walletCard(nav, session, shared)),
    wallets.length === 0
      ? h('p', { id: 'no-shared', class: 'muted' }, 'This wallet is in no shared wallet yet.')
      : null,
    h(
      'div',
      { class: 'buttons' },
      button('New shared wallet', () => void showCreateShared(nav, session), { id: 'new-shared', class: 'primary' }),
      button('Back to the wallet', () => nav.home(), { id: 'shared-home' }),
    ),
    myKeyCard(myKey),
    addSharedCard(session, () => void showShared(nav, session)),
  );
}

function myKeyCard(key: string): HTMLElement {
  const message = messageArea('my-key-message');
  return h(
    'section',
    { class: 'card', id: 'my-key-card', 'aria-labelledby': 'my-key-title' },
    h('h2', { id: 'my-key-title' }, 'My key'),
    h(
      'p',
      { class: 'muted' },
      'Give this key to whoever creates a shared wallet with you. It comes from your recovery phrase and is used for nothing else; after you join a shared wallet, the next one gets a new key.',
    ),
    h('p', {}, h('code', { id: 'my-key' }, key)),
    h(
      'div',
      { class: 'buttons' },
      copyButton('Copy my key', () => key, message.say, { id: 'copy-my-key' }),
    ),
    message.element,
  );
}

/** The proposals this wallet keeps that are not declined or done, newest first. */
function waitingCard(nav: Nav, session: Session): HTMLElement {
  const waiting = storedProposals(session).filter((p) => p.state === 'pending');
  const input = h('textarea', { id: 'proposal-text', rows: 2, autocomplete: 'off', spellcheck: 'false' });
  const cards = waiting.flatMap((entry) => {
    const shared = sharedByAccount(session, entry.proposal.account);
    return shared ? [proposalCard(session, shared, entry)] : [];
  });
  return h(
    'section',
    { class: 'card', id: 'waiting', 'aria-labelledby': 'waiting-title' },
    h('h2', { id: 'waiting-title' }, 'Waiting for approval'),
    cards.length === 0 ? h('p', { id: 'no-proposals', class: 'muted' }, 'Nothing is waiting for approval.') : null,
    ...cards,
    form(
      { id: 'open-proposal-form' },
      () => void showProposalText(nav, session, input.value),
      ...field('A proposal a member sent', input, 'Paste the link; opening the link does the same.'),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'open-proposal' }, 'Open')),
    ),
  );
}

function signersOf(shared: SharedWallet): number {
  return shared.members.filter(canSign).length;
}

function walletCard(nav: Nav, session: Session, shared: StoredShared): HTMLElement {
  const { wallet } = shared;
  const titleId = `shared-${wallet.account.slice(4, 16)}`;
  const me = memberOf(wallet, shared.key);
  const state = h('p', { class: 'muted shared-state' }, 'Checking it against the ledger…');
  const list = h('ul', { class: 'balances' });
  const description = h('textarea', { class: 'shared-description mono', readonly: true, rows: 4, hidden: true });
  description.value = descriptionText(shared);
  const message = messageArea(`${titleId}-message`);
  const signer = me !== undefined && canSign(me);
  const card = h(
    'section',
    { class: 'card shared', 'data-account': wallet.account, 'data-verified': 'pending', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, shared.name),
    h('p', { class: 'mono account-id' }, wallet.account),
    h('p', {}, `${wallet.threshold} of ${signersOf(wallet)} approve each payment.`),
    h(
      'ul',
      { class: 'members' },
      ...wallet.members.map((m) =>
        h('li', { 'data-key': m.key }, `${m.name}${m.key === shared.key ? ' (you)' : ''} · ${m.role}`),
      ),
    ),
    state,
    list,
    h(
      'div',
      { class: 'buttons' },
      signer
        ? button('Propose a payment', () => showProposePayment(nav, session, shared), { class: 'propose-payment' })
        : null,
      signer
        ? button('Accept a currency', () => showProposeTrust(nav, session, shared), { class: 'propose-trust' })
        : null,
      button(
        'Show the description',
        () => {
          description.hidden = !description.hidden;
        },
        { class: 'share-description' },
      ),
      copyButton('Copy the description', () => description.value, message.say, { class: 'copy-description' }),
    ),
    description,
    message.element,
  );
  void loadShared(session, wallet, { card, state, list });
  return card;
}

async function loadShared(
  session: Session,
  wallet: SharedWallet,
  parts: { card: HTMLElement; state: HTMLElement; list: HTMLElement },
): Promise<void> {
  const checked = await verifySharedWallet(wallet, new NodeClient({ url: session.nodeUrl }));
  nodeAnswered(checked.ok || checked.error.code !== 'node_unreachable');
  const { card, state, list } = parts;
  if (!checked.ok) {
    const code = checked.error.code;
    card.dataset.verified = code === 'account_not_found' ? 'missing' : code === 'node_unreachable' ? 'offline' : 'no';
    state.textContent =
      code === 'account_not_found'
        ? 'Not on the ledger yet: the account opens once enough members approve its creation.'
        : code === 'node_unreachable'
          ? `Balances come from the node and cannot be shown ${networkState() === 'offline' ? 'offline' : 'while it cannot be reached'}.`
          : `Do not use it: ${describeShared(checked.error)}`;
    return;
  }
  card.dataset.verified = 'yes';
  renderBalances(checked.value, state, list);
}

function renderBalances(view: AccountView, state: HTMLElement, list: HTMLElement): void {
  state.textContent =
    view.balances.length === 0
      ? 'Checked against the ledger. No balances yet: accept a currency, then receive some.'
      : 'Checked against the ledger. Available now:';
  list.replaceChildren(
    ...view.balances.map((line) =>
      h(
        'li',
        { 'data-currency': line.currency },
        h('span', {}, line.currency),
        h('span', { class: 'value', 'data-available': line.available }, line.available),
      ),
    ),
  );
}

// --- proposing -----------------------------------------------------------------------------------

function textInput(id: string, attrs: Record<string, string | number | boolean> = {}): HTMLInputElement {
  return h('input', { type: 'text', id, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', ...attrs });
}

/** A payment request from the form: a payment link in the payee field, or the fields themselves. */
function paymentRequest(session: Session, fields: Record<'payee' | 'amount' | 'currency' | 'memo', string>) {
  const payee = fields.payee.trim();
  if (payee.startsWith('web+webwallet:')) return parsePaymentUri(payee);
  const memo = fields.memo.trim();
  const request: PaymentRequest = {
    node: session.nodeUrl,
    to: payee,
    amount: fields.amount.trim(),
    currency: fields.currency.trim().toUpperCase(),
    ...(memo === '' ? {} : { memo }),
  };
  return { ok: true as const, value: request };
}

function showProposePayment(nav: Nav, session: Session, shared: StoredShared): void {
  const payee = textInput('proposal-payee', { placeholder: 'pub_… or a payment link' });
  const amount = textInput('proposal-amount', { inputmode: 'decimal', placeholder: '30.00' });
  const currency = textInput('proposal-currency', { value: 'EUR', autocapitalize: 'characters' });
  const memo = textInput('proposal-memo', { maxlength: 256 });
  const message = messageArea('propose-message');
  const submit = h('button', { type: 'submit', id: 'propose', class: 'primary' }, 'Propose');
  const propose = async () => {
    submit.disabled = true;
    const request = paymentRequest(session, {
      payee: payee.value,
      amount: amount.value,
      currency: currency.value,
      memo: memo.value,
    });
    const proposal = request.ok
      ? await signChecked(session, shared, 'payment', (keys) => proposePayment(request.value, shared.wallet, keys))
      : request;
    submit.disabled = false;
    if (!proposal.ok) return message.say(describeShared(proposal.error), 'error');
    await keepAndShow(nav, session, shared, proposal.value);
  };
  show(
    'shared-propose',
    `Propose a payment from ${shared.name}`,
    form(
      { id: 'propose-form' },
      () => void propose(),
      ...field('Pay to', payee, 'The payee’s account ("pub_…" or "acc_…"), or a payment link.'),
      ...field('Amount', amount),
      ...field('Currency', currency),
      ...field('Memo (optional)', memo),
      h(
        'p',
        { class: 'muted' },
        `You sign it on this device; ${shared.wallet.threshold} of ${signersOf(shared.wallet)} must approve it within 4 minutes.`,
      ),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        submit,
        button('Cancel', () => nav.shared(), { id: 'cancel-propose' }),
      ),
    ),
  );
}

function showProposeTrust(nav: Nav, session: Session, shared: StoredShared): void {
  const currency = textInput('trust-currency', { value: 'EUR', autocapitalize: 'characters' });
  const limit = textInput('trust-limit', { inputmode: 'decimal', value: '1000.00' });
  const message = messageArea('trust-message');
  const submit = h('button', { type: 'submit', id: 'propose-trust', class: 'primary' }, 'Propose');
  const propose = async () => {
    submit.disabled = true;
    const code = currency.value.trim().toUpperCase();
    const proposal = await signChecked(session, shared, 'trust', (keys) =>
      proposeTrust(shared.wallet, code, limit.value.trim(), keys),
    );
    submit.disabled = false;
    if (!proposal.ok) return message.say(describeShared(proposal.error), 'error');
    await keepAndShow(nav, session, shared, proposal.value);
  };
  show(
    'shared-trust',
    `Accept a currency in ${shared.name}`,
    h(
      'p',
      { class: 'muted' },
      'The ledger lets an account hold a currency only up to a limit its keys agree to: a trust line. Like a payment, it needs the members’ approvals.',
    ),
    form(
      { id: 'trust-form' },
      () => void propose(),
      ...field('Currency', currency),
      ...field('Up to', limit),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        submit,
        button('Cancel', () => nav.shared(), { id: 'cancel-trust' }),
      ),
    ),
  );
}

/** Signs a new proposal, once the shared wallet checks out against the ledger (only it says who can spend). */
async function signChecked(
  session: Session,
  shared: StoredShared,
  kind: 'payment' | 'trust',
  sign: (keys: KeyPair) => Promise<Result<Proposal>>,
): Promise<Result<Proposal>> {
  const trusted = await trustedForSigning(session, shared.wallet, kind);
  if (!trusted.ok) return trusted;
  return sign(await keyPairAt(session, shared.index));
}

async function keepAndShow(nav: Nav, session: Session, shared: StoredShared, proposal: Proposal): Promise<void> {
  const entry = { proposal, state: 'pending' as const };
  showProposal(nav, session, shared, entry, await putProposal(session, entry));
}
