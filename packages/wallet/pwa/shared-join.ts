import { err, ok, type Result, type WebWalletError } from '@webwallet/core';
import { NodeClient, verifySharedWallet } from '@webwallet/wallet';
import { field, form, h, messageArea } from './dom.js';
import type { Session } from './session.js';
import { findMyIndex, keyAt, putShared, readDescription, type StoredShared } from './shared-store.js';
import { describeError, nodeAnswered } from './ui.js';

/**
 * Joining a shared wallet from the description another member sends. The description is checked
 * against the ledger first (verifySharedWallet): one whose account has other keys or another
 * threshold is refused. One whose account is not on the ledger yet is kept, as it is while its
 * creation waits for the members' approvals; the shared wallets list checks it again each time.
 */

/** "members[1].key" -> "member 2 key": the description's field as the form names it. */
function fieldName(field: string): string {
  return field.replace(/members\[(\d+)\]\.?/, (_, n: string) => `member ${Number(n) + 1} `).trim();
}

/** An error about a shared wallet or a proposal, in words, with its code. */
export function describeShared(error: WebWalletError): string {
  const d = error.details as { field?: unknown; reason?: unknown };
  if (error.code === 'shared_wallet_invalid' || error.code === 'proposal_invalid') {
    const what = error.code === 'shared_wallet_invalid' ? 'The shared wallet' : 'The proposal';
    const where = typeof d.field === 'string' && d.field !== '' ? `${fieldName(d.field)}: ` : '';
    return `${what} is not right: ${where}${String(d.reason ?? '')}. Code: ${error.code}.`;
  }
  if (error.code === 'account_exists') {
    return 'The ledger already has an account named by this key: this wallet gives each shared wallet a key of its own, so try again. Code: account_exists.';
  }
  return describeError(error);
}

/** Adds the shared wallet a description describes, after checking it against the ledger. */
export async function joinShared(session: Session, text: string): Promise<StoredShared | string> {
  const checked = await checkDescription(session, text);
  if (!checked.ok) return describeShared(checked.error);
  return (await putShared(session, checked.value)) ?? checked.value;
}

/** The description as this wallet keeps it, once its node, members and ledger account check out. */
async function checkDescription(session: Session, text: string): Promise<Result<StoredShared>> {
  const read = readDescription(text.trim());
  if (!read.ok) return read;
  const { name, wallet } = read.value;
  if (wallet.node !== session.nodeUrl) {
    const reason = `the shared wallet is on the node ${wallet.node}; this wallet uses ${session.nodeUrl}`;
    return err('shared_wallet_invalid', { field: 'node', reason });
  }
  const index = await findMyIndex(session, wallet);
  if (index === undefined) {
    const reason = 'none of its members is this wallet: the creator adds your key (My key) first';
    return err('shared_wallet_invalid', { field: 'members', reason });
  }
  const checked = await verifySharedWallet(wallet, new NodeClient({ url: session.nodeUrl }));
  nodeAnswered(checked.ok || checked.error.code !== 'node_unreachable');
  if (!checked.ok && checked.error.code !== 'account_not_found') return checked;
  return ok({ name, index, key: await keyAt(session, index), wallet });
}

/** The "Add a shared wallet" card: paste a description, and `added` runs once it is kept. */
export function addSharedCard(session: Session, added: (shared: StoredShared) => void): HTMLElement {
  const input = h('textarea', {
    id: 'shared-description-input',
    rows: 4,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const message = messageArea('add-shared-message');
  const submit = h('button', { type: 'submit', id: 'add-shared' }, 'Add');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'add-shared-title' },
    h('h2', { id: 'add-shared-title' }, 'Add a shared wallet'),
    form(
      { id: 'add-shared-form' },
      async () => {
        submit.disabled = true;
        message.say('Checking it against the ledger…');
        const joined = await joinShared(session, input.value);
        submit.disabled = false;
        if (typeof joined === 'string') return message.say(joined, 'error');
        message.say(`Added ${joined.name}.`);
        added(joined);
      },
      ...field('Description', input, 'Paste the description a member of the shared wallet sent you.'),
      message.element,
      h('div', { class: 'buttons' }, submit),
    ),
  );
}
