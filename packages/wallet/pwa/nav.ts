import type { Session } from './session.js';

/** What screens may ask of the app: where to go next. app.ts implements it. */
export interface Nav {
  /** The node this device's wallet uses (the one that served the app, unless set otherwise). */
  readonly nodeUrl: string;
  /** The first screen: unlock when this device holds a wallet, welcome otherwise. */
  start(): void;
  /** A wallet was created, restored or unlocked: go on to a payment waiting for it, or home. */
  opened(session: Session): void;
  home(): void;
  /** The pay screen, optionally with a payment URI to review. */
  pay(uriText?: string): void;
  /** One stored receipt; `fresh` when it was just paid. */
  receipt(key: string, fresh?: boolean): void;
  /** The Cards screen (instruments.ts), with an optional note such as "Added …". */
  cards(note?: string): void;
  /** One card's details and QR code. */
  card(id: string): void;
  /** The Add a card screen, optionally checking text that came in a #import= link. */
  importCard(text?: string): void;
  /** The Shared wallets screen (shared.ts). */
  shared(): void;
  /** A shared wallet's proposal from a #proposal= link or pasted text (shared-proposal.ts). */
  proposal(text: string): void;
  /** The Devices screen (devices.ts): this wallet's devices, adding and removing one. */
  devices(): void;
  lock(): void;
  /** A note that a payment is waiting for the wallet to open, or null. */
  pendingNote(): HTMLElement | null;
}
