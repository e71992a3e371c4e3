/**
 * The tickets example against real things only: a real node started in-process, real ledger
 * payments sealed into blocks, the real tickets server over HTTP, and the door page in a real
 * headless Chromium whose network is cut once the page has loaded.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createPayerToken, decodePayerToken, encodePayerToken, encodePrefixed, generateKeyPair } from '@webwallet/core';
import { startNode } from '@webwallet/server';
import { launchChromium, requireChromium } from '@webwallet/testkit';
import QRCode from 'qrcode';
import { QR_OPTIONS, shortId, startTickets } from '../server.mjs';
import { fundedAccount, getAccount, pay, readKey, setupDemo } from '../setup.mjs';

const EXAMPLE_DIR = join(import.meta.dirname, '..');
const REPO_DIR = join(EXAMPLE_DIR, '..', '..');
const PRICE = '25.00';
const HOUR_MS = 3600 * 1000;
/** Longer than Chromium waits after a navigation before it checks for a service worker update. */
const UPDATE_CHECK_WAIT_MS = 5_000;

/** A key pair as setup.mjs's key objects are. */
function keyOf(keyPair) {
  return { account: encodePrefixed('pub', keyPair.publicKey), keyPair };
}

/** Starts dev.mjs as `npm run tickets` does, and resolves once it has printed its instructions. */
function startDev(dataDir) {
  const child = spawn(
    process.execPath,
    [join(EXAMPLE_DIR, 'dev.mjs'), '--data-dir', dataDir, '--node-port', '0', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev.mjs printed no instructions:\n${output}`)), 40_000);
    child.stdout.on('data', () => {
      if (output.includes('into the door check.')) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dev.mjs exited with ${code}:\n${output}`));
    });
  });
  return { child, printed, exited };
}

async function stopDev(dev) {
  dev.child.kill('SIGTERM');
  assert.equal(await dev.exited, 0);
}

