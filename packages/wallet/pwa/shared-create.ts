import {
  createSharedAccount,
  MEMBER_NAME_LENGTH_MAX,
  type MemberRole,
  NodeClient,
  SHARED_MEMBERS_MAX,
  type SharedMember,
} from '@webwallet/wallet';
import { button, field, form, h, messageArea } from './dom.js';
import type { Nav } from './nav.js';
import type { Session } from './session.js';
import { describeShared } from './shared-join.js';
import { copyButton, proposalCard } from './shared-proposal.js';
import {
  descriptionText,
  keyAt,
  keyPairAt,
  nextKeyIndex,
  putProposal,
  putShared,
  type StoredShared,
} from './shared-store.js';
import { nodeAnswered, show } from './ui.js';

/**
 * Creating a shared wallet: a name, the members (this wallet as an owner, the others by the key
 * they read from their own "My key"), and how many must approve. The ledger wants the new
 * account's threshold of signatures on its creation too, so the creation is itself a proposal:
 * the creator signs it here, and the others approve it like a payment.
 */

const ROLES: readonly (readonly [MemberRole, string])[] = [
  ['spender', 'Spender: approves payments'],
  ['owner', 'Owner: approves payments, manages the wallet'],
  ['viewer', 'Viewer: sees it, signs nothing'],
];

interface MemberRow {
  readonly element: HTMLElement;
  member(): SharedMember | undefined;
}

function memberRow(n: number): MemberRow {
  const key = h('input', {
    type: 'text',
    id: `member-${n}-key`,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'pub_…',
  });
  const name = h('input', {
    type: 'text',
    id: `member-${n}-name`,
    autocomplete: 'off',
    maxlength: MEMBER_NAME_LENGTH_MAX,
  });
  const role = h('select', { id: `member-${n}-role` }, ...ROLES.map(([value, label]) => h('option', { value }, label)));
  return {
    element: h(
      'fieldset',
      { class: 'member' },
      h('legend', {}, `Member ${n + 1}`),
      ...field('Their key', key, 'From the "My key" card of their wallet.'),
      ...field('Name', name),
      h('label', { for: role.id }, 'Role'),
      role,
    ),
    member() {
      if (key.value.trim() === '' && name.value.trim() === '') return undefined;
      return { key: key.value.trim(), name: name.value.trim(), role: role.value as MemberRole };
    },
  };
}

export async function showCreateShared(nav: Nav, session: Session): Promise<void> {
  let index = nextKeyIndex(session);
  let myKey = await keyAt(session, index);
  const myKeyShown = h('code', { id: 'member-0-key' }, myKey);
  const name = h('input', { type: 'text', id: 'shared-name', autocomplete: 'off', maxlength: MEMBER_NAME_LENGTH_MAX });
  const myName = h('input', { type: 'text', id: 'member-0-name', autocomplete: 'off', value: 'Me' });
  const threshold = h('input', { type: 'text', id: 'shared-threshold', inputmode: 'numeric', value: '2' });
  const rows = [memberRow(1), memberRow(2)];
  const members = h('div', { id: 'members' }, ...rows.map((r) => r.element));
  const addMember = button(
    'Add a member',
    () => {
      if (rows.length + 1 >= SHARED_MEMBERS_MAX) return;
      const row = memberRow(rows.length + 1);
      rows.push(row);
      members.append(row.element);
    },
    { id: 'add-member' },
  );
  const message = messageArea('create-shared-message');
  const submit = h('button', { type: 'submit', id: 'create-shared', class: 'primary' }, 'Create');

  const create = async () => {
    const title = name.value.trim();
    if (title === '') return message.say('Give the shared wallet a name the members will recognise.', 'error');
    const list: SharedMember[] = [{ key: myKey, name: myName.value.trim(), role: 'owner' }];
    for (const row of rows) {
      const member = row.member();
      if (member) list.push(member);
    }
    submit.disabled = true;
    message.say('Signing the account’s creation on this device and asking the node…');
    const node = new NodeClient({ url: session.nodeUrl });
    const keys = await keyPairAt(session, index);
    const start = await createSharedAccount(list, Number(threshold.value.trim()), keys, node, {
      trusted_node_keys: [session.nodeKey],
    });
    nodeAnswered(start.ok || start.error.code !== 'node_unreachable');
    submit.disabled = false;
    if (!start.ok && start.error.code === 'account_exists') {
      // The key already names an account (made on another device whose document has not synced,
      // say): the next key names none yet.
      index = nextKeyIndex(session, index);
      myKey = await keyAt(session, index);
      myKeyShown.textContent = myKey;
      return message.say(
        'Your key for it already names a ledger account: this wallet took a new one. Press Create again.',
        'error',
      );
    }
    if (!start.ok) return message.say(describeShared(start.error), 'error');
    const shared: StoredShared = { name: title, index, key: myKey, wallet: start.value.shared };
    const entry = {
      proposal: start.value.proposal,
      state: start.value.created ? ('done' as const) : ('pending' as const),
    };
    const problem = (await putShared(session, shared)) ?? (await putProposal(session, entry));
    if (problem) return message.say(problem, 'error');
    showCreated(nav, session, shared, entry);
  };

  show(
    'shared-create',
    'New shared wallet',
    form(
      { id: 'create-shared-form' },
      () => void create(),
      ...field('Name', name, 'What the members call it, e.g. "Household".'),
      h(
        'fieldset',
        { class: 'member' },
        h('legend', {}, 'You (owner)'),
        h('p', { class: 'muted' }, 'Your key for this shared wallet: ', myKeyShown),
        ...field('Your name', myName),
      ),
      members,
      h('div', { class: 'buttons' }, addMember),
      ...field(
        'Approvals needed',
        threshold,
        'How many of the owners and spenders must approve each payment. The ledger enforces it.',
      ),
      message.element,
      h(
        'div',
        { class: 'buttons' },
        submit,
        button('Cancel', () => nav.shared(), { id: 'cancel-create' }),
      ),
    ),
  );
}

/** After creating: the description to send the members, and the account's creation to approve. */
function showCreated(nav: Nav, session: Session, shared: StoredShared, entry: Parameters<typeof putProposal>[1]): void {
  const message = messageArea('created-message');
  const description = h('textarea', { id: 'shared-description', class: 'mono', readonly: true, rows: 5 });
  description.value = descriptionText(shared);
  show(
    'shared-created',
    `${shared.name} is ready to share`,
    h(
      'p',
      {},
      entry.state === 'done'
        ? 'The account is open on the ledger. Send the description to the members so they can add it.'
        : 'Send the description to the members so they can add the shared wallet; then send them the link below. The ledger opens the account once enough of them approve it.',
    ),
    ...field('Description', description),
    h(
      'div',
      { class: 'buttons' },
      copyButton('Copy description', () => description.value, message.say, { id: 'copy-description' }),
    ),
    message.element,
    proposalCard(session, shared, entry),
    h(
      'div',
      { class: 'buttons' },
      button('Shared wallets', () => nav.shared(), { id: 'back-shared' }),
    ),
  );
}
