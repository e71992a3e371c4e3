import { err, ok, type Result, verifyReceipt, type WebWalletError } from '@webwallet/core';
import {
  type AccountView,
  approve,
  canSign,
  memberOf,
  mergeProposals,
  NodeClient,
  PROPOSAL_TEXT_LENGTH_MAX,
  type Proposal,
  type ProposalReview,
  parseProposal,
  proposalExpired,
  proposalId,
  proposalToJson,
  reviewProposal,
  type SharedWallet,
  signaturesNeeded,
  submitWhenApproved,
  type TrustSetBody,
  verifySharedWallet,
} from '@webwallet/wallet';
import { append, button, facts, h, messageArea, shortId } from './dom.js';
import type { Nav } from './nav.js';
import type { Session } from './session.js';
import { addSharedCard, describeShared } from './shared-join.js';
import {
  keyPairAt,
  putProposal,
  type StoredProposal,
  type StoredShared,
  sharedByAccount,
  storedProposal,
} from './shared-store.js';
import { nodeAnswered, show } from './ui.js';

/**
 * A shared wallet's proposal as a member sees it: what it does, who proposed it, who approved it,
 * how long it has left (the ledger takes it only within 5 minutes of its creation), and Approve,
 * Decline, Submit. Proposals travel between members as links, /wallet/#proposal=<JSON>; approving
 * signs on this device and gives the link with the new signature to pass on.
 */

export const PROPOSAL_FRAGMENT = 'proposal=';
const TICK_MS = 1_000;

/** Takes a proposal out of the fragment, and the fragment out of the address bar and history. */
export function takeProposalFromFragment(): string | undefined {
  const fragment = location.hash.slice(1);
  if (!fragment.startsWith(PROPOSAL_FRAGMENT)) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return fragment.slice(PROPOSAL_FRAGMENT.length);
}

/** The link a member passes on: this app's address with the proposal in the fragment. */
export function proposalLink(proposal: Proposal): string {
  return `${location.origin}${location.pathname}#${PROPOSAL_FRAGMENT}${encodeURIComponent(proposalToJson(proposal))}`;
}

