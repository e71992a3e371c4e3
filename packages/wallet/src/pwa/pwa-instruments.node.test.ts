/**
 * Cards in the wallet web app, end to end against real things: a real node serving /wallet/, a
 * real payment on its ledger behind a real payer token (the ticket), credentials signed here with
 * eddsa-jcs-2022 and the W3C vc-di-eddsa vector, QR codes drawn by the app and decoded here with
 * jsQR, a QR picture made here with the qrcode package and read by the app, and a live invoice
 * of the node's processor for the offers at checkout. WALLET_SCREENSHOTS=1 saves the Cards,
 * card and import screens to docs/wallet/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { createPayerToken, generateKeyPair, utf8 } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { readAdminToken } from '@webwallet/server';
import { CHROMIUM_ARGS, requireChromium } from '@webwallet/testkit';
import jsqr from 'jsqr';
import { type Page, chromium as playwright } from 'playwright-core';
import QRCode from 'qrcode';
import { accountKeyPair, seal, walletSeed } from '../index.js';
import { issueCredential, type VerifiableCredential } from '../instruments/credential.js';
import {
  CURRENCY,
  createWallet,
  DOCUMENT_AAD,
  fitsWidth,
  newWalletPage,
  openStored,
  type Party,
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

const SHOP = 'https://shop.example';
const DAY_MS = 86_400_000;
const future = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');

// The W3C vc-di-eddsa vector (appendix B.3, as in credential.test.ts): a real eddsa-jcs-2022
// credential whose issuer is an https URL, which the wallet cannot resolve to a key offline.
const W3C_VECTOR = {
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
  id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33',
  type: ['VerifiableCredential', 'AlumniCredential'],
  name: 'Alumni Credential',
  description: 'A minimum viable example of an Alumni Credential.',
  issuer: 'https://vc.example/issuers/5678',
  validFrom: '2023-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
  proof: {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-jcs-2022',
    created: '2023-02-24T23:36:38Z',
    verificationMethod:
      'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
    proofPurpose: 'assertionMethod',
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    proofValue: 'z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX',
  },
};

/**
 * A Y4M video (what Chromium's fake camera plays) of a QR code of `text`: 640×480 grey frames
 * (4:2:0, full range), dark modules black on white, the code centred with a quiet zone.
 */
function qrVideo(text: string): Buffer {
  const width = 640;
  const height = 480;
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const scale = Math.floor((height - 40) / (size + 8));
  const left = Math.floor((width - size * scale) / 2);
  const top = Math.floor((height - size * scale) / 2);
  const luma = Buffer.alloc(width * height, 255);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!data[row * size + col]) continue;
      for (let y = 0; y < scale; y++)
        luma.fill(
          0,
          (top + row * scale + y) * width + left + col * scale,
          (top + row * scale + y) * width + left + (col + 1) * scale,
        );
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]);
}