// The two suites are independent: they run side by side to keep the file short. Within each, the
// tests run in order (the door test counts the server's requests, so nothing else may call it).
describe('examples/tickets', { concurrency: 2 }, () => {
  describe('tickets: buying, the ticket page and the offline door', { timeout: 120_000, concurrency: 1 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ww-tickets-'));
    const event = {
      id: 'test-gig',
      name: 'Test Gig',
      venue: 'The Hall',
      starts_at: new Date(Date.now() + HOUR_MS).toISOString(),
      ends_at: new Date(Date.now() + 4 * HOUR_MS).toISOString(),
    };
    /** Every request the tickets server received, in order: proves the door made none offline. */
    const served = [];
    let node;
    let tickets;
    let demo;
    /** The second buyer's account. */
    let bobAccount;
    /** Token texts by name. */
    const tokens = {};

    before(async () => {
      node = await startNode({ port: 0, data_dir: join(dir, 'node'), log_level: 'silent', block_interval_ms: 20 });
      demo = await setupDemo({ nodeUrl: node.url, dir, price: PRICE });
      tickets = await startTickets({
        port: 0,
        nodeUrl: node.url, // no nodePublicKey: the server reads it from /.well-known/webwallet
        organiser: demo.organiser.account,
        price: PRICE,
        currency: demo.currency,
        event,
        onRequest: (method, url) => served.push(`${method} ${url}`),
      });
      const alice = demo.buyer;
      const bob = await fundedAccount(node.url, {
        issuer: demo.issuer,
        key: keyOf(await generateKeyPair()),
        currency: demo.currency,
        amount: '100.00',
      });
      bobAccount = bob.account;
      const to = (payee, amount, memo = event.id) => ({ to: payee, currency: demo.currency, amount, memo });
      const organiser = demo.organiser.account;
      const [a, b, low, elsewhere, otherEvent] = await Promise.all([
        pay(node.url, { key: alice, ...to(organiser, PRICE) }),
        pay(node.url, { key: bob, ...to(organiser, '30.00') }), // paying more than the price is fine
        pay(node.url, { key: alice, ...to(organiser, '10.00') }),
        pay(node.url, { key: alice, ...to(bob.account, PRICE) }),
        pay(node.url, { key: alice, ...to(organiser, PRICE, 'another-gig') }),
      ]);
      const audience = tickets.url;
      const make = async (key, receipt, extra = {}) => {
        const result = await createPayerToken({
          keyPair: key.keyPair,
          receipt,
          audience,
          lifetime_s: 5 * 3600,
          ...extra,
        });
        assert.ok(result.ok, JSON.stringify(result));
        return result.value;
      };
      tokens.a = await make(alice, a);
      tokens.a2 = await make(alice, a); // a second token for the same payment
      tokens.b = await make(bob, b);
      tokens.low = await make(alice, low);
      tokens.elsewhere = await make(alice, elsewhere);
      tokens.otherEvent = await make(alice, otherEvent);
      tokens.wrongAudience = await make(alice, a, { audience: 'https://tickets.example' });
      tokens.expired = await make(alice, a, { lifetime_s: 60, now_ms: Date.now() - HOUR_MS });
      tokens.tooShort = await make(alice, a, { lifetime_s: 2 * 3600 }); // valid now, gone before the event ends
      tokens.byReference = await make(alice, undefined, {
        node: a.block.body.node,
        document: a.document,
        form: 'reference',
      });
      tokens.garbled = `${tokens.a.slice(0, 300)}${tokens.a.slice(320)}`;
      // The claims altered after signing: the amount says more than was paid.
      const decoded = await decodePayerToken(tokens.low);
      assert.ok(decoded.ok);
      const { token, receipt } = decoded.value;
      tokens.forged = await encodePayerToken({ token: { ...token, body: { ...token.body, amount: PRICE } }, receipt });
    });

    after(async () => {
      await tickets?.close();
      await node?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the event page says what a ticket costs, whom to pay, and the commands to buy one', async () => {
      const response = await fetch(tickets.url);
      assert.equal(response.status, 200);
      const csp = response.headers.get('content-security-policy');
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      const text = await response.text();
      assert.match(text, /<h1>Test Gig<\/h1>/);
      assert.match(text, /<dd id="price">25\.00 DEMO<\/dd>/);
      assert.match(text, new RegExp(`<code id="organiser">${demo.organiser.account}</code>`));
      assert.ok(
        text.includes(
          `webwallet transfer --node ${node.url} --key your-account.key --to ${demo.organiser.account} --currency DEMO --amount 25.00 --memo test-gig`,
        ),
      );
      // The lifetime lasts until the event ends, 4 hours from now.
      assert.ok(text.includes(`--transaction &lt;id from step 1&gt; --audience ${tickets.url} --lifetime 4h</code>`));
      assert.match(text, /<form method="post" action="\/ticket">/);
    });

    /** POSTs the ticket form as a browser does. */
    const postTicket = (token, init = {}) =>
      fetch(`${tickets.url}/ticket`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
        ...init,
      });

    test('POST /ticket shows the verified ticket with the token as an SVG QR code', async () => {
      // Twice: showing a ticket records nothing.
      for (const token of [tokens.a, `\n  ${tokens.a}  \n`]) {
        const response = await postTicket(token);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('cache-control'), 'no-store');
        const text = await response.text();
        const svg = await QRCode.toString(tokens.a, { ...QR_OPTIONS });
        assert.ok(svg.startsWith('<svg'));
        assert.ok(text.includes(`<div class="qr" role="img" aria-label="QR code of your ticket">${svg}</div>`));
        assert.ok(text.includes(`<textarea id="token" rows="6" readonly spellcheck="false">${tokens.a}</textarea>`));
        assert.match(text, /<dd id="paid">25\.00 DEMO<\/dd>/);
        assert.ok(text.includes(`>${shortId(demo.buyer.account)}</dd>`));
        assert.match(text, /<dt>Event<\/dt><dd>Test Gig<\/dd>/);
      }
      const bob = await postTicket(tokens.b);
      assert.equal(bob.status, 200);
      assert.match(await bob.text(), /<dd id="paid">30\.00 DEMO<\/dd>/);
    });

    test('a bad token gets a 4xx page with the error code, never a 5xx', async () => {
      const cases = [
        ['garbled', 403, 'token_malformed'],
        ['low', 403, 'payment_amount_too_low'],
        ['elsewhere', 403, 'payment_payee_mismatch'],
        ['otherEvent', 403, 'payment_reference_mismatch'],
        ['wrongAudience', 403, 'token_audience_mismatch'],
        ['expired', 403, 'token_expired'],
        ['forged', 403, 'token_signature_invalid'],
        ['byReference', 403, 'token_receipt_required'],
        ['tooShort', 422, 'ticket_expires_too_soon'],
      ];
      for (const [name, status, code] of cases) {
        const response = await postTicket(tokens[name]);
        assert.equal(response.status, status, name);
        const text = await response.text();
        assert.ok(text.includes(`<p class="error" id="error" data-code="${code}"><strong>${code}</strong>`), name);
        assert.doesNotMatch(text, /<svg/, name);
      }
      const odd = [
        [await postTicket(''), 400, 'invalid_request'],
        [await postTicket('hello'), 403, 'token_malformed'],
        [await postTicket('x'.repeat(70_000)), 413, 'payload_too_large'],
        [await postTicket(tokens.a, { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
        [await fetch(`${tickets.url}/nowhere`), 404, 'not_found'],
        [await fetch(`${tickets.url}/door/config.json`, { method: 'DELETE' }), 405, 'method_not_allowed'],
      ];
      for (const [response, status, code] of odd) {
        assert.equal(response.status, status, code);
        assert.match(await response.text(), new RegExp(`data-code="${code}"`));
      }
    });

    test('the door config names the node key from /.well-known/webwallet; the bundle imports no Node module', async () => {
      const config = await (await fetch(`${tickets.url}/door/config.json`)).json();
      assert.deepEqual(config, {
        event,
        organiser: demo.organiser.account,
        price: PRICE,
        currency: 'DEMO',
        audience: tickets.url,
        node_public_key: node.nodeKey.publicKey,
      });
      const script = await (await fetch(`${tickets.url}/door/door.js`)).text();
      assert.doesNotMatch(script, /\bimport\s*\(\s*["'`]node:/);
      assert.doesNotMatch(script, /from\s*["']node:/);
      const door = await fetch(`${tickets.url}/door/`);
      const csp = door.headers.get('content-security-policy');
      for (const rule of [
        "default-src 'none'",
        "connect-src 'self'",
        "require-trusted-types-for 'script'",
        'trusted-types door',
      ]) {
        assert.ok(csp.includes(rule), rule);
      }
      const sw = await (await fetch(`${tickets.url}/door/sw.js`)).text();
      assert.match(sw, /const CACHE = 'door-[0-9a-f]{16}';/);
    });

    test('the door page admits each payment once, offline, and reloads offline', { timeout: 90_000 }, async (t) => {
      const chromium = requireChromium(t);
      if (!chromium) return;
      const browser = await launchChromium(chromium);
      try {
        const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (error) => errors.push(String(error)));
        page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
        const ready = () =>
          page.waitForFunction(
            () =>
              document.documentElement.dataset.ready === 'yes' && document.documentElement.dataset.offline === 'yes',
            undefined,
            { timeout: 30_000 },
          );

        await page.goto(`${tickets.url}/door`);
        assert.equal(page.url(), `${tickets.url}/door/`);
        await ready();
        assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.state), 'activated');
        assert.equal(await page.textContent('#event-name'), 'Test Gig');
        assert.equal(await page.textContent('#node-key'), node.nodeKey.publicKey);

        // Cut the network. From here on the tickets server must see no request at all.
        const servedBeforeCut = served.length;
        await context.setOffline(true);
        const offlineRequests = [];
        page.on('request', (request) => offlineRequests.push(request.url()));

        /** Types (or "scans") a ticket and presses Enter; returns the verdict shown. */
        const check = async (token) => {
          const seq = Number(await page.getAttribute('#result', 'data-seq'));
          await page.fill('#ticket', token);
          await page.press('#ticket', 'Enter');
          await page.waitForFunction((n) => Number(document.getElementById('result')?.dataset.seq) > n, seq);
          const result = await page.$eval('#result', (el) => ({
            outcome: el.dataset.outcome,
            code: el.dataset.code,
            verdict: document.getElementById('verdict')?.textContent,
            detail: document.getElementById('result-detail')?.textContent,
          }));
          assert.equal(await page.inputValue('#ticket'), '', 'the field is cleared for the next scan');
          return result;
        };
        const admitted = async () => Number(await page.textContent('#admitted-count'));

        const first = await check(tokens.a);
        assert.equal(first.outcome, 'admit');
        assert.equal(first.verdict, 'ADMIT');
        assert.equal(first.detail, `Test Gig · 25.00 DEMO · payer ${shortId(demo.buyer.account)}`);
        assert.equal(await admitted(), 1);

        const again = await check(tokens.a);
        assert.equal(again.outcome, 'already');
        assert.equal(again.verdict, 'ALREADY ADMITTED');
        assert.match(again.detail, /^at \d\d:\d\d:\d\d.*, on this device\. Payer /);
        assert.ok(again.detail.includes(shortId(demo.buyer.account)));
        assert.equal((await check(tokens.a2)).outcome, 'already', 'another token for the same payment');

        const bob = await check(tokens.b);
        assert.equal(bob.outcome, 'admit');
        assert.equal(bob.detail, `Test Gig · 30.00 DEMO · payer ${shortId(bobAccount)}`);
        assert.equal(await admitted(), 2);

        for (const [name, code, words] of [
          ['elsewhere', 'payment_payee_mismatch', /someone other than the organiser/],
          ['low', 'payment_amount_too_low', /Paid 10\.00, price 25\.00/],
          ['wrongAudience', 'token_audience_mismatch', /another seller/],
          ['garbled', 'token_malformed', /Scan it again/],
          ['otherEvent', 'payment_reference_mismatch', /not this event/],
          ['expired', 'token_expired', /expired/],
          ['forged', 'token_signature_invalid', /altered or forged/],
          ['byReference', 'token_receipt_required', /no payment receipt/],
        ]) {
          const refused = await check(tokens[name]);
          assert.deepEqual([refused.outcome, refused.verdict, refused.code], ['refused', 'REFUSED', code], name);
          assert.match(refused.detail, words, name);
          assert.equal(await page.textContent('#result-code'), `code: ${code}`);
        }
        assert.equal(await admitted(), 2, 'refusals admit nobody');

        // The verdict is announced, and the page fits a 360 px screen.
        assert.equal(await page.getAttribute('#result', 'role'), 'status');
        assert.equal(await page.getAttribute('#result', 'aria-live'), 'assertive');
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling');

        // Reload with the network still cut: the service worker serves the page, the admissions stay.
        await page.reload();
        await ready();
        assert.equal(await admitted(), 2);
        assert.equal((await check(tokens.a)).outcome, 'already');
        assert.equal((await check(tokens.b)).outcome, 'already');

        // A bookmark of /door (which redirects to /door/ when online) opens offline too.
        await page.goto(`${tickets.url}/door`);
        const lastNavigation = Date.now();
        await ready();
        assert.equal(await admitted(), 2);
        assert.equal((await check(tokens.a2)).outcome, 'already');

        // The browser looks for a new service worker a few seconds after each navigation (the
        // spec's "soft update"). Wait past that, so that such a request would be counted below.
        const wait_ms = lastNavigation + UPDATE_CHECK_WAIT_MS - Date.now();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait_ms)));
        assert.deepEqual(served.slice(servedBeforeCut), [], 'the tickets server saw no request after the cut');
        for (const url of offlineRequests) assert.ok(url.startsWith(`${tickets.url}/`), `only own files: ${url}`);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });
  });

  describe('npm run tickets (dev.mjs)', { timeout: 90_000, concurrency: 1 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ww-tickets-dev-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    test('sets up the demo, prints buying commands that work, and restarts idempotently', async () => {
      const first = startDev(dataDir);
      let output;
      try {
        output = await first.printed;
        const line = (pattern) => pattern.exec(output)?.[1] ?? assert.fail(`no ${pattern} in:\n${output}`);
        const eventUrl = line(/Event page: +(\S+)\//);
        const nodeUrl = line(/WebWallet node: +(\S+)/);
        const organiser = line(/Organiser: +(\S+)/);
        assert.match(line(/Door check: +(\S+)/), /\/door\/$/);

        // The key files are the CLI's, owner-only.
        for (const name of ['issuer', 'organiser', 'buyer']) {
          const path = join(dataDir, `${name}.key`);
          assert.equal(statSync(path).mode & 0o777, 0o600, name);
          assert.equal(JSON.parse(readFileSync(path, 'utf8')).type, 'webwallet.account_key');
        }
        const buyer = await readKey(join(dataDir, 'buyer.key'));
        assert.equal(organiser, (await readKey(join(dataDir, 'organiser.key'))).account);

        // Step 1 exactly as printed, with the real CLI.
        const transfer = line(/npx (webwallet transfer .+)$/m)
          .split(/\s+/)
          .slice(1);
        const flag = (name) => transfer[transfer.indexOf(name) + 1];
        assert.deepEqual([flag('--node'), flag('--key'), flag('--to')], [nodeUrl, buyer.path, organiser]);
        const cli = join(REPO_DIR, 'packages', 'cli', 'bin', 'webwallet.js');
        const { stdout } = await promisify(execFile)(process.execPath, [cli, ...transfer, '--json']);
        const { id, status } = JSON.parse(stdout);
        assert.equal(status, 'accepted');

        // Step 2 exactly as printed, with the transaction id filled in.
        const tokenLine = line(/npx (webwallet token create .+)$/m);
        assert.match(tokenLine, new RegExp(`--audience ${eventUrl} --lifetime \\d+h$`));
        const create = tokenLine.replace('<the id printed by transfer>', id).split(/\s+/).slice(1);
        const token = (await promisify(execFile)(process.execPath, [cli, ...create])).stdout.trim();
        assert.match(token, /^wwpt1\./);

        // Step 3: the event page turns it into a ticket.
        const ticket = await fetch(`${eventUrl}/ticket`, { method: 'POST', body: new URLSearchParams({ token }) });
        assert.equal(ticket.status, 200, await ticket.clone().text());
        assert.match(await ticket.text(), /<svg/);
      } finally {
        await stopDev(first);
      }

      // A restart finds everything in place: same organiser, the buyer is not funded again.
      const second = startDev(dataDir);
      try {
        const again = await second.printed;
        const organiserOf = (text) => /Organiser: +(\S+)/.exec(text)?.[1];
        assert.equal(organiserOf(again), organiserOf(output));
        const nodeUrl = /WebWallet node: +(\S+)/.exec(again)?.[1];
        const buyer = await getAccount(nodeUrl, (await readKey(join(dataDir, 'buyer.key'))).account);
        assert.deepEqual(
          buyer.balances.map((b) => [b.currency, b.balance]),
          [['DEMO', '75.00']],
        );
      } finally {
        await stopDev(second);
      }
    });
  });
});