/** The proposal JSON in what arrived: the JSON itself, a #proposal= link, or its encoded fragment. */
function proposalJson(input: string): string {
  let text = input.trim();
  const at = text.indexOf(`#${PROPOSAL_FRAGMENT}`);
  if (at >= 0) text = text.slice(at + 1 + PROPOSAL_FRAGMENT.length);
  if (text.startsWith('{')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Opens a proposal from a link or pasted text: stored (merged with the copy already here) and shown. */
export async function showProposalText(nav: Nav, session: Session, input: string): Promise<void> {
  const text = proposalJson(input);
  let value: unknown;
  try {
    if (text.length > PROPOSAL_TEXT_LENGTH_MAX) throw new RangeError('too long');
    value = JSON.parse(text);
  } catch {
    return showProposalProblem(nav, 'That is not a proposal this wallet can read: copy the whole link a member sent.');
  }
  const account = (value as { account?: unknown } | null)?.account;
  const shared = typeof account === 'string' ? sharedByAccount(session, account) : undefined;
  if (shared === undefined) {
    const note = `This proposal is for a shared wallet this wallet has not added (account ${shortId(String(account))}). Add it with the description a member sent you; the proposal opens next.`;
    return showProposalProblem(
      nav,
      note,
      addSharedCard(session, () => void showProposalText(nav, session, input)),
    );
  }
  const parsed = parseProposal(value, shared.wallet);
  if (!parsed.ok) return showProposalProblem(nav, describeShared(parsed.error));
  const kept = await remember(session, shared, parsed.value);
  showProposal(nav, session, shared, kept.entry, kept.problem);
}

function showProposalProblem(nav: Nav, text: string, ...more: HTMLElement[]): void {
  show(
    'proposal',
    'Shared wallet proposal',
    h('p', { class: 'error', id: 'proposal-problem' }, text),
    ...more,
    h(
      'div',
      { class: 'buttons' },
      button('Shared wallets', () => nav.shared(), { id: 'back-shared' }),
    ),
  );
}

/** Keeps the proposal, merged with the copy this wallet has: signatures are only ever added. */
async function remember(
  session: Session,
  shared: StoredShared,
  proposal: Proposal,
): Promise<{ entry: StoredProposal; problem?: string }> {
  const known = storedProposal(session, proposalId(proposal));
  const merged = known ? mergeProposals(known.proposal, proposal, shared.wallet) : ok(proposal);
  const entry: StoredProposal = {
    ...known,
    state: known?.state ?? 'pending',
    proposal: merged.ok ? merged.value : proposal,
  };
  const problem = await putProposal(session, entry);
  return problem ? { entry, problem } : { entry };
}

export function showProposal(
  nav: Nav,
  session: Session,
  shared: StoredShared,
  entry: StoredProposal,
  problem?: string,
): void {
  show(
    'proposal',
    'Shared wallet proposal',
    problem ? h('p', { class: 'error' }, problem) : null,
    proposalCard(session, shared, entry),
    h(
      'div',
      { class: 'buttons' },
      button('Shared wallets', () => nav.shared(), { id: 'back-shared' }),
    ),
  );
}

// --- what a proposal says ----------------------------------------------------------------------

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function title(review: ProposalReview, proposal: Proposal, shared: SharedWallet): string {
  if (review.kind === 'account') return `Open the shared account (${review.threshold} of ${signers(shared)} sign)`;
  if (review.kind === 'members' && review.next) {
    return `Change the members (${review.next.threshold} of ${signers(review.next)} sign)`;
  }
  if (review.kind === 'trust') {
    const body = proposal.document.body as TrustSetBody;
    return `Accept ${body.currency} (up to ${body.limit})`;
  }
  const [first, ...more] = review.legs;
  const money = first ? `${first.amount} ${first.currency}` : '';
  return more.length === 0 ? `Pay ${money}` : `Pay ${money} and ${plural(more.length, 'more payment')}`;
}

function signers(shared: SharedWallet): number {
  return shared.members.filter((m) => m.role !== 'viewer').length;
}

function timeLeft(expiresAt: string, now = Date.now()): string {
  const ms = Date.parse(expiresAt) - now;
  if (ms <= 0) return 'Expired: propose it again';
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')} left`;
}

type CardState = 'pending' | 'ready' | 'done' | 'expired' | 'declined';

function cardState(entry: StoredProposal, review: ProposalReview): CardState {
  if (entry.state === 'done') return 'done';
  if (review.expired) return 'expired';
  if (entry.state === 'declined') return 'declined';
  return review.needed === 0 ? 'ready' : 'pending';
}

function neededText(review: ProposalReview, shared: SharedWallet, state: CardState): string {
  if (state === 'done') return 'Done: the ledger holds it';
  const rule = `${review.threshold} of ${signers(shared)} must sign`;
  return review.needed === 0
    ? `Enough approvals (${rule}): ready to submit`
    : `${plural(review.needed, 'more approval')} needed (${rule})`;
}

function details(shared: StoredShared, review: ProposalReview, me: string): HTMLDListElement {
  const name = (key: string) => {
    const member = memberOf(shared.wallet, key);
    return `${member?.name ?? shortId(key)}${key === me ? ' (you)' : ''}`;
  };
  const [leg] = review.legs;
  return facts([
    ['Shared wallet', shared.name, { class: 'proposal-wallet' }],
    ['Proposed by', name(review.proposer.key), { class: 'proposal-proposer' }],
    ...(leg
      ? ([
          ['To', leg.to, { class: 'mono proposal-to' }],
          ['Amount', `${leg.amount} ${leg.currency}`, { class: 'proposal-amount' }],
        ] as const)
      : []),
    ...(review.memo === undefined ? [] : ([['Memo', review.memo, { class: 'proposal-memo' }]] as const)),
    ...(review.small_payment ? ([['Rule', `small payment: ${review.threshold} approval(s)`]] as const) : []),
    ['Approved by', review.approved_by.map((m) => name(m.key)).join(', '), { class: 'proposal-approvers' }],
  ]);
}

// --- the card ------------------------------------------------------------------------------------

/**
 * One proposal with its actions. The card keeps the current copy: approving replaces it with the
 * copy that carries this member's signature, which is also what the link then holds.
 */
export function proposalCard(session: Session, shared: StoredShared, first: StoredProposal): HTMLElement {
  let entry = first;
  const id = proposalId(entry.proposal);
  const card = h('section', { class: 'card proposal', 'data-proposal': id });
  const message = messageArea(`proposal-message-${id.slice(4, 16)}`);
  message.element.classList.add('proposal-message');
  const time = h('p', { class: 'proposal-time' });

  const say = (text: string, kind: 'error' | 'info' = 'info', code?: string) => {
    message.say(text, kind);
    if (code) message.element.dataset.code = code;
    else delete message.element.dataset.code;
  };
  const keep = async (next: StoredProposal) => {
    entry = next;
    const problem = await putProposal(session, entry);
    render();
    if (problem) say(problem, 'error');
  };
  // One action at a time: a second click while the node answers would sign or send twice.
  const busy = (run: () => Promise<void>) => () => {
    const buttons = [...card.querySelectorAll('button')];
    if (buttons.some((b) => b.disabled)) return;
    for (const b of buttons) b.disabled = true;
    void run().finally(() => {
      for (const b of buttons) b.disabled = false;
    });
  };
  const actions: Actions = {
    approve: busy(() => approveHere(session, shared, entry, say, keep)),
    decline: busy(async () => {
      await keep({ ...entry, state: 'declined' });
      say('Declined: this wallet will not sign it.');
    }),
    submit: busy(() => submitHere(session, shared, entry, say, keep)),
  };

  const render = () => {
    const review = reviewProposal(entry.proposal, shared.wallet);
    const state = cardState(entry, review);
    card.dataset.state = state;
    card.dataset.needed = String(review.needed);
    time.textContent = state === 'done' ? '' : timeLeft(review.expires_at);
    card.replaceChildren();
    append(card, [
      h('h2', {}, h('span', { class: 'proposal-title' }, title(review, entry.proposal, shared.wallet))),
      details(shared, review, shared.key),
      h('p', { class: 'proposal-needed' }, neededText(review, shared.wallet, state)),
      time,
      actionButtons(state, review, shared, actions),
      message.element,
      state === 'done' || state === 'expired' ? null : linkBlock(entry.proposal, say),
    ]);
  };
  render();
  const timer = setInterval(() => {
    if (!card.isConnected) return clearInterval(timer);
    const expired = proposalExpired(entry.proposal);
    if (expired && card.dataset.state !== 'expired' && card.dataset.state !== 'done') render();
    else if (card.dataset.state !== 'done') time.textContent = timeLeft(entry.proposal.expires_at);
  }, TICK_MS);
  if (entry.state !== 'done') void checkDone(session, entry.proposal, (height) => keep(doneEntry(entry, height)));
  return card;
}

interface Actions {
  approve(): void;
  decline(): void;
  submit(): void;
}

function actionButtons(state: CardState, review: ProposalReview, shared: StoredShared, actions: Actions) {
  if (state === 'done' || state === 'expired') return null;
  const signed = review.approved_by.some((m) => m.key === shared.key);
  const member = memberOf(shared.wallet, shared.key);
  const signer = member !== undefined && canSign(member);
  return h(
    'div',
    { class: 'buttons' },
    !signed && signer ? button('Approve', actions.approve, { class: 'primary approve' }) : null,
    !signed && signer && state !== 'declined' ? button('Decline', actions.decline, { class: 'decline' }) : null,
    button('Submit', actions.submit, { class: state === 'ready' ? 'primary submit' : 'submit' }),
    signed ? h('span', { class: 'badge', 'data-verified': 'yes' }, 'You approved it') : null,
  );
}

function linkBlock(proposal: Proposal, say: (text: string, kind?: 'error' | 'info') => void): HTMLElement {
  const link = proposalLink(proposal);
  const area = h('textarea', { class: 'proposal-link mono', readonly: true, rows: 3, 'aria-label': 'Proposal link' });
  area.value = link;
  return h(
    'div',
    { class: 'proposal-share' },
    h('p', { class: 'muted' }, 'Pass this link on to the other members: it carries every approval so far.'),
    area,
    h(
      'div',
      { class: 'buttons' },
      copyButton('Copy link', () => link, say, { class: 'copy-link' }),
    ),
  );
}

/** A button that copies text; where the browser refuses, it says to copy it by hand. */
export function copyButton(
  label: string,
  text: () => string,
  say: (text: string, kind?: 'error' | 'info') => void,
  attrs: Record<string, string> = {},
): HTMLButtonElement {
  return button(
    label,
    () =>
      void navigator.clipboard
        .writeText(text())
        .then(() => say('Copied.'))
        .catch(() => say('This browser did not allow copying: select the text and copy it.', 'error')),
    attrs,
  );
}

// --- approving and submitting --------------------------------------------------------------------

type Say = (text: string, kind?: 'error' | 'info', code?: string) => void;
type Keep = (entry: StoredProposal) => Promise<void>;

/**
 * Checks the shared wallet against the ledger before signing for it: only the ledger says who can
 * spend. Before the account exists, only its own creation may be signed.
 */
export async function trustedForSigning(
  session: Session,
  shared: SharedWallet,
  kind: ProposalReview['kind'],
): Promise<Result<AccountView | undefined>> {
  const checked = await verifySharedWallet(shared, new NodeClient({ url: session.nodeUrl }));
  nodeAnswered(checked.ok || checked.error.code !== 'node_unreachable');
  if (checked.ok) return checked;
  if (checked.error.code === 'account_not_found' && kind === 'account') return ok(undefined);
  return checked;
}

async function approveHere(session: Session, shared: StoredShared, entry: StoredProposal, say: Say, keep: Keep) {
  say('Checking the shared wallet against the ledger…');
  const review = reviewProposal(entry.proposal, shared.wallet);
  const trusted = await trustedForSigning(session, shared.wallet, review.kind);
  if (!trusted.ok) return say(`Nothing was signed: ${describeShared(trusted.error)}`, 'error', trusted.error.code);
  const approved = await approve(entry.proposal, shared.wallet, await keyPairAt(session, shared.index));
  if (!approved.ok) return say(`Nothing was signed: ${describeShared(approved.error)}`, 'error', approved.error.code);
  await keep({ ...entry, proposal: approved.value, state: 'pending' });
  const needed = signaturesNeeded(approved.value, shared.wallet);
  say(
    needed === 0
      ? 'Approved on this device. Enough members approved: submit it now, or pass the link on so another member does.'
      : `Approved on this device. Pass the link below on: ${plural(needed, 'more approval')} needed.`,
  );
}

async function submitHere(session: Session, shared: StoredShared, entry: StoredProposal, say: Say, keep: Keep) {
  say('Sending it to the node…');
  const done = await submitProposal(session, shared.wallet, entry.proposal);
  nodeAnswered(done.ok || done.error.code !== 'node_unreachable');
  if (!done.ok) return say(refusalText(done.error, shared.wallet), 'error', done.error.code);
  await keep(doneEntry(entry, done.value.block_height));
  say(
    done.value.duplicate
      ? `Already done: another member submitted it first (block ${done.value.block_height}).`
      : `Done: the ledger accepted it in block ${done.value.block_height}, and its receipt verifies offline with the node's key.`,
  );
}

function doneEntry(entry: StoredProposal, block_height: number | undefined): StoredProposal {
  return { ...entry, state: 'done', ...(block_height === undefined ? {} : { block_height }) };
}

interface Done {
  readonly block_height: number;
  readonly duplicate: boolean;
}

/**
 * Submits the proposal. With enough approvals, as submitWhenApproved does it. With fewer, the
 * ledger is asked anyway and its own answer shown: the ledger, not this app, enforces the rule.
 */
async function submitProposal(session: Session, shared: SharedWallet, proposal: Proposal): Promise<Result<Done>> {
  const node = new NodeClient({ url: session.nodeUrl });
  if (signaturesNeeded(proposal, shared) === 0) {
    const done = await submitWhenApproved(proposal, shared, node, { trusted_node_keys: [session.nodeKey] });
    if (!done.ok) return done;
    return ok({ block_height: done.value.receipt.block.body.height, duplicate: done.value.duplicate });
  }
  const sent = await node.submit([proposal.document]);
  if (!sent.ok) return sent;
  const [answer] = sent.value;
  if (answer === undefined) return err('node_unreachable', { url: node.url, reason: 'no answer for the document' });
  if (answer.status === 'rejected') return { ok: false, error: answer.error };
  // The ledger took it with fewer signatures than the description says: wait for its block as usual.
  const receipt = await node.waitForReceipt(String(proposal.document.body.id));
  if (!receipt.ok) return receipt;
  const verified = await verifyReceipt(receipt.value, [session.nodeKey]);
  if (!verified.ok) return verified;
  return ok({ block_height: receipt.value.block.body.height, duplicate: answer.duplicate === true });
}

/** Whether the ledger already holds the proposal (another member submitted it): its block, if so. */
async function checkDone(session: Session, proposal: Proposal, found: (height: number | undefined) => void) {
  const view = await new NodeClient({ url: session.nodeUrl }).transaction(String(proposal.document.body.id));
  if (view.ok && view.value?.document_id === proposalId(proposal)) found(view.value.block_height ?? undefined);
}

/** The ledger's refusal in words: for too few signatures, how many more approvals it needs. */
function refusalText(error: WebWalletError, shared: SharedWallet): string {
  if (error.code === 'authorization_insufficient') {
    const d = error.details as { threshold?: unknown; keys?: unknown; signed_by?: unknown; needed?: unknown };
    const keys = Array.isArray(d.keys) ? (d.keys as string[]) : [];
    const signed = Array.isArray(d.signed_by) ? (d.signed_by as string[]).filter((k) => keys.includes(k)) : [];
    const threshold = typeof d.threshold === 'number' ? d.threshold : shared.threshold;
    const needed = typeof d.needed === 'number' ? d.needed : Math.max(1, threshold - signed.length);
    const names = signed.map((k) => memberOf(shared, k)?.name ?? shortId(k)).join(', ');
    return `The ledger refused it: it needs ${plural(needed, 'more approval')} (${threshold} of ${keys.length || signers(shared)} must sign${names ? `; signed by ${names}` : ''}). Pass the link on, and submit again once they approve. Code: authorization_insufficient.`;
  }
  if (error.code === 'timestamp_skew') {
    return 'The proposal expired: the ledger takes it only within 5 minutes of when it was proposed. Propose it again. Code: timestamp_skew.';
  }
  return `Not done: ${describeShared(error)}`;
}
