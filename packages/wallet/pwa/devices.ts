import type { WebWalletError } from '@webwallet/core';
import type { PairingCode, SyncDevice } from '@webwallet/wallet';
import QRCode from 'qrcode';
import { button, formatTime, h, messageArea } from './dom.js';
import type { Nav } from './nav.js';
import type { Session, SyncStatus } from './session.js';
import { describeError, show, withDetails } from './ui.js';

/**
 * Sync as the app shows it: the status line (home and Devices), the Devices screen (this
 * wallet's devices, adding one with a one-time pairing code shown as a QR code and as typed
 * text, removing one), and the sentences for sync and pairing errors. The work is WalletSync's
 * (packages/wallet/src/sync), through Session.
 */

/** How often the Devices screen syncs while a code is shown, to see the new device arrive. */
export const PAIRING_POLL_MS = 3_000;
/** The QR code's size in CSS pixels: big enough for a phone camera at arm's length. */
const QR_SIZE_PX = 232;

const SYNC_MESSAGES: Partial<Record<string, string>> = {
  relay_not_member:
    "This device was removed from the wallet on another device, so it no longer syncs. What it holds stays here; to sync it again, add it again from one of the wallet's devices.",
  pairing_code_invalid:
    'That code cannot be right. Check it against the code on the other device, or scan its QR code, and try again.',
  pairing_not_found:
    'This code was already used or has expired. Start again on the other device (Devices, then Add a device) and use the new code.',
  mailbox_not_found:
    "The node no longer has this wallet's sync mailbox. Add this device again from one of the wallet's devices.",
  sync_state_invalid: "This device's sync state is damaged. Add this device again from one of the wallet's devices.",
  relay_clock_skew: "This device's clock is too far from the node's. Set it to the right time and sync again.",
  node_unreachable: 'The node cannot be reached. Check your connection and try again.',
};

/** A sentence for a sync or pairing error, then its details and code (as ui.ts describeError does). */
export function describeSyncError(error: WebWalletError): string {
  const text = SYNC_MESSAGES[error.code];
  return text === undefined ? describeError(error) : withDetails(text, error);
}

function statusText(status: SyncStatus): string {
  const at = status.last_synced_at;
  const last = at === undefined ? ' Not synced yet.' : ` Last synced ${formatTime(at)}.`;
  switch (status.phase) {
    case 'starting':
      return 'Sync starts once this device reaches the node.';
    case 'syncing':
      return `Syncing…${at === undefined ? '' : last}`;
    case 'synced':
      return `Up to date. Last synced ${formatTime(at ?? new Date().toISOString())}.`;
    case 'offline':
      return `Offline: changes stay on this device and sync when the network is back.${last}`;
    case 'removed':
      return SYNC_MESSAGES.relay_not_member as string;
    case 'failed':
      return `Sync did not work. ${status.error ? describeSyncError(status.error) : ''}${last}`;
  }
}

/** The sync status as a line that keeps itself current while it is on screen. */
export function syncStatusLine(session: Session): HTMLElement {
  const line = h('p', { id: 'sync-status', class: 'sync-status' });
  const render = (status: SyncStatus) => {
    line.dataset.state = status.phase;
    if (status.last_synced_at !== undefined) line.dataset.syncedAt = status.last_synced_at;
    line.textContent = statusText(status);
  };
  render(session.syncStatus());
  const stop = session.onSync((status) => (line.isConnected ? render(status) : stop()));
  return line;
}

/** Sync now, waiting for it: the button says it is busy meanwhile. */
function syncButton(session: Session): HTMLButtonElement {
  const sync = button(
    'Sync now',
    () => {
      sync.disabled = true;
      void session.syncNow().finally(() => {
        sync.disabled = false;
      });
    },
    { id: 'sync-now' },
  );
  return sync;
}

/** The home screen's sync card: when it last synced, Sync now, and the way to Devices. */
export function syncCard(nav: Nav, session: Session): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'sync-title' },
    h('h2', { id: 'sync-title' }, 'Sync'),
    syncStatusLine(session),
    h(
      'div',
      { class: 'buttons' },
      syncButton(session),
      button('Devices', () => nav.devices(), { id: 'open-devices' }),
    ),
  );
}

function nameOf(device: SyncDevice): string {
  return device.name ?? 'Unnamed device';
}

