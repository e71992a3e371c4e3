/**
 * Shared wallets in the web app, end to end: a real node and three members, each with their own
 * wallet made in their own Chromium context. Alice creates a 2-of-3 shared wallet with Bob and
 * Carol (their keys read from their pages' "My key"); the account's creation and its EUR trust
 * line are proposals Bob approves in his page; the issuer funds the account; Alice proposes a
 * payment, and submitting it with her signature alone is refused by the ledger itself
 * (authorization_insufficient, nothing paid); Bob approves it from the link and submits it; the
 * payee is paid exactly once; Carol, opening the link later on a locked wallet, sees it done.
 *
 * WALLET_SCREENSHOTS=1 saves docs/wallet/shared.png and docs/wallet/approve.png.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { transaction } from '@webwallet/ledger';
import type { Browser, Page } from 'playwright-core';
import { accountKeyPair, walletSeed } from '../index.js';
import {
  available,
  CURRENCY,
  createWallet,
  fitsWidth,
  newWalletPage,
  party,
  SCREEN_TIMEOUT_MS,
  screen,
  screenshot,
  submitAll,
  text,
  unlock,
  useWalletNode,
  withChromium,
} from './harness.node.js';

/** The app's first shared key: index 2^30 of the recovery phrase (pwa/shared-store.ts). */
const SHARED_KEY_INDEX_BASE = 2 ** 30;

interface Member {
  readonly name: string;
  readonly page: Page;
  readonly problems: string[];
  /** The key the page shows as "My key". */
  readonly key: string;
}

interface ShownProposal {
  readonly id: string;
  readonly link: string;
}

const card = (id: string) => `section.proposal[data-proposal="${id}"]`;