describe('cards in the wallet web app', { timeout: 180_000 }, () => {
  const world = useWalletNode();

  test('import by link, text, file and QR picture; QR codes; verified credentials; offers and account choice at checkout', (t: TestContext) =>
    withChromium(t, async (browser) => {
      const { context, page, problems } = await newWalletPage(browser, world);
      const readerLoads: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/qr-reader.js')) readerLoads.push(request.url());
      });
      const { phrase } = await createWallet(page, world.node.url);

      await voucherByLink(page);
      await couponByText(page);
      await refusals(page);
      const token = await ticketByFile(page, t);
      await credentialsByFile(page);
      assert.deepEqual(readerLoads, [], 'jsQR is not loaded before a QR code is read');
      await loyaltyByQrPicture(page, t, readerLoads);
      await ticketQrDecodes(page, token);
      await removeWithConfirmation(page);
      await offersAndAccountChoice(page, phrase);
      assert.deepEqual(problems, []);
      await context.close();
    }));

  test('a card scanned with the camera (a fake camera showing its QR code)', async (t: TestContext) => {
    const executablePath = requireChromium(t);
    if (!executablePath) return;
    const dir = mkdtempSync(join(tmpdir(), 'ww-wallet-camera-'));
    const video = join(dir, 'qr.y4m');
    const coupon = {
      kind: 'coupon',
      id: 'camera-coupon',
      title: 'Five off',
      amount_off: '5.00',
      currency: CURRENCY,
      merchant_origins: [SHOP],
      code: 'FIVE',
    };
    writeFileSync(video, qrVideo(JSON.stringify(coupon)));
    const browser = await playwright.launch({
      executablePath,
      headless: true,
      timeout: 60_000,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    try {
      const { context, page, problems } = await newWalletPage(browser, world);
      await context.grantPermissions(['camera'], { origin: world.node.url });
      await createWallet(page, world.node.url);
      await page.click('#open-cards');
      await screen(page, 'cards');
      assert.match(await text(page, '#cards-empty'), /^No cards yet/);
      await page.click('#open-import');
      await screen(page, 'import');
      await page.click('#scan-camera');
      await page.waitForSelector('#import-preview section.instrument[data-id="camera-coupon"]', {
        timeout: SCREEN_TIMEOUT_MS,
      });
      // The camera is released once the code is read.
      assert.equal(await page.isHidden('#scan-video'), true);
      assert.equal(await page.$eval('#scan-video', (v) => (v as HTMLVideoElement).srcObject), null);
      assert.equal(await addPreviewed(page, 'coupon'), 'camera-coupon');
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The ids of the cards on the Cards screen, in order. */
  async function cardIds(page: Page): Promise<string[]> {
    return page.$$eval('#cards section.instrument', (cards) => cards.map((c) => c.getAttribute('data-id') ?? ''));
  }

  /** Checks the preview, adds the card, and returns to the Cards screen with it. */
  async function addPreviewed(page: Page, kind: string): Promise<string> {
    await page.waitForSelector(`#import-preview section.instrument[data-kind="${kind}"]`, {
      timeout: SCREEN_TIMEOUT_MS,
    });
    const id = (await page.getAttribute('#import-preview section.instrument', 'data-id')) ?? '';
    await page.click('#import-add');
    await screen(page, 'cards');
    await page.waitForSelector(`#cards section.instrument[data-id="${id}"]`);
    assert.match(await text(page, '#cards-message'), /^Added “/);
    return id;
  }

  /** /wallet/#import=<voucher JSON> on a fresh load: the card waits for the unlock, then is shown to add. */
  async function voucherByLink(page: Page): Promise<void> {
    const voucher = {
      kind: 'voucher',
      id: 'gift-1',
      title: 'Book shop gift card',
      issuer: 'Book shop',
      amount: '25.00',
      currency: CURRENCY,
      code: 'GIFT-2025-XYZ',
      merchant_origins: ['https://books.example'],
      expires_at: future(90),
    };
    await page.goto('about:blank');
    await page.goto(`${world.node.url}/wallet/#import=${encodeURIComponent(JSON.stringify(voucher))}`);
    await screen(page, 'unlock');
    assert.match(await text(page, '#pending-import'), /card is waiting/);
    assert.equal(await page.evaluate(() => location.hash), '', 'the card leaves the address bar');
    await unlock(page);
    await screen(page, 'import');
    await page.waitForSelector('#import-preview section.instrument');
    assert.equal(await text(page, '#import-preview .card-subtitle'), '25.00 EUR');
    assert.equal(await addPreviewed(page, 'voucher'), 'gift-1');
  }

  /** A coupon pasted as JSON without an id: the wallet gives it one. */
  async function couponByText(page: Page): Promise<void> {
    await page.click('#open-import');
    await screen(page, 'import');
    const coupon = {
      kind: 'coupon',
      title: 'Ten percent off',
      issuer: 'Shop Example',
      percent_off: '10',
      merchant_origins: [SHOP],
      code: 'SAVE10',
      expires_at: future(30),
    };
    await page.fill('#import-text', JSON.stringify(coupon, null, 2));
    await page.click('#import-check');
    await page.waitForSelector('#import-preview section.instrument[data-kind="coupon"]');
    assert.equal(await text(page, '#import-preview .card-subtitle'), '10% off');
    await fitsWidth(page);
    await screenshot(page, 'import');
    const id = await addPreviewed(page, 'coupon');
    assert.match(id, /^ins_/);
  }

  /** Refused imports say why and what to do, and store nothing. */
  async function refusals(page: Page): Promise<void> {
    const before = await cardIds(page);
    await page.click('#open-import');
    await screen(page, 'import');
    const refused = async (pattern: RegExp) => {
      await page.waitForSelector('#import-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
      const message = await text(page, '#import-message');
      assert.match(message, pattern);
      assert.match(message, /Code: instrument_invalid\.$/);
      assert.equal(await page.$('#import-preview section.instrument'), null, 'nothing to add');
      await page.evaluate(() => document.getElementById('import-message')?.removeAttribute('data-kind'));
    };
    await page.fill('#import-text', 'hello, wallet');
    await page.click('#import-check');
    await refused(/^This is not a card the wallet can add: not a card.*Paste the whole card/);
    await page.setInputFiles('#import-file', {
      name: 'voucher.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ kind: 'voucher', title: 'No amount', currency: CURRENCY })),
    });
    await refused(/\(amount\)\. Choose a card file/);
    await page.setInputFiles('#import-file', {
      name: 'ticket.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('wwpt1.not-a-token'),
    });
    await refused(/payer token is damaged/);
    await page.click('#import-back');
    await screen(page, 'cards');
    assert.deepEqual(await cardIds(page), before, 'a refused import stores nothing');
  }

  /** A real payment on the node, a payer token for it (createPayerToken), imported as a file. */
  async function ticketByFile(page: Page, t: TestContext): Promise<string> {
    const buyer = await party();
    await submitAll(world.client, [await transaction('ledger.account.create', { account: buyer.id }, [buyer.keys])]);
    await world.fund(buyer, '50.00');
    const paid = await transaction(
      'ledger.transfer',
      { legs: [{ from: buyer.id, to: world.payee.id, currency: CURRENCY, amount: '30.00' }], memo: 'Jazz night' },
      [buyer.keys],
    );
    await submitAll(world.client, [paid]);
    const receipt = await world.client.waitForReceipt(paid.body.id);
    assert.ok(receipt.ok, JSON.stringify(receipt));
    const token = await createPayerToken({
      keyPair: buyer.keys,
      receipt: receipt.value,
      form: 'reference',
      audience: 'https://tickets.example',
    });
    assert.ok(token.ok, JSON.stringify(token));
    // The by-reference form fits a QR code a phone reads; the full form (receipt inside) is longer.
    const full = await createPayerToken({
      keyPair: buyer.keys,
      receipt: receipt.value,
      audience: 'https://tickets.example',
    });
    assert.ok(full.ok);
    t.diagnostic(`ticket token: ${token.value.length} characters (full form: ${full.value.length})`);
    await page.click('#open-import');
    await screen(page, 'import');
    await page.setInputFiles('#import-file', {
      name: 'jazz-night.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(`${token.value}\n`),
    });
    await addPreviewed(page, 'ticket');
    const card = '#cards section.instrument[data-kind="ticket"]';
    assert.equal(await text(page, `${card} .card-title`), 'Jazz night');
    assert.equal(await text(page, `${card} .card-subtitle`), 'Jazz night');
    return token.value;
  }

  /** Credentials: signed here (verified), altered (not verified), the W3C vector (unknown proof), expired. */
  async function credentialsByFile(page: Page): Promise<void> {
    const club = await generateKeyPair();
    const signed = await issueCredential(
      { id: 'did:example:alice', name: 'Alice Example', memberOf: 'Chess club' },
      club,
      {
        types: ['MembershipCard'],
        name: 'Chess club membership',
        issuer_name: 'Chess club',
        valid_until: future(365),
      },
    );
    const altered = structuredClone(signed) as VerifiableCredential & { credentialSubject: { name: string } };
    altered.credentialSubject.name = 'Mallory';
    const expired = await issueCredential({ id: 'did:example:alice', ticketHolder: true }, club, {
      name: 'Season pass 2021',
      now_ms: Date.parse('2021-01-01T00:00:00Z'),
      valid_until: '2021-12-31T23:59:59Z',
    });
    const cases: [string, unknown, string][] = [
      ['chess.json', signed, 'Verified'],
      ['altered.json', altered, 'Not verified'],
      ['alumni.json', W3C_VECTOR, 'Not verified (unknown proof)'],
      ['season.json', expired, 'Expired'],
    ];
    for (const [name, credential, status] of cases) {
      await page.click('#open-import');
      await screen(page, 'import');
      await page.setInputFiles('#import-file', {
        name,
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(credential)),
      });
      await page.waitForSelector('#import-preview section.instrument[data-kind="identity"]');
      assert.equal(await text(page, '#import-preview .badge'), status, name);
      const id = await addPreviewed(page, 'identity');
      assert.equal(await text(page, `#cards section.instrument[data-id="${id}"] .badge`), status, name);
    }
    const verified = '#cards section.instrument[data-kind="identity"][data-status="verified"]';
    assert.equal(await text(page, `${verified} .card-title`), 'Chess club membership');
    assert.match(await text(page, `${verified} .card-lines`), /name: Alice Example/);
    const unverified = await page.$$eval('#cards section.instrument[data-status="unverified"] .card-title', (titles) =>
      titles.map((title) => title.textContent),
    );
    assert.deepEqual(unverified.sort(), ['Alumni Credential', 'Chess club membership']);
  }

  /** A loyalty card as a QR code in a PNG, made here with the qrcode package and read by the app. */
  async function loyaltyByQrPicture(page: Page, t: TestContext, readerLoads: string[]): Promise<void> {
    const loyalty = { kind: 'loyalty', id: 'coffee-club', title: 'Coffee club', program: 'Beans', member_id: 'M-4711' };
    const png = await QRCode.toBuffer(JSON.stringify(loyalty), { type: 'png', margin: 4, scale: 8 });
    await page.click('#open-import');
    await screen(page, 'import');
    const native = await page.evaluate(() => 'BarcodeDetector' in window);
    t.diagnostic(`QR codes read with ${native ? 'BarcodeDetector' : 'jsQR (qr-reader.js)'}`);
    // A picture with no QR code in it first: said plainly.
    const blank = await QRCode.toBuffer('x', { type: 'png', color: { dark: '#ffffffff', light: '#ffffffff' } });
    await page.setInputFiles('#import-file', { name: 'blank.png', mimeType: 'image/png', buffer: blank });
    await page.waitForSelector('#import-message[data-kind="error"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.match(await text(page, '#import-message'), /^No QR code was found in that picture/);
    await page.setInputFiles('#import-file', { name: 'coffee-club.png', mimeType: 'image/png', buffer: png });
    assert.equal(await addPreviewed(page, 'loyalty'), 'coffee-club');
    if (!native) assert.equal(readerLoads.length, 1, 'qr-reader.js is loaded once, when first needed');
  }

  /** The ticket's card shows a QR code that decodes back to the payer token. */
  async function ticketQrDecodes(page: Page, token: string): Promise<void> {
    const id = (await page.getAttribute('#cards section.instrument[data-kind="ticket"]', 'data-id')) ?? '';
    await page.click(`#open-card-${id}`);
    await screen(page, 'card');
    await page.waitForSelector('#card-qr');
    assert.equal(await text(page, '#card-paid'), '30.00 EUR');
    const pixels = await page.$eval('#card-qr', async (image) => {
      const img = image as HTMLImageElement;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      context.drawImage(img, 0, 0);
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let binary = '';
      for (const byte of data) binary += String.fromCharCode(byte);
      return { width: canvas.width, height: canvas.height, rgba: btoa(binary) };
    });
    const rgba = new Uint8ClampedArray(Buffer.from(pixels.rgba, 'base64'));
    assert.equal((await page.getAttribute('#card-qr', 'src'))?.startsWith('data:image/png;base64,'), true);
    const decoded = jsqr.default(rgba, pixels.width, pixels.height);
    assert.equal(decoded?.data, token, 'the QR code holds the payer token');
    await fitsWidth(page);
    await screenshot(page, 'card');
    await page.click('#back-cards');
    await screen(page, 'cards');
  }

  /** Remove asks first; "Keep it" keeps the card, "Remove the card" removes it, also after a reload. */
  async function removeWithConfirmation(page: Page): Promise<void> {
    await fitsWidth(page);
    await screenshot(page, 'cards');
    const before = await cardIds(page);
    const unverified = await page.$eval('#cards section.instrument[data-status="unverified"]', (card) =>
      card.getAttribute('data-id'),
    );
    await page.click(`#open-card-${unverified}`);
    await screen(page, 'card');
    assert.match(await text(page, '#card-verification'), /Code: credential_(invalid|proof_unsupported)\./);
    await page.click('#remove-card');
    await page.click('#keep-card');
    assert.equal(await page.isVisible('#remove-card'), true);
    await page.click('#remove-card');
    await page.click('#confirm-remove');
    await screen(page, 'cards');
    assert.match(await text(page, '#cards-message'), /^Removed “/);
    const after = before.filter((id) => id !== unverified);
    assert.deepEqual(await cardIds(page), after);
    await page.reload();
    await unlock(page);
    await screen(page, 'home');
    await page.click('#open-cards');
    await screen(page, 'cards');
    assert.deepEqual(await cardIds(page), after, 'the cards are stored sealed in this browser');
  }

  /**
   * A second account appears in the sealed wallet document (as another device of the wallet would
   * add it), the review offers the choice, and the payment comes from the account chosen. The
   * invoice's shop (the origin of its redirect URL) takes the coupon held, so the review shows it.
   */
  async function offersAndAccountChoice(page: Page, phrase: string): Promise<void> {
    const seed = await walletSeed(phrase);
    assert.ok(seed.ok);
    const second = await party(await accountKeyPair(seed.value, 1));
    await submitAll(world.client, [await transaction('ledger.account.create', { account: second.id }, [second.keys])]);
    await world.fund(second, '50.00');
    await addAccount(page, second);
    await page.reload();
    await unlock(page);
    await screen(page, 'home');
    await page.waitForSelector(`section.account[data-account="${second.id}"]`);

    const invoice = await createInvoice('20.00', `${SHOP}/thanks`);
    // The wallet is open: the link's fragment is a same-page navigation, taken by the hashchange handler.
    await page.goto(`${world.node.url}/wallet/#pay=${encodeURIComponent(invoice.payment_uri)}`);
    await page.waitForSelector('#review-amount', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await page.$$eval('#review-account option', (options) => options.length), 2);
    assert.equal(await text(page, '#review-balance'), '0 EUR');
    await page.selectOption('#review-account', second.id);
    // Reviewed again with the other account: its balance, read from the node.
    await page.waitForFunction(() => document.getElementById('review-balance')?.textContent === '50.00 EUR', null, {
      timeout: SCREEN_TIMEOUT_MS,
    });
    assert.equal(await page.$eval('#review-account', (select) => (select as HTMLSelectElement).value), second.id);

    // The coupon for shop.example is offered; the voucher for books.example is not.
    await page.waitForSelector('#review-offers');
    const offers = await page.$$eval('#review-offers label', (labels) => labels.map((l) => l.textContent ?? ''));
    assert.deepEqual(offers, ['Ten percent off: saves 2.00 EUR', 'None']);
    await page.check('#review-offers input[type="radio"]:not([value="none"])');
    assert.match(
      await text(page, '#offer-effect'),
      /would charge 18\.00 EUR instead of 20\.00 EUR\. Its code: SAVE10\./,
    );
    assert.equal(await text(page, '#review-amount'), '20.00 EUR', 'the offer informs; the payment is unchanged');
    await fitsWidth(page);
    await screenshot(page, 'pay-offers');

    await page.click('#pay-button');
    await page.waitForSelector('#receipt-status[data-verified="yes"]', { timeout: SCREEN_TIMEOUT_MS });
    assert.equal(await text(page, '#receipt-from'), second.id, 'paid from the account chosen');
    const view = await world.client.account(second.id);
    assert.ok(view.ok && view.value);
    assert.equal(view.value.balances.find((b) => b.currency === CURRENCY)?.available, '30.00');
  }

  /** Adds account 1 to the wallet document sealed in this browser's IndexedDB. */
  async function addAccount(page: Page, account: Party): Promise<void> {
    // The same sealing as pwa/session.ts: the lock key from the passphrase, the wallet id in the AAD.
    const stored = await openStored(page);
    const aad = utf8(DOCUMENT_AAD + stored.wallet_id);
    const put = stored.document.putAccount({
      id: account.id,
      node: world.node.url,
      index: 1,
      label: 'Savings',
      created_at: new Date().toISOString(),
    });
    assert.ok(put.ok);
    const sealed = Array.from(seal(stored.key, stored.document.encodeState(), aad));
    await page.evaluate(async (bytes) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('webwallet');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const tx = db.transaction('wallet', 'readwrite');
      const store = tx.objectStore('wallet');
      const value = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const request = store.get('current');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      store.put({ ...value, document: new Uint8Array(bytes) }, 'current');
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    }, sealed);
  }

  /** A live invoice of the node's processor for a merchant whose checkout returns to SHOP. */
  async function createInvoice(amount: string, redirect_url: string): Promise<{ id: string; payment_uri: string }> {
    const admin = readAdminToken(join(world.dir, 'admin-token'));
    const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
      const response = await fetch(`${world.node.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    };
    const signUp = await call('POST', '/v1/merchants', admin, { name: 'Shop Example' });
    const live = (signUp.keys as { live: string }).live;
    const invoice = await call('POST', '/v1/invoices', live, { amount, currency: CURRENCY, redirect_url });
    const view = await call('GET', `/v1/checkout/${String(invoice.id)}`, undefined);
    return { id: String(invoice.id), payment_uri: String(view.payment_uri) };
  }
});