/** Characters of a device key shown to tell apart devices of the same name ("Chrome on Linux" twice). */
const DEVICE_ID_CHARS = 8;

/** The first characters of the device key after its "pub_" prefix: the same on every device's list. */
export function shortDeviceId(device: SyncDevice): string {
  return device.device_key.replace(/^[a-z]+_/, '').slice(0, DEVICE_ID_CHARS);
}

/**
 * The Devices screen. `note` is said first (after a removal, say). The list follows each sync,
 * so a device paired meanwhile appears.
 */
export function showDevices(nav: Nav, session: Session, note?: string): void {
  const message = messageArea('devices-message');
  if (note !== undefined) message.say(note);
  const list = h('ul', { id: 'devices', class: 'devices' });
  const pairing = h('div', { id: 'pairing' });
  let shown: string | undefined;
  const renderList = () => {
    const devices = session.devices();
    // Only when the devices changed: drawing again would close a removal being confirmed.
    const keys = devices.map((d) => d.device_key).join(' ');
    if (keys === shown) return;
    shown = keys;
    if (devices.length === 0) {
      list.replaceChildren(
        h('li', { class: 'muted' }, 'No devices yet: sync starts once this device reaches the node.'),
      );
      return;
    }
    list.replaceChildren(...devices.map((device) => deviceItem(nav, session, device, message.say)));
  };
  renderList();
  const stop = session.onSync(() => (list.isConnected ? renderList() : stop()));
  // Hidden while a pairing code is shown: one code at a time, and Done ends it.
  const add = button('Add a device', () => void addDevice(session, add, pairing, message.say), {
    id: 'add-device',
    class: 'primary',
  });
  show(
    'devices',
    'Devices',
    h(
      'p',
      {},
      "This wallet's devices keep it in step with each other, end-to-end encrypted: the node passes the changes on and cannot read them.",
    ),
    syncStatusLine(session),
    list,
    message.element,
    pairing,
    h(
      'div',
      { class: 'buttons' },
      add,
      syncButton(session),
      button('Back to the wallet', () => nav.home(), { id: 'devices-back' }),
    ),
  );
}

function deviceItem(
  nav: Nav,
  session: Session,
  device: SyncDevice,
  say: (text: string, kind?: 'error' | 'info') => void,
): HTMLElement {
  const item = h(
    'li',
    { class: 'device', 'data-device': device.device_key, 'data-self': device.self ? 'yes' : 'no' },
    h('span', { class: 'what' }, nameOf(device)),
    device.self ? h('span', { class: 'badge this-device' }, 'This device') : null,
    h(
      'span',
      { class: 'muted device-facts' },
      'ID ',
      h('code', { class: 'device-id', title: device.device_key }, shortDeviceId(device)),
      ` · added ${formatTime(device.added_at)}`,
    ),
  );
  if (!device.self) {
    const actions = h('div', { class: 'buttons' });
    actions.append(
      button('Remove', () => confirmRemoval(nav, session, device, actions, say), {
        class: 'remove-device',
        'aria-label': `Remove ${nameOf(device)} (ID ${shortDeviceId(device)})`,
      }),
    );
    item.append(actions);
  }
  return item;
}

/** Removing asks first: it cannot be undone (the device would have to be paired again). */
function confirmRemoval(
  nav: Nav,
  session: Session,
  device: SyncDevice,
  actions: HTMLElement,
  say: (text: string, kind?: 'error' | 'info') => void,
): void {
  const name = nameOf(device);
  const confirm = button(`Remove ${name}`, () => void remove(), { id: 'confirm-remove', class: 'danger' });
  const cancel = button('Cancel', () => showDevices(nav, session), { id: 'cancel-remove' });
  const remove = async () => {
    confirm.disabled = true;
    cancel.disabled = true;
    say(`Removing ${name}…`);
    const removed = await session.removeDevice(device.device_key);
    // The list is drawn again after each sync: go by the screen, not by this item.
    if (document.getElementById('main')?.dataset.screen !== 'devices') return;
    if (!removed.ok) {
      confirm.disabled = false;
      cancel.disabled = false;
      return say(describeSyncError(removed.error), 'error');
    }
    showDevices(
      nav,
      session,
      `${name} was removed. New keys protect everything written from now on; it keeps only what it had.`,
    );
  };
  actions.replaceChildren(
    h(
      'p',
      { class: 'warning', id: 'remove-warning' },
      `Remove ${name}? It stops syncing at once and cannot read anything written from now on. What it already holds stays on it.`,
    ),
    confirm,
    cancel,
  );
  confirm.focus();
}