describe('shared wallets in the web app, three members in Chromium', { timeout: 180_000 }, () => {
  const world = useWalletNode();

  /** A member's own wallet, made in their own browser context; their key read from "My key". */
  async function member(browser: Browser, name: string): Promise<Member> {
    // The shared account is looked up before the ledger opens it: the node answers 404.
    const { page, problems } = await newWalletPage(browser, world, { missing: ['/v1/accounts/'] });
    const { phrase } = await createWallet(page, world.node.url);
    await openShared(page);
    const key = await text(page, '#my-key');
    const seed = await walletSeed(phrase);
    assert.ok(seed.ok);
    const derived = await party(await accountKeyPair(seed.value, SHARED_KEY_INDEX_BASE));
    assert.equal(key, derived.id, `${name}'s "My key" is the phrase's shared key`);
    return { name, page, problems, key };
  }

  async function openShared(page: Page): Promise<void> {
    if ((await page.getAttribute('main', 'data-screen')) !== 'home') {
      await page.click('#back-shared, #shared-home, #back-home');
    }
    if ((await page.getAttribute('main', 'data-screen')) !== 'shared') {
      await screen(page, 'home');
      await page.click('#open-shared');
    }
    await screen(page, 'shared');
  }

  /** The proposal shown on the page's proposal screen: its id and the link that carries it. */
  async function shownProposal(page: Page): Promise<ShownProposal> {
    await page.waitForSelector('section.proposal', { timeout: SCREEN_TIMEOUT_MS });
    const id = (await page.getAttribute('section.proposal', 'data-proposal')) ?? '';
    const link = await page.$eval('section.proposal .proposal-link', (area) => (area as HTMLTextAreaElement).value);
    return { id, link };
  }

  /** Opens a proposal link in the member's page, approves it there; returns the link with the new signature. */
  async function approveLink(who: Member, link: string, id: string, shot?: string): Promise<string> {
    await who.page.goto(link);
    await screen(who.page, 'proposal');
    await who.page.waitForSelector(`${card(id)} .approve`, { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await who.page.evaluate(() => location.hash), '', 'the proposal leaves the address bar');
    if (shot) {
      await fitsWidth(who.page);
      await screenshot(who.page, shot);
    }
    await who.page.click(`${card(id)} .approve`);
    await who.page.waitForSelector(`${card(id)}[data-needed="0"]`, { timeout: SCREEN_TIMEOUT_MS });
    assert.match(await text(who.page, `${card(id)} .proposal-message`), /^Approved on this device/);
    return (await shownProposal(who.page)).link;
  }

  async function submitInPage(page: Page, id: string): Promise<string> {
    await page.click(`${card(id)} .submit`);
    await page.waitForSelector(`${card(id)}[data-state="done"]`, { timeout: SCREEN_TIMEOUT_MS });
    return text(page, `${card(id)} .proposal-message`);
  }

  test('create a 2-of-3 shared wallet, fund it, a payment is refused with one approval and paid with two', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const [alice, bob, carol] = await Promise.all([
        member(browser, 'Alice'),
        member(browser, 'Bob'),
        member(browser, 'Carol'),
      ]);
      const shared = await create(alice, bob, carol);
      for (const who of [bob, carol]) await join(who, shared.description, shared.account);
      await openAccount(bob, { account: shared.account, keys: [alice.key, bob.key, carol.key] }, shared.creation);
      await acceptEuros(alice, bob, shared.account);
      await submitAll(world.client, [
        await transaction(
          'ledger.transfer',
          { legs: [{ from: world.issuer.id, to: shared.account, currency: CURRENCY, amount: '100.00' }] },
          [world.issuer.keys],
        ),
      ]);
      const payment = await proposeAndSubmitAlone(alice, shared.account);
      const approved = await approveAndPay(bob, payment, shared.account);
      await carolSeesItDone(carol, { id: payment.id, link: approved });
      await carolDeclines(alice, carol, shared.account);
      for (const who of [alice, bob, carol]) assert.deepEqual(who.problems, [], `${who.name}'s page`);
    }));

  /** Alice makes the shared wallet in her page: she signs its creation, which needs one more signature. */
  async function create(alice: Member, bob: Member, carol: Member) {
    await alice.page.click('#new-shared');
    await screen(alice.page, 'shared-create');
    assert.equal(await text(alice.page, '#member-0-key'), alice.key);
    await alice.page.fill('#shared-name', 'Household');
    await alice.page.fill('#member-0-name', 'Alice');
    await alice.page.fill('#member-1-key', bob.key);
    await alice.page.fill('#member-1-name', 'Bob');
    await alice.page.fill('#member-2-key', carol.key);
    await alice.page.fill('#member-2-name', 'Carol');
    await alice.page.fill('#shared-threshold', '4');
    await alice.page.click('#create-shared');
    await alice.page.waitForSelector('#create-shared-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.match(await text(alice.page, '#create-shared-message'), /threshold.*Code: shared_wallet_invalid\.$/);
    await alice.page.fill('#shared-threshold', '2');
    await alice.page.click('#create-shared');
    await screen(alice.page, 'shared-created');
    const description = await alice.page.$eval('#shared-description', (area) => (area as HTMLTextAreaElement).value);
    const { wallet } = JSON.parse(description) as { wallet: { account: string; threshold: number } };
    assert.equal(wallet.account, alice.key, 'the account is named by the first signer, Alice');
    assert.equal(wallet.threshold, 2);
    const creation = await shownProposal(alice.page);
    assert.equal(await alice.page.getAttribute(card(creation.id), 'data-needed'), '1');
    assert.match(await text(alice.page, `${card(creation.id)} .proposal-title`), /^Open the shared account \(2 of 3/);
    const view = await world.client.account(wallet.account);
    assert.ok(view.ok && view.value === undefined, 'the ledger waits for the second signature');
    return { description, account: wallet.account, creation };
  }

  /** A member adds the shared wallet from the description Alice sent. */
  async function join(who: Member, description: string, account: string): Promise<void> {
    await who.page.fill('#shared-description-input', description);
    await who.page.click('#add-shared');
    await who.page.waitForSelector(`section.shared[data-account="${account}"][data-verified="missing"]`, {
      timeout: SCREEN_TIMEOUT_MS,
    });
    assert.match(await text(who.page, `section.shared[data-account="${account}"] .members`), /\(you\)/);
    assert.notEqual(await text(who.page, '#my-key'), who.key, 'the next shared wallet gets a new key');
  }

  /** Bob approves the account's creation from Alice's link and submits it: the ledger opens it 2-of-3. */
  async function openAccount(bob: Member, shared: { account: string; keys: string[] }, creation: ShownProposal) {
    await approveLink(bob, creation.link, creation.id);
    assert.match(await submitInPage(bob.page, creation.id), /^Done: the ledger accepted it in block \d+/);
    const view = await world.client.account(shared.account);
    assert.ok(view.ok && view.value);
    assert.deepEqual([...view.value.keys].sort(), [...shared.keys].sort());
    assert.equal(view.value.threshold, 2);
  }

  /** The trust line is the shared account's act too: Alice proposes it, Bob approves and submits. */
  async function acceptEuros(alice: Member, bob: Member, account: string): Promise<void> {
    await openShared(alice.page);
    const wallet = `section.shared[data-account="${account}"]`;
    await alice.page.waitForSelector(`${wallet}[data-verified="yes"]`, { timeout: SCREEN_TIMEOUT_MS });
    await alice.page.click(`${wallet} .propose-trust`);
    await screen(alice.page, 'shared-trust');
    await alice.page.fill('#trust-limit', '1000.00');
    await alice.page.click('#propose-trust');
    await screen(alice.page, 'proposal');
    const trust = await shownProposal(alice.page);
    assert.equal(await text(alice.page, `${card(trust.id)} .proposal-title`), 'Accept EUR (up to 1000.00)');
    await approveLink(bob, trust.link, trust.id);
    assert.match(await submitInPage(bob.page, trust.id), /^Done/);
    const view = await world.client.account(account);
    assert.ok(view.ok && view.value?.balances.some((b) => b.currency === CURRENCY));
  }

  /**
   * Alice proposes 30.00 EUR to the payee and submits it with her signature alone: the ledger
   * refuses it (authorization_insufficient), the page says one more approval is needed, and
   * nothing moves.
   */
  async function proposeAndSubmitAlone(alice: Member, account: string) {
    await openShared(alice.page);
    const wallet = `section.shared[data-account="${account}"]`;
    await alice.page.waitForSelector(`${wallet} .balances li[data-currency="EUR"]`, { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await text(alice.page, `${wallet} .balances li[data-currency="EUR"] .value`), '100.00');
    await alice.page.click(`${wallet} .propose-payment`);
    await screen(alice.page, 'shared-propose');
    await alice.page.fill('#proposal-payee', world.payee.id);
    await alice.page.fill('#proposal-amount', '30.00');
    await alice.page.fill('#proposal-currency', 'EUR');
    await alice.page.fill('#proposal-memo', 'groceries');
    await alice.page.click('#propose');
    await screen(alice.page, 'proposal');
    const payment = await shownProposal(alice.page);
    const selector = card(payment.id);
    assert.equal(await text(alice.page, `${selector} .proposal-title`), 'Pay 30.00 EUR');
    assert.equal(await text(alice.page, `${selector} .proposal-to`), world.payee.id);
    assert.equal(await text(alice.page, `${selector} .proposal-memo`), 'groceries');
    assert.equal(await text(alice.page, `${selector} .proposal-approvers`), 'Alice (you)');
    assert.match(
      await text(alice.page, `${selector} .proposal-needed`),
      /^1 more approval needed \(2 of 3 must sign\)/,
    );
    assert.match(await text(alice.page, `${selector} .proposal-time`), /^[1-4]:[0-5]\d left$/);

    const payeeBefore = await available(world.client, world.payee.id);
    await alice.page.click(`${selector} .submit`);
    await alice.page.waitForSelector(`${selector} .proposal-message[data-code="authorization_insufficient"]`, {
      timeout: SCREEN_TIMEOUT_MS,
    });
    const refusal = await text(alice.page, `${selector} .proposal-message`);
    assert.match(refusal, /^The ledger refused it: it needs 1 more approval \(2 of 3 must sign; signed by Alice\)/);
    assert.match(refusal, /Code: authorization_insufficient\.$/);
    assert.equal(await alice.page.getAttribute(selector, 'data-state'), 'pending');

    // The node's own answer to the document the page holds, and nothing moved.
    const document = JSON.parse(decodeURIComponent(payment.link.split('#proposal=')[1] ?? '')).document;
    const [answer] = await submitAnswer(document);
    assert.equal(answer?.status, 'rejected');
    assert.equal(answer?.status === 'rejected' && answer.error.code, 'authorization_insufficient');
    assert.equal(answer?.status === 'rejected' && answer.error.details.threshold, 2);
    const stored = await world.client.transaction(String(document.body.id));
    assert.ok(stored.ok && stored.value === undefined, 'the ledger holds no such transaction');
    assert.equal(await available(world.client, world.payee.id), payeeBefore);
    assert.equal(await available(world.client, account), '100.00');

    await openShared(alice.page);
    await alice.page.waitForSelector(`#waiting ${selector}`, { timeout: SCREEN_TIMEOUT_MS });
    await alice.page.waitForSelector(`${wallet}[data-verified="yes"] .balances li`, { timeout: SCREEN_TIMEOUT_MS });
    await fitsWidth(alice.page);
    await screenshot(alice.page, 'shared');
    return { ...payment, transaction_id: String(document.body.id), payeeBefore };
  }

  async function submitAnswer(document: unknown) {
    const submitted = await world.client.submit([document as Parameters<typeof world.client.submit>[0][number]]);
    assert.ok(submitted.ok, JSON.stringify(submitted));
    return submitted.value;
  }

  /** Bob opens Alice's link, approves on his device and submits: paid once, exactly 30.00. */
  async function approveAndPay(
    bob: Member,
    payment: { id: string; link: string; transaction_id: string; payeeBefore: string },
    account: string,
  ): Promise<string> {
    const approved = await approveLink(bob, payment.link, payment.id, 'approve');
    assert.notEqual(approved, payment.link, 'the link now carries Bob’s signature too');
    assert.equal(
      await text(bob.page, `${card(payment.id)} .proposal-approvers`).then((s) => s.split(', ').sort().join(', ')),
      'Alice, Bob (you)',
    );
    assert.match(await submitInPage(bob.page, payment.id), /^Done: the ledger accepted it in block \d+/);
    const expected = (Number(payment.payeeBefore) + 30).toFixed(2);
    assert.equal(await available(world.client, world.payee.id), expected);
    assert.equal(await available(world.client, account), '70.00');
    const history = await world.client.accountTransactions(world.payee.id, { limit: 50 });
    assert.ok(history.ok && history.value);
    const ours = history.value.items.filter((item) => item.id === payment.transaction_id);
    assert.equal(ours.length, 1, 'paid exactly once');
    const sealed = await world.client.transaction(payment.transaction_id);
    assert.ok(sealed.ok && sealed.value?.receipt, 'sealed in a block');
    assert.equal(sealed.value.document.signatures.length, 2);
    // A second submission (another member's device, say) is the same transaction, not a second payment.
    const [again] = await submitAnswer(sealed.value.document);
    assert.equal(again?.status === 'accepted' && again.duplicate, true);
    assert.equal(await available(world.client, world.payee.id), expected);
    return approved;
  }

  /** Carol's wallet is locked when the link arrives: it waits for the unlock, then shows it done. */
  async function carolSeesItDone(carol: Member, payment: ShownProposal): Promise<void> {
    await carol.page.goto('about:blank');
    await carol.page.goto(payment.link);
    await screen(carol.page, 'unlock');
    assert.match(await text(carol.page, '#pending-proposal'), /proposal is waiting/);
    await unlock(carol.page);
    await screen(carol.page, 'proposal');
    await carol.page.waitForSelector(`${card(payment.id)}[data-state="done"]`, { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await carol.page.$(`${card(payment.id)} .approve`), null, 'nothing left to approve');
    assert.match(await text(carol.page, `${card(payment.id)} .proposal-needed`), /^Done/);
  }

  /** Carol declines Alice's next proposal: her wallet will not sign it, and it leaves her waiting list. */
  async function carolDeclines(alice: Member, carol: Member, account: string): Promise<void> {
    await openShared(alice.page);
    await alice.page.click(`section.shared[data-account="${account}"] .propose-payment`);
    await screen(alice.page, 'shared-propose');
    await alice.page.fill('#proposal-payee', world.payee.id);
    await alice.page.fill('#proposal-amount', '5.00');
    await alice.page.click('#propose');
    await screen(alice.page, 'proposal');
    const next = await shownProposal(alice.page);
    await carol.page.goto(next.link);
    await carol.page.waitForSelector(`${card(next.id)} .decline`, { timeout: SCREEN_TIMEOUT_MS });
    await carol.page.click(`${card(next.id)} .decline`);
    await carol.page.waitForSelector(`${card(next.id)}[data-state="declined"]`, { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await carol.page.$(`${card(next.id)} .decline`), null);
    assert.match(await text(carol.page, `${card(next.id)} .proposal-message`), /^Declined/);
    await openShared(carol.page);
    await carol.page.waitForSelector('#no-proposals');
    assert.equal(await carol.page.$(card(next.id)), null, 'declined: no longer waiting');
  }
});
