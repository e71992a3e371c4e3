import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodePayerToken, type KeyPair, type SignedDocument } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { type RunningNode, startNode } from '@webwallet/server';
import { newAccountKeyFile, readAccountKey, writeAccountKeyFile } from './account-key.js';
import { BIN, type RunResult, TempDirs, webwallet, webwalletJson } from './test-helpers.js';

const temp = new TempDirs();
after(() => temp.removeAll());

const NO_STACK = /\n\s+at .*:\d+:\d+/;
const SHOP = 'https://shop.example';

interface Created {
  token: string;
  form: string;
  length: number;
  payment: { node: string; transaction: string };
  payee: string;
  amount: string;
  currency: string;
  reference?: string;
  audience: string;
  expires_at: string;
  file?: string;
}
interface Verified {
  ok: true;
  payer: string;
  payee: string;
  amount: string;
  currency: string;
  reference?: string;
  audience: string;
  expires_at: string;
  redemption_key: string;
  source: 'offline' | 'online';
  block_height: number;
  trusted_node_key_from_url?: string;
}

/** Runs `webwallet ...args` with `input` on its stdin (test-helpers' runner gives no stdin). */
function webwalletWithStdin(args: readonly string[], input: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

interface Party {
  readonly publicKey: string;
  readonly keyPair: KeyPair;
  /** Its key file, as "webwallet keygen --out" writes it. */
  readonly file: string;
}

/**
 * Key files are written in-process and the ledger set up through its HTTP API: each run of the
 * real binary costs a few hundred ms, so the CLI runs only where the test is about it.
 */
async function party(dir: string, name: string): Promise<Party> {
  const file = join(dir, `${name}.json`);
  writeAccountKeyFile(file, await newAccountKeyFile());
  const { publicKey, keyPair } = await readAccountKey(file);
  return { publicKey, keyPair, file };
}

/** POSTs documents to the node's ledger; every one must be accepted. Returns their ids. */
async function submit(url: string, documents: readonly Promise<SignedDocument>[]): Promise<string[]> {
  const response = await fetch(`${url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents: await Promise.all(documents) }),
  });
  const { results } = (await response.json()) as { results: { status: string; id: string }[] };
  for (const r of results) assert.equal(r.status, 'accepted', JSON.stringify(results));
  return results.map((r) => r.id);
}

/** Opens the accounts, issues `currency` from the first and has the others trust it. */
async function ledgerWith(url: string, currency: string, [issuer, ...holders]: readonly Party[]) {
  assert.ok(issuer);
  await submit(
    url,
    [issuer, ...holders].map((p) => transaction('ledger.account.create', { account: p.publicKey }, [p.keyPair])),
  );
  await submit(url, [
    transaction('ledger.currency.issue', { issuer: issuer.publicKey, currency, scale: 2 }, [issuer.keyPair]),
  ]);
  await submit(
    url,
    holders.map((p) => transaction('ledger.trust.set', { holder: p.publicKey, currency, limit: '1000' }, [p.keyPair])),
  );
}

function pays(from: Party, legs: readonly [Party, string][], memo?: string) {
  return transaction(
    'ledger.transfer',
    {
      legs: legs.map(([to, amount]) => ({ from: from.publicKey, to: to.publicKey, currency: 'EUR', amount })),
      ...(memo === undefined ? {} : { memo }),
    },
    [from.keyPair],
  );
}

describe('webwallet token', () => {
  let node: RunningNode;
  let dir: string;
  let env: Record<string, string>;
  let alice: string;
  let bob: string;
  let carol: string;
  /** alice paid bob 30.50 EUR, memo order-1. */
  let paid: string;
  /** alice paid bob 1.00 and carol 2.00 EUR in one transfer. */
  let split: string;
  /** A full token for `paid`, made by the first test. */
  let fullToken: string;
  let nodeKey: string;
  let nodeKeyFile: string;
  const k = (name: string) => join(dir, `${name}.json`);

  before(async () => {
    dir = temp.make();
    node = await startNode({ port: 0, data_dir: join(dir, 'data'), log_level: 'silent', block_interval_ms: 50 });
    nodeKey = node.nodeKey.publicKey;
    env = { WEBWALLET_NODE: node.url };
    const parties = await Promise.all(['issuer', 'alice', 'bob', 'carol'].map((name) => party(dir, name)));
    const [issuer, a, b, c] = parties as [Party, Party, Party, Party];
    [alice, bob, carol] = [a.publicKey, b.publicKey, c.publicKey];
    await ledgerWith(node.url, 'EUR', parties);
    await submit(node.url, [pays(issuer, [[a, '100.00']]), pays(issuer, [[c, '10.00']])]);
    // The CLI's transfer pays one payee; the transfer with two legs goes straight to the HTTP API.
    [split] = (await submit(node.url, [
      pays(
        a,
        [
          [b, '1.00'],
          [c, '2.00'],
        ],
        'order-2',
      ),
    ])) as [string];
    const pay = ['transfer', '--key', k('alice'), '--to', bob, '--currency', 'EUR', '--amount', '30.50'];
    paid = (await webwalletJson<{ id: string }>([...pay, '--memo', 'order-1', '--json'], env)).id;
    // What /.well-known/webwallet serves is a node key file too.
    nodeKeyFile = join(dir, 'node-key.json');
    writeFileSync(nodeKeyFile, await (await fetch(`${node.url}/.well-known/webwallet`)).text());
  });

  after(async () => {
    await node?.close();
  });

  /** Arguments that verify alice's payment to bob at the shop, offline with the node key file. */
  const verifyArgs = (token: string, ...extra: string[]) => [
    'token',
    'verify',
    token,
    '--payee',
    bob,
    '--amount',
    '30.50',
    '--currency',
    'EUR',
    '--audience',
    SHOP,
    ...extra,
  ];

  test('create both forms; verify offline with the node key file and online with --node-url', async () => {
    const create = ['token', 'create', '--key', k('alice'), '--transaction', paid, '--audience', SHOP];
    const outFile = join(dir, 'token.txt');
    const [full, reference, text, written] = await Promise.all([
      webwalletJson<Created>([...create, '--json'], env),
      webwalletJson<Created>([...create, '--form', 'reference', '--lifetime', '90m', '--json'], env),
      webwallet([...create, '--node', node.url]),
      webwallet([...create, '--out', outFile, '--lifetime', '30d'], env),
    ]);
    assert.equal(full.form, 'full');
    fullToken = full.token;
    assert.match(full.token, /^wwpt1\.[A-Za-z0-9_-]+$/);
    assert.equal(full.length, full.token.length);
    assert.deepEqual(full.payment, { node: nodeKey, transaction: paid });
    assert.deepEqual(
      [full.payee, full.amount, full.currency, full.reference, full.audience],
      [bob, '30.50', 'EUR', 'order-1', SHOP],
    );
    const lifetimeS = (created: Created, token: string) => async () => {
      const decoded = await decodePayerToken(token);
      assert.ok(decoded.ok);
      assert.equal(decoded.value.token.body.expires_at, created.expires_at);
      return (Date.parse(created.expires_at) - Date.parse(decoded.value.token.body.issued_at)) / 1000;
    };
    assert.equal(await lifetimeS(full, full.token)(), 86_400, 'default lifetime 24h');
    assert.equal(await lifetimeS(reference, reference.token)(), 5_400);
    assert.equal(reference.form, 'reference');
    assert.ok(reference.length < full.length / 2, `by reference is short: ${reference.length} vs ${full.length}`);
    const decodedReference = await decodePayerToken(reference.token);
    assert.ok(decodedReference.ok);
    assert.equal(decodedReference.value.receipt, undefined);

    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^wwpt1\.[A-Za-z0-9_-]+\n$/, 'only the token on stdout');
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, /^Wrote a full payer token \(\d+ characters\) for 30\.50 EUR to pub_/);
    assert.equal(statSync(outFile).mode & 0o777, 0o600);
    const fromFile = readFileSync(outFile, 'utf8');
    assert.match(fromFile, /^wwpt1\.[A-Za-z0-9_-]+\n$/);

    const [offline, offlineText, byFile, online, onlineByUrl, referenceOffline] = await Promise.all([
      webwalletJson<Verified>(verifyArgs(full.token, '--node-key-file', nodeKeyFile, '--json')),
      webwallet(verifyArgs(text.stdout.trim(), '--node-key', nodeKey, '--reference', 'order-1')),
      webwalletJson<Verified>([
        ...verifyArgs('', '--file', outFile, '--node-key', nodeKey, '--json').filter((a) => a !== ''),
      ]),
      webwalletJson<Verified>(
        verifyArgs(reference.token, '--node-key-file', nodeKeyFile, '--node-url', node.url, '--json'),
      ),
      webwalletJson<Verified>(verifyArgs(reference.token, '--node-url', node.url, '--json')),
      webwallet(verifyArgs(reference.token, '--node-key-file', nodeKeyFile, '--json')),
    ]);
    assert.equal(offline.ok, true);
    assert.deepEqual(
      [offline.payer, offline.payee, offline.amount, offline.currency, offline.reference, offline.audience],
      [alice, bob, '30.50', 'EUR', 'order-1', SHOP],
    );
    assert.equal(offline.source, 'offline');
    assert.equal(offline.redemption_key, `${nodeKey}/${paid}`);
    assert.equal(offline.expires_at, full.expires_at);
    assert.ok(offline.block_height >= 1);
    assert.equal(offline.trusted_node_key_from_url, undefined);

    assert.equal(offlineText.code, 0, offlineText.stderr);
    assert.match(offlineText.stdout, /^OK: the token proves this payment \(not recorded as redeemed/);
    assert.match(offlineText.stdout, new RegExp(`\n {2}payer +${alice}\n {2}payee +${bob}\n {2}amount +30\\.50 EUR\n`));
    assert.match(offlineText.stdout, /\n {2}reference +order-1\n/);
    assert.match(offlineText.stdout, /\n {2}source +offline \(the embedded receipt\)\n/);
    assert.ok(offlineText.stdout.includes(`redemption  ${nodeKey}/${paid}`));

    assert.equal(byFile.source, 'offline');
    assert.equal(byFile.redemption_key, offline.redemption_key);

    assert.equal(online.source, 'online');
    assert.equal(online.redemption_key, offline.redemption_key);
    assert.equal(online.block_height, offline.block_height);
    assert.equal(onlineByUrl.source, 'online');
    assert.equal(onlineByUrl.trusted_node_key_from_url, nodeKey);

    // A by-reference token cannot be checked without asking the node.
    assert.equal(referenceOffline.code, 1);
    assert.equal(JSON.parse(referenceOffline.stdout).error.code, 'token_receipt_required');
    assert.match(referenceOffline.stderr, /^error: the token does not verify: token_receipt_required: /);
  });

  test('verify failures: exit 1 with the error code, and {ok:false, error} with --json', async (t) => {
    if (!fullToken) return t.skip('needs the token of the first test');
    const token = fullToken;
    const key = ['--node-key', nodeKey];
    const replace = (args: string[], flag: string, value: string) => {
      const copy = [...args];
      copy[copy.indexOf(flag) + 1] = value;
      return copy;
    };
    const cases: [string[], string][] = [
      [replace(verifyArgs(token, ...key), '--amount', '30.51'), 'payment_amount_too_low'],
      [replace(verifyArgs(token, ...key), '--audience', 'https://other.example'), 'token_audience_mismatch'],
      [replace(verifyArgs(token, ...key), '--payee', carol), 'payment_payee_mismatch'],
      [replace(verifyArgs(token, ...key), '--currency', 'USD'), 'payment_currency_mismatch'],
      [verifyArgs(token, ...key, '--reference', 'order-9'), 'payment_reference_mismatch'],
      [verifyArgs(token.slice(0, -40), ...key), 'token_malformed'],
      [verifyArgs('not-a-token', ...key), 'token_malformed'],
      [verifyArgs(token, '--node-key', alice), 'node_key_untrusted'],
    ];
    const [text, ...results] = await Promise.all([
      webwallet(cases[0]![0]),
      ...cases.map(([args]) => webwallet([...args, '--json'])),
    ]);
    results.forEach((result, i) => {
      const code = cases[i]![1];
      assert.equal(result.code, 1, `case ${i}: ${result.stderr}`);
      const body = JSON.parse(result.stdout) as {
        ok: boolean;
        error: { code: string; message: string; details: object };
      };
      assert.equal(body.ok, false);
      assert.equal(body.error.code, code, `case ${i}`);
      assert.ok(body.error.message.length > 0);
      assert.equal(typeof body.error.details, 'object');
      assert.match(result.stderr, new RegExp(`^error: the token does not verify: ${code}: `), `case ${i}`);
      assert.doesNotMatch(result.stderr, NO_STACK);
    });
    assert.equal(text!.code, 1);
    assert.equal(text!.stdout, '', 'nothing on stdout on failure without --json');
    assert.match(
      text!.stderr,
      /^error: the token does not verify: payment_amount_too_low: .*\ndetails: \{"actual":"30\.50","expected":"30\.51"\}\n$/,
    );
    const audience = JSON.parse(results[1]!.stdout) as { error: { details: { audience: string; expected: string[] } } };
    assert.deepEqual(audience.error.details, { audience: SHOP, expected: ['https://other.example'] });
  });

  test('create refuses: another key, several payees, unknown ids, not a payment, bad options', async () => {
    const create = (key: string, id: string, ...extra: string[]) =>
      webwallet(['token', 'create', '--key', k(key), '--transaction', id, '--audience', SHOP, ...extra], env);
    const [other, several, chosen, wrongPayee, unknown, account] = await Promise.all([
      create('carol', paid),
      create('alice', split),
      webwalletJson<Created>(
        [
          'token',
          'create',
          '--key',
          k('alice'),
          '--transaction',
          split,
          '--audience',
          `${SHOP}/cart?x=1`,
          '--payee',
          carol,
          '--json',
        ],
        env,
      ),
      create('alice', split, '--payee', nodeKey),
      create('alice', 'no-such-transaction'),
      // An account creation is a transaction of the key's, but not a payment.
      party(dir, 'dave').then(async (dave) => {
        const [id] = await submit(node.url, [
          transaction('ledger.account.create', { account: dave.publicKey }, [dave.keyPair]),
        ]);
        return create('dave', id as string);
      }),
    ]);
    assert.equal(other.code, 1);
    assert.match(
      other.stderr,
      new RegExp(
        `^error: The key .*carol\\.json \\(${carol}\\) did not pay in transaction ${paid}; it was paid by ${alice}\\.\n`,
      ),
    );
    assert.match(other.stderr, /Only the paying account can create a payer token/);

    assert.equal(several.code, 1);
    assert.ok(
      several.stderr.startsWith(
        `error: Transaction ${split} pays several payees: ${bob} (1.00 EUR), ${carol} (2.00 EUR).\n`,
      ),
      several.stderr,
    );
    assert.match(several.stderr, /--payee ACCOUNT/);

    assert.equal(chosen.payee, carol);
    assert.equal(chosen.amount, '2.00');
    assert.equal(chosen.reference, 'order-2');
    assert.equal(chosen.audience, SHOP, 'a URL stands for its origin');

    assert.equal(wrongPayee.code, 1);
    assert.match(wrongPayee.stderr, new RegExp(`^error: In transaction ${split}, ${alice} paid .*, not ${nodeKey}\\.`));

    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /^error: The node at http:\/\/127\.0\.0\.1:\d+ has no transaction no-such-transaction\.\n/,
    );

    assert.equal(account.code, 1);
    assert.match(account.stderr, /^error: Transaction .* is a ledger\.account\.create, not a final payment/);

    const [badAudience, badLifetime, noKey] = await Promise.all([
      create('alice', paid, '--audience', 'shop.example'),
      create('alice', paid, '--lifetime', '400d'),
      webwallet(
        ['token', 'create', '--key', join(dir, 'missing.json'), '--transaction', paid, '--audience', SHOP],
        env,
      ),
    ]);
    assert.equal(badAudience.code, 1);
    assert.match(
      badAudience.stderr,
      /^error: option '--audience <origin>' argument 'shop\.example' is invalid\. the audience is the origin/,
    );
    assert.equal(badLifetime.code, 1);
    assert.match(badLifetime.stderr, /--lifetime is a number and a unit .* at most 366d/);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /^error: No key file .*missing\.json/);
    for (const r of [other, several, wrongPayee, unknown, account, badAudience, badLifetime, noKey]) {
      assert.doesNotMatch(r.stderr, NO_STACK);
    }
  });

  test('verify reads the token from stdin with "-"; input and trust errors', async (t) => {
    if (!fullToken) return t.skip('needs the token of the first test');
    const token = fullToken;
    const [fromStdin, garbledStdin, both, none, noTrust, badKey, missingFile] = await Promise.all([
      webwalletWithStdin(verifyArgs('-', '--node-key', nodeKey, '--json'), `\n${token}\n`),
      webwalletWithStdin(verifyArgs('-', '--node-key', nodeKey), 'wwpt1.@@@'),
      webwallet([...verifyArgs(token, '--node-key', nodeKey), '--file', nodeKeyFile]),
      webwallet(verifyArgs('', '--node-key', nodeKey).filter((a) => a !== '')),
      webwallet(verifyArgs(token)),
      webwallet(verifyArgs(token, '--node-key', 'pub_short')),
      webwallet(verifyArgs(token, '--node-key-file', join(dir, 'nope.json'))),
    ]);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal((JSON.parse(fromStdin.stdout) as Verified).redemption_key, `${nodeKey}/${paid}`);
    assert.equal(garbledStdin.code, 1);
    assert.match(garbledStdin.stderr, /^error: the token does not verify: token_malformed: /);
    assert.equal(both.code, 1);
    assert.match(
      both.stderr,
      /^error: Give the token: as the argument, "-" to read it from stdin, or --file FILE \(just one\)/,
    );
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error: Give the token/);
    assert.equal(noTrust.code, 1);
    assert.match(
      noTrust.stderr,
      /^error: Say which node you trust: --node-key pub_…, --node-key-file FILE or --node-url URL/,
    );
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /^error: "pub_short" is not a node public key/);
    assert.equal(missingFile.code, 1);
    assert.match(missingFile.stderr, /^error: There is no file .*nope\.json \(expected a node key\)/);
    for (const r of [garbledStdin, both, none, noTrust, badKey, missingFile]) assert.doesNotMatch(r.stderr, NO_STACK);
  });

  test('--help: token create and verify, and verify says it records no redemption', async () => {
    const [group, create, verify] = await Promise.all([
      webwallet(['token', '--help']),
      webwallet(['token', 'create', '--help']),
      webwallet(['token', 'verify', '--help']),
    ]);
    for (const help of [group, create, verify]) assert.equal(help.code, 0);
    assert.match(group.stdout, /\n {2}create \[options\] +sign a payer token/);
    assert.match(group.stdout, /\n {2}verify \[options\] \[token\] +check a payer token .*records\s+no\s+redemption/s);
    assert.match(create.stdout, /--lifetime <duration>.*\(default: 24h\)/s);
    assert.match(create.stdout, /--wait-ms <ms>.*\(default: 5000\)/s);
    assert.match(create.stdout, /--node <url>.*WEBWALLET_NODE/s);
    assert.match(verify.stdout, /does NOT record\s+the\s+redemption/);
    assert.match(verify.stdout, /--node-url <url>.*\/\.well-known\/webwallet/s);
  });
});

describe('webwallet token create on a node that seals no blocks', () => {
  test('gives up after --wait-ms and says so', async () => {
    const dir = temp.make();
    // Blocks are sealed only after 10 minutes or 1,000 transactions: nothing here gets a receipt.
    const node = await startNode({
      port: 0,
      data_dir: join(dir, 'data'),
      log_level: 'silent',
      block_interval_ms: 600_000,
      block_transactions_max: 1_000,
    });
    try {
      const parties = await Promise.all(['issuer', 'alice'].map((name) => party(dir, name)));
      const [issuer, alice] = parties as [Party, Party];
      await ledgerWith(node.url, 'EUR', parties);
      const [id] = (await submit(node.url, [pays(issuer, [[alice, '3.00']])])) as [string];
      const started = Date.now();
      const create = ['token', 'create', '--key', issuer.file, '--transaction', id, '--audience', SHOP];
      const unsealed = await webwallet([...create, '--wait-ms', '300', '--node', node.url]);
      assert.ok(Date.now() - started >= 300);
      assert.equal(unsealed.code, 1);
      assert.match(
        unsealed.stderr,
        new RegExp(
          `^error: Transaction ${id} is accepted \\(seq \\d+\\) but not yet sealed in a block after 300 ms\\.\n`,
        ),
      );
      assert.match(unsealed.stderr, /wait longer with --wait-ms/);
      assert.doesNotMatch(unsealed.stderr, NO_STACK);
    } finally {
      await node.close();
    }
  });
});