async function addDevice(
  session: Session,
  add: HTMLButtonElement,
  pairing: HTMLElement,
  say: (text: string, kind?: 'error' | 'info') => void,
): Promise<void> {
  add.disabled = true;
  say('Making a one-time code…');
  const known = new Set(session.devices().map((d) => d.device_key));
  const code = await session.invite();
  add.disabled = false;
  if (!code.ok) return say(describeSyncError(code.error), 'error');
  say('');
  const ended = () => {
    add.hidden = false;
  };
  const card = await pairingCard(code.value, () => {
    pairing.replaceChildren();
    ended();
    add.focus();
  });
  pairing.replaceChildren(card);
  add.hidden = true;
  card.querySelector('h2')?.scrollIntoView({ block: 'start' });
  void watchForNewDevice(session, card, known, Date.parse(code.value.expires_at)).then(ended);
}

/**
 * The code to show the new device: a QR code of this app's #pair= link (any camera opens it)
 * and the 56 characters to type, with when it stops working.
 */
async function pairingCard(code: PairingCode, done: () => void): Promise<HTMLElement> {
  const link = `${location.origin}${location.pathname}#pair=${encodeURIComponent(code.uri)}`;
  const canvas = h('canvas', { id: 'pair-qr', role: 'img', 'aria-label': 'QR code of the pairing code' });
  // A canvas, not an <img> of a data: URL: the page's CSP allows images from 'self' only.
  await QRCode.toCanvas(canvas, link, { errorCorrectionLevel: 'M', margin: 2, width: QR_SIZE_PX });
  const minutes = Math.max(1, Math.round((Date.parse(code.expires_at) - Date.now()) / 60_000));
  return h(
    'section',
    { class: 'card pairing', id: 'pairing-card', 'aria-labelledby': 'pairing-title' },
    h('h2', { id: 'pairing-title' }, 'Add a device'),
    h(
      'p',
      {},
      'On the new device, open this wallet app and choose "Add this device to a wallet". Scan this code with it, or type the code below.',
    ),
    h('p', { class: 'qr' }, canvas),
    h('p', { id: 'pair-typed', class: 'pair-code mono' }, ...codeLines(code.typed)),
    h(
      'p',
      { id: 'pair-expires', class: 'muted', 'data-expires-at': code.expires_at },
      `Works once, for ${minutes} minutes (until ${formatTime(code.expires_at)}).`,
    ),
    h(
      'p',
      { class: 'warning' },
      'Whoever uses this code first gets this wallet, its recovery phrase included. Show it only to your own new device.',
    ),
    h('div', { class: 'buttons' }, button('Done', done, { id: 'pairing-done' })),
  );
}

/** The typed code in lines of four groups, each line ending where a group does (its text stays the code). */
function codeLines(typed: string): HTMLElement[] {
  const groups = typed.split('-');
  const lines: HTMLElement[] = [];
  for (let i = 0; i < groups.length; i += 4) {
    const last = i + 4 >= groups.length;
    lines.push(h('span', {}, groups.slice(i, i + 4).join('-') + (last ? '' : '-')));
  }
  return lines;
}

/** Syncs every few seconds while the code is shown, and says when the new device has joined or the code expired. */
async function watchForNewDevice(
  session: Session,
  card: HTMLElement,
  known: ReadonlySet<string>,
  expires_ms: number,
): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, PAIRING_POLL_MS));
    if (!card.isConnected) return;
    if (Date.now() >= expires_ms) {
      card.replaceChildren(
        h('p', { id: 'pair-expired', class: 'warning' }, 'This code has expired. Choose Add a device for a new one.'),
      );
      return;
    }
    await session.syncNow();
    const added = session.devices().find((d) => !known.has(d.device_key));
    if (added && card.isConnected) {
      card.replaceChildren(h('p', { id: 'pair-added', role: 'status' }, `${nameOf(added)} was added to this wallet.`));
      return;
    }
  }
}
