import { type Account, type AccountView, NodeClient } from '@webwallet/wallet';
import { syncCard } from './devices.js';
import { button, h, messageArea } from './dom.js';
import type { Nav } from './nav.js';
import { SANDBOX_PATH } from './onboarding.js';
import { receiptsCard } from './receipts.js';
import { openAccount, type Session } from './session.js';
import { acceptCurrencySection } from './trust.js';
import { describeError, networkState, nodeAnswered, show } from './ui.js';

/**
 * Home: the wallet's accounts with their balances, read from the node each time (the ledger is
 * authoritative: the wallet never keeps or computes a balance), and the receipts stored here.
 */

export function showHome(nav: Nav, session: Session): void {
  const node = new NodeClient({ url: session.nodeUrl });
  const handler = messageArea('handler-message');
  show(
    'home',
    'Your wallet',
    ...testMoneyNote(session),
    ...session.accounts().map((account) => accountCard(session, node, account)),
    h(
      'div',
      { class: 'buttons' },
      button('Pay', () => nav.pay(), { id: 'open-pay', class: 'primary' }),
      button('Shared', () => nav.shared(), { id: 'open-shared' }),
      button('Cards', () => nav.cards(), { id: 'open-cards' }),
    ),
    receiptsCard(nav, session),
    syncCard(nav, session),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'settings-title' },
      h('h2', { id: 'settings-title' }, 'This device'),
      h(
        'p',
        { class: 'muted' },
        'Wallet ',
        h('code', { id: 'wallet-id' }, session.walletId),
        ' on the node ',
        h('code', {}, session.nodeUrl),
      ),
      h(
        'div',
        { class: 'buttons' },
        button('Open payment links with this wallet', () => registerHandler(handler.say), { id: 'register-handler' }),
        button('Lock', () => nav.lock(), { id: 'lock' }),
      ),
      handler.element,
    ),
  );
}

/** A wallet on the node's sandbox ledger holds play money: say so before anything else. */
function testMoneyNote(session: Session): HTMLElement[] {
  if (!new URL(session.nodeUrl).pathname.replace(/\/+$/, '').endsWith(SANDBOX_PATH)) return [];
  return [
    h(
      'p',
      { id: 'test-money', class: 'warning' },
      'Test money: this wallet is on the sandbox ledger. Its balances are play money, worth nothing.',
    ),
  ];
}

function accountCard(session: Session, node: NodeClient, account: Account): HTMLElement {
  const titleId = `account-${account.index ?? account.id}`;
  const state = h('p', { class: 'muted balances-state' }, 'Asking the node for balances…');
  const list = h('ul', { class: 'balances' });
  const card = h(
    'section',
    { class: 'card account', 'data-account': account.id, 'data-balances': 'loading', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, account.label ?? 'Account'),
    h('p', { class: 'mono account-id' }, account.id),
    state,
    list,
  );
  void loadBalances(session, node, account, { card, state, list });
  // Accepting a currency (trust.ts) draws the balances again: the new currency shows at once.
  const redraw = () => void loadBalances(session, node, account, { card, state, list });
  const accept = acceptCurrencySection(session, node, account, redraw);
  if (accept) card.append(accept);
  return card;
}

interface BalanceParts {
  readonly card: HTMLElement;
  readonly state: HTMLElement;
  readonly list: HTMLElement;
}

async function accountView(
  session: Session,
  node: NodeClient,
  account: Account,
): Promise<Awaited<ReturnType<NodeClient['account']>>> {
  const view = await node.account(account.id);
  if (!view.ok || view.value !== undefined || account.index === undefined) return view;
  // Not on the ledger yet (it was made while the node could not take it): open it now.
  const opened = await openAccount(node, await session.keyPair(account));
  return opened.ok ? node.account(account.id) : view;
}

async function loadBalances(session: Session, node: NodeClient, account: Account, parts: BalanceParts): Promise<void> {
  const { card, state } = parts;
  const view = await accountView(session, node, account);
  nodeAnswered(view.ok || view.error.code !== 'node_unreachable');
  if (!view.ok) {
    const offline = view.error.code === 'node_unreachable';
    card.dataset.balances = offline ? 'offline' : 'error';
    state.textContent = offline
      ? `Balances come from the node and cannot be shown ${networkState() === 'offline' ? 'offline' : 'while it cannot be reached'}.`
      : describeError(view.error);
    return;
  }
  if (view.value === undefined) {
    card.dataset.balances = 'missing';
    state.textContent = 'This account is not on the ledger yet. It will be opened when the node can take it.';
    return;
  }
  renderBalances(view.value, parts);
}

function renderBalances(view: AccountView, { card, state, list }: BalanceParts): void {
  card.dataset.balances = 'loaded';
  state.textContent =
    view.balances.length === 0
      ? 'No balances yet. Accept a currency below, then receive some.'
      : 'Available now, from the ledger:';
  list.replaceChildren(
    ...view.balances.map((line) =>
      h(
        'li',
        { 'data-currency': line.currency },
        h('span', {}, line.currency, line.issuer ? ' (you issue it)' : ''),
        h('span', { class: 'value', 'data-available': line.available }, line.available),
      ),
    ),
  );
}

/**
 * Makes this wallet the browser's handler for web+webwallet: links (HTML's
 * registerProtocolHandler; browsers allow it only from a click, and may ask the user).
 */
function registerHandler(say: (text: string, kind?: 'error' | 'info') => void): void {
  if (typeof navigator.registerProtocolHandler !== 'function') {
    say('This browser cannot open payment links in a web app. Paste them on the Pay screen instead.', 'error');
    return;
  }
  try {
    navigator.registerProtocolHandler('web+webwallet', `${location.origin}${location.pathname}#uri=%s`);
    say('Done. If your browser asks, allow it: payment links then open here.');
  } catch (error) {
    say(`The browser refused: ${(error as Error).message}. Paste payment links on the Pay screen instead.`, 'error');
  }
}
