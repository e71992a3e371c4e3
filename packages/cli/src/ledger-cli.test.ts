import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair, type Receipt } from '@webwallet/core';
import type { AccountView } from '@webwallet/ledger';
import Database from 'better-sqlite3';
import { BIN, type ServedNode, serveNode, TempDirs, webwallet, webwalletJson } from './test-helpers.js';

const temp = new TempDirs();
after(() => temp.removeAll());

const NO_STACK = /\n\s+at .*:\d+:\d+/;

interface KeyOut {
  public_key: string;
  key_file: string;
}
interface Accepted {
  status: 'accepted';
  id: string;
  document_id: string;
  seq: number;
}
interface Audit {
  ok: boolean;
  transactions: number;
  blocks: number;
  lines: number;
  problems: string[];
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function balanceOf(view: AccountView, currency: string): string | undefined {
  return view.balances.find((b) => b.currency === currency)?.balance;
}

describe('webwallet ledger commands', () => {
  test('keygen writes a 0600 key file once, or prints the key; commands refuse a key others can read', async () => {
    const dir = temp.make();
    const path = join(dir, 'alice.json');
    const made = await webwalletJson<KeyOut>(['keygen', '--out', path, '--json']);
    assert.match(made.public_key, /^pub_[A-Za-z0-9_-]{43}$/);
    assert.equal(made.key_file, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(Object.keys(file).sort(), ['public_key', 'secret_key', 'type', 'version']);
    assert.equal(file.type, 'webwallet.account_key');
    assert.equal(file.version, 1);
    assert.equal(file.public_key, made.public_key);
    assert.match(file.secret_key, /^sec_[A-Za-z0-9_-]{43}$/);

    const open = join(dir, 'open.json');
    writeFileSync(open, JSON.stringify(file), { mode: 0o644 });
    chmodSync(open, 0o644);
    const [again, printed, missingDir, readable] = await Promise.all([
      webwallet(['keygen', '--out', path]),
      webwallet(['keygen']),
      webwallet(['keygen', '--out', join(dir, 'no', 'such', 'dir.json')]),
      webwallet(['account', 'create', '--key', open, '--node', 'http://127.0.0.1:9']),
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: .*alice\.json already exists/);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).secret_key, file.secret_key, 'not overwritten');
    assert.equal(printed.code, 0);
    const key = JSON.parse(printed.stdout);
    assert.equal(key.type, 'webwallet.account_key');
    assert.match(key.secret_key, /^sec_/);
    assert.notEqual(key.public_key, made.public_key);
    assert.equal(missingDir.code, 1);
    assert.match(missingDir.stderr, /^error: Cannot create .*directory does not exist/);
    assert.equal(readable.code, 1);
    assert.match(readable.stderr, /^error: The key file .* is readable by other users .* chmod 600/);
    for (const r of [again, missingDir, readable]) assert.doesNotMatch(r.stderr, NO_STACK);
  });

  /** Left by the end-to-end test for the offline checks after it. */
  let sealed: { receiptFile: string; nodeKey: string; documentId: string } | undefined;

  test('end to end: accounts, currency, trust, transfers, balances, receipts verified offline, audit', async () => {
    const dir = temp.make();
    const dataDir = join(dir, 'data');
    const node = await serveNode(['--data-dir', dataDir, '--block-interval-ms', '50']);
    try {
      const env = { WEBWALLET_NODE: node.url };
      const keyFile = (name: string) => join(dir, `${name}.json`);
      const [issuer, alice, bob] = await Promise.all(
        ['issuer', 'alice', 'bob'].map((name) => webwalletJson<KeyOut>(['keygen', '--out', keyFile(name), '--json'])),
      );
      assert.ok(issuer && alice && bob);

      const created = await Promise.all(
        ['issuer', 'alice', 'bob'].map((name) =>
          webwalletJson<Accepted & { account: string }>(['account', 'create', '--key', keyFile(name), '--json'], env),
        ),
      );
      assert.deepEqual(
        created.map((r) => [r.status, r.account]),
        [issuer, alice, bob].map((k) => ['accepted', k.public_key]),
      );

      const [issued, shown] = await Promise.all([
        webwallet(
          ['currency', 'issue', '--key', keyFile('issuer'), '--code', 'EUR', '--scale', '2', '--max-supply', '1000000'],
          env,
        ),
        webwalletJson<{ public_key: string }>(['keys', 'show', '--json', '--data-dir', dataDir]),
      ]);
      assert.equal(issued.code, 0, issued.stderr);
      assert.match(issued.stdout, /^accepted ledger\.currency\.issue\n/);
      assert.match(issued.stdout, /\n {2}currency +EUR\n/);
      assert.match(issued.stdout, /\n {2}id +[A-Za-z0-9_-]+\n/);
      assert.equal(shown.public_key, node.publicKey);

      const trusts = await Promise.all(
        ['alice', 'bob'].map((name) =>
          webwalletJson<Accepted>(
            ['trust', '--key', keyFile(name), '--currency', 'EUR', '--limit', '1000', '--json'],
            env,
          ),
        ),
      );
      assert.ok(trusts.every((r) => r.status === 'accepted'));

      const funded = await webwallet(
        ['transfer', '--key', keyFile('issuer'), '--to', alice.public_key, '--currency', 'EUR', '--amount', '100.00'],
        env,
      );
      assert.equal(funded.code, 0, funded.stderr);
      assert.match(funded.stdout, /^accepted ledger\.transfer\n/);
      const pay = ['transfer', '--key', keyFile('alice'), '--to', bob.public_key, '--currency', 'EUR', '--amount'];
      const paid = await webwalletJson<Accepted>([...pay, '30.50', '--memo', 'lunch', '--json'], env);
      assert.equal(paid.status, 'accepted');
      assert.match(paid.id, /^[A-Za-z0-9_][A-Za-z0-9_-]*$/, 'ids the CLI makes never look like an option');
      assert.match(paid.document_id, /^doc_/);

      // Reads, a rejected transfer (it changes nothing), the receipt and a live audit, all at once.
      const receiptFile = join(dir, 'receipt.json');
      const [aliceView, bobView, bobText, rejected, fetched, live] = await Promise.all([
        webwalletJson<AccountView>(['balance', alice.public_key, '--json'], env),
        webwalletJson<AccountView>(['balance', bob.public_key, '--json', '--node', node.url]),
        webwallet(['balance', issuer.public_key], env),
        webwallet([...pay, '500.00'], env),
        webwalletJson<{ id: string; index: number; block_height: number }>(
          ['receipt', paid.id, '--out', receiptFile, '--json'],
          env,
        ),
        // The audit reads the SQLite file while the node has it open for writing.
        webwalletJson<Audit>(['audit', '--data-dir', dataDir, '--json']),
      ]);
      assert.equal(balanceOf(aliceView, 'EUR'), '69.50');
      assert.equal(balanceOf(bobView, 'EUR'), '30.50');
      assert.equal(bobText.code, 0);
      assert.match(bobText.stdout, new RegExp(`^${issuer.public_key} \\(self-custody, 1 of 1 keys\\)\n`));
      assert.match(
        bobText.stdout,
        /\nCURRENCY +BALANCE +AVAILABLE +HELD +LIMIT\nEUR +-100\.00 +-100\.00 +0\.00 +issuer\n/,
      );

      assert.equal(rejected.code, 1);
      assert.match(rejected.stderr, /^error: rejected ledger\.transfer: insufficient_funds: .*balance/);
      assert.match(rejected.stderr, /"available":"69\.50"/);
      assert.doesNotMatch(rejected.stderr, NO_STACK);

      assert.equal(fetched.id, paid.id);
      assert.equal(fetched.index, paid.seq);
      const receipt = JSON.parse(readFileSync(receiptFile, 'utf8')) as Receipt;
      assert.equal((receipt.document.body as { id: string }).id, paid.id);
      assert.equal(receipt.index, paid.seq);
      assert.equal(receipt.block.body.height, fetched.block_height);

      assert.deepEqual(live.problems, []);
      assert.equal(live.ok, true);
      assert.equal(live.transactions, 8);
      assert.equal(live.lines, 3);

      assert.equal(await node.stop(), 0);

      // Offline from here on: the node is gone.
      const tampered = structuredClone(receipt) as unknown as { document: { body: { legs: { amount: string }[] } } };
      tampered.document.body.legs[0]!.amount = '3050.00';
      const tamperedFile = join(dir, 'tampered.json');
      writeFileSync(tamperedFile, JSON.stringify(tampered));
      const [verified, bad, wrongKey] = await Promise.all([
        webwalletJson<{ ok: boolean; document_id: string; index: number; block_height: number; id: string }>([
          'verify-receipt',
          receiptFile,
          '--node-key',
          node.publicKey,
          '--json',
        ]),
        webwallet(['verify-receipt', tamperedFile, '--node-key', node.publicKey]),
        webwallet(['verify-receipt', receiptFile, '--node-key', alice.public_key]),
      ]);
      assert.equal(verified.ok, true);
      assert.equal(verified.document_id, paid.document_id);
      assert.equal(verified.id, paid.id);
      assert.equal(verified.index, paid.seq);
      assert.equal(verified.block_height, fetched.block_height);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^error: the receipt does not verify: signature_invalid: /);
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.stderr, /^error: the receipt does not verify: node_key_untrusted: /);
      assert.ok(wrongKey.stderr.includes(node.publicKey), 'names the key that signed the block');
      for (const r of [bad, wrongKey]) assert.doesNotMatch(r.stderr, NO_STACK);
      sealed = { receiptFile, nodeKey: node.publicKey, documentId: paid.document_id };

      // Tamper with one stored balance behind the ledger's back: the audit must name the line.
      const db = new Database(join(dataDir, 'ledger.db'));
      const changed = db
        .prepare("UPDATE lines SET balance = balance + 1 WHERE holder = ? AND currency = 'EUR'")
        .run(bob.public_key);
      db.close();
      assert.equal(changed.changes, 1);
      const failed = await webwallet(['audit', '--data-dir', dataDir]);
      assert.equal(failed.code, 1);
      assert.match(failed.stdout, /\n {2}problems +1\n/);
      assert.ok(failed.stdout.includes(`${bob.public_key}/EUR: stored balance 3051 != replayed 3050`), failed.stdout);
      assert.match(failed.stderr, /^error: the audit found 1 problem/);
    } finally {
      await node.stop();
    }
  });

  test('verify-receipt: node key from a file, other tampering, and unusable input', async (t) => {
    if (!sealed) return t.skip('needs the receipt of the end-to-end test');
    const dir = temp.make();
    const receipt = JSON.parse(readFileSync(sealed.receiptFile, 'utf8')) as {
      proof: string[];
      block: { body: object };
    };
    const write = (name: string, value: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };
    const keyFile = write('node.json', { public_key: sealed.nodeKey, name: 'a node' });
    const badProof = structuredClone(receipt);
    assert.ok(badProof.proof.length > 0);
    badProof.proof[0] = badProof.proof[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const badBlock = structuredClone(receipt);
    badBlock.block.body = { ...badBlock.block.body, tree_size: 1_000 };
    // The whole GET /v1/transactions/{id} answer is accepted too.
    const wrapped = write('transaction.json', { id: 'x', receipt });

    const [byFile, text, proof, block, notJson, noKey, badKey, viaTransaction] = await Promise.all([
      webwallet(['verify-receipt', sealed.receiptFile, '--node-key-file', keyFile]),
      webwallet(['verify-receipt', sealed.receiptFile, '--node-key', sealed.nodeKey]),
      webwallet(['verify-receipt', write('proof.json', badProof), '--node-key', sealed.nodeKey, '--json']),
      webwallet(['verify-receipt', write('block.json', badBlock), '--node-key', sealed.nodeKey]),
      webwallet(['verify-receipt', write('text.json', 'not json'), '--node-key', sealed.nodeKey]),
      webwallet(['verify-receipt', sealed.receiptFile]),
      webwallet(['verify-receipt', sealed.receiptFile, '--node-key', 'pub_short']),
      webwalletJson<{ ok: boolean }>(['verify-receipt', wrapped, '--node-key-file', keyFile, '--json']),
    ]);
    assert.equal(byFile.code, 0, byFile.stderr);
    assert.equal(text.stdout, byFile.stdout);
    assert.match(
      text.stdout,
      new RegExp(`^OK: ${sealed.documentId} is included in the ledger of node ${sealed.nodeKey}\n`),
    );
    assert.match(text.stdout, /\n {2}index +\d+\n {2}block +\d+ \(tree size \d+, sealed [0-9T:.Z-]+\)\n$/);
    assert.equal(proof.code, 1);
    assert.equal(JSON.parse(proof.stdout).error.code, 'proof_invalid');
    assert.match(proof.stderr, /^error: the receipt does not verify: proof_invalid: /);
    assert.equal(block.code, 1);
    assert.match(block.stderr, /^error: the receipt does not verify: signature_invalid: /);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /^error: .*text\.json is not JSON/);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /^error: Say which node you trust: --node-key pub_… or --node-key-file FILE/);
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /^error: "pub_short" is not a node public key/);
    assert.equal(viaTransaction.ok, true);
    for (const r of [proof, block, notJson, noKey, badKey]) assert.doesNotMatch(r.stderr, NO_STACK);
  });

  describe('on a node that seals no blocks', () => {
    let node: ServedNode;
    let dir: string;
    let env: Record<string, string>;
    let adminToken: string;
    let issuer: string;
    let issuerCreated: Accepted;
    const k = (name: string) => join(dir, `${name}.json`);

    before(async () => {
      dir = temp.make();
      const dataDir = join(dir, 'data');
      // Blocks are sealed only after 10 minutes or 1,000 transactions: nothing here gets a receipt.
      node = await serveNode([
        '--data-dir',
        dataDir,
        '--block-interval-ms',
        '600000',
        '--block-transactions-max',
        '1000',
      ]);
      env = { WEBWALLET_NODE: node.url };
      issuer = (await webwalletJson<KeyOut>(['keygen', '--out', k('issuer'), '--json'])).public_key;
      const [admin, created] = await Promise.all([
        webwalletJson<{ public_key: string; admin_token: string; admin_token_file: string }>([
          'keys',
          'show',
          '--admin-token',
          '--json',
          '--data-dir',
          dataDir,
        ]),
        webwalletJson<Accepted>(['account', 'create', '--key', k('issuer'), '--json'], env),
      ]);
      assert.equal(admin.public_key, node.publicKey);
      assert.match(admin.admin_token, /^wwadmin_[A-Za-z0-9_-]{43}$/);
      assert.equal(statSync(admin.admin_token_file).mode & 0o777, 0o600);
      adminToken = admin.admin_token;
      issuerCreated = created;
      await webwalletJson(['currency', 'issue', '--key', k('issuer'), '--code', 'PTS', '--scale', '0', '--json'], env);
    });
    after(async () => {
      await node?.stop();
    });

    test('an m-of-n account acts only with enough signatures', async () => {
      const [k1, k2] = await Promise.all(
        ['k1', 'k2'].map((name) => webwalletJson<KeyOut>(['keygen', '--out', k(name), '--json'])),
      );
      assert.ok(k1 && k2);
      const multi = await webwalletJson<Accepted & { account: string }>(
        ['account', 'create', '--key', k('k1'), '--key', k('k2'), '--threshold', '2', '--json'],
        env,
      );
      assert.equal(multi.account, k1.public_key);
      const trust = ['trust', '--currency', 'PTS', '--limit', '100'];
      const [trustOne, trustBoth] = await Promise.all([
        webwallet([...trust, '--key', k('k1')], env),
        webwallet([...trust, '--key', k('k1'), '--key', k('k2')], env),
      ]);
      assert.equal(trustOne.code, 1);
      assert.match(trustOne.stderr, /^error: rejected ledger\.trust\.set: authorization_insufficient: /);
      assert.equal(trustBoth.code, 0, trustBoth.stderr);
      const funded = await webwallet(
        ['transfer', '--key', k('issuer'), '--to', k1.public_key, '--currency', 'PTS', '--amount', '10'],
        env,
      );
      assert.equal(funded.code, 0, funded.stderr);
      const pay = ['transfer', '--to', issuer, '--currency', 'PTS', '--amount', '4'];
      const [payOne, payBoth] = await Promise.all([
        webwallet([...pay, '--from', k1.public_key, '--key', k('k2')], env),
        webwalletJson<Accepted>([...pay, '--key', k('k1'), '--key', k('k2'), '--json'], env),
      ]);
      assert.equal(payOne.code, 1);
      assert.match(payOne.stderr, /^error: rejected ledger\.transfer: authorization_insufficient: /);
      assert.equal(payBoth.status, 'accepted');
      const view = await webwalletJson<AccountView>(['balance', k1.public_key, '--json'], env);
      assert.deepEqual([view.threshold, view.keys], [2, [k1.public_key, k2.public_key]]);
      assert.equal(balanceOf(view, 'PTS'), '6');
    });

    test('a custodial account acts through the admin token', async () => {
      const [shop, noToken] = await Promise.all([
        webwalletJson<Accepted & { account: string }>(
          ['account', 'create', '--account', 'acc_shop', '--admin-token', adminToken, '--json'],
          env,
        ),
        webwallet(['account', 'create', '--account', 'acc_other'], env),
      ]);
      assert.equal(shop.account, 'acc_shop');
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /^error: rejected ledger\.account\.create: authorization_insufficient: /);
      const adminEnv = { ...env, WEBWALLET_ADMIN_TOKEN: adminToken };
      const trusted = await webwallet(
        ['trust', '--holder', 'acc_shop', '--currency', 'PTS', '--limit', '50'],
        adminEnv,
      );
      assert.equal(trusted.code, 0, trusted.stderr);
      const funded = await webwallet(
        ['transfer', '--key', k('issuer'), '--to', 'acc_shop', '--currency', 'PTS', '--amount', '4'],
        env,
      );
      assert.equal(funded.code, 0, funded.stderr);
      const refund = ['transfer', '--from', 'acc_shop', '--to', issuer, '--currency', 'PTS', '--amount', '1'];
      const [refunded, wrongToken] = await Promise.all([
        webwallet(refund, adminEnv),
        webwallet([...refund, '--admin-token', `wwadmin_${'x'.repeat(43)}`], env),
      ]);
      assert.equal(refunded.code, 0, refunded.stderr);
      assert.equal(wrongToken.code, 1);
      assert.match(wrongToken.stderr, /^error: unauthenticated: /);
      assert.doesNotMatch(wrongToken.stderr, NO_STACK);
      const [view, text] = await Promise.all([
        webwalletJson<AccountView>(['balance', 'acc_shop', '--json'], env),
        webwallet(['balance', 'acc_shop'], env),
      ]);
      assert.equal(view.custodial, true);
      assert.equal(balanceOf(view, 'PTS'), '3');
      assert.match(text.stdout, /^acc_shop \(custodial\)\nCURRENCY .*\nPTS +3 +3 +0 +50\n$/);
    });

    test('receipt gives up on an unsealed transaction; unknown ids are errors', async () => {
      const [unsealed, unknownTx, unknownAccount] = await Promise.all([
        webwallet(['receipt', issuerCreated.id, '--wait-ms', '300'], env),
        // Ids other clients chose may begin with "-": "--" ends the options.
        webwallet(['receipt', '--', '-no-such-transaction'], env),
        webwallet(['balance', 'acc_nobody'], env),
      ]);
      assert.equal(unsealed.code, 1);
      assert.match(
        unsealed.stderr,
        new RegExp(
          `^error: Transaction ${issuerCreated.id} is accepted \\(seq ${issuerCreated.seq}\\) but not yet sealed in a block after 300 ms\\.\n`,
        ),
      );
      assert.match(unsealed.stderr, /--wait-ms/);
      assert.equal(unknownTx.code, 1);
      assert.match(unknownTx.stderr, /^error: transaction_not_found: /);
      assert.match(unknownTx.stderr, /"id":"-no-such-transaction"/);
      assert.equal(unknownAccount.code, 1);
      assert.match(unknownAccount.stderr, /^error: account_not_found: /);
      for (const r of [unsealed, unknownTx, unknownAccount]) assert.doesNotMatch(r.stderr, NO_STACK);
    });
  });

  test('usage and setup errors: one line on stderr, exit 1, no stack trace', async () => {
    const dir = temp.make();
    const initialized = join(dir, 'initialized');
    const openToken = join(dir, 'open-token');
    await Promise.all([
      webwalletJson(['init', '--data-dir', initialized, '--json']),
      webwalletJson(['init', '--data-dir', openToken, '--json']),
    ]);
    rmSync(join(initialized, 'admin-token')); // init makes one; this case needs it missing
    writeFileSync(join(openToken, 'admin-token'), `wwadmin_${'A'.repeat(43)}\n`, { mode: 0o644 });
    chmodSync(join(openToken, 'admin-token'), 0o644);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const results = await Promise.all([
      webwallet(['balance', 'acc_x', '--node', closed]),
      webwallet(['balance', 'acc_x', '--node', 'ftp://example']),
      webwallet(['currency', 'issue', '--key', 'k.json', '--code', 'EUR', '--scale', '19']),
      webwallet(['transfer', '--key', 'k.json', '--to', 'acc_x', '--currency', 'EUR']),
      webwallet(['transfer', '--to', 'acc_x', '--currency', 'EUR', '--amount', '1']),
      webwallet(['trust', '--key', join(dir, 'missing.json'), '--currency', 'EUR', '--limit', '1']),
      webwallet(['audit', '--data-dir', join(dir, 'empty')]),
      webwallet(['audit', '--data-dir', initialized]),
      webwallet(['audit', '--data-dir', initialized, '--node-key', 'pub_nope']),
      webwallet(['keys', 'show', '--admin-token', '--data-dir', initialized]),
      webwallet(['keys', 'show', '--admin-token', '--data-dir', openToken]),
    ]);
    const expected = [
      /^error: Cannot reach the node at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\.\nIs it running\?/,
      /^error: --node must be an http\(s\) URL/,
      /^error: option '--scale <n>' argument '19' is invalid\. the scale is an integer from 0 to 18\./,
      /^error: required option '--amount <amount>' not specified/,
      /^error: Give --key FILE \(the account's key\), or --from ACCOUNT with --admin-token/,
      /^error: No key file .*missing\.json\. Create one with "webwallet keygen --out/,
      /^error: No node key in .*empty\.\nPoint --data-dir at the node's data directory/,
      /^error: No ledger database at .*ledger\.db\./,
      /^error: "pub_nope" is not a node public key/,
      /^error: No admin token in .*initialized\. Run "webwallet init"/,
      /^error: The admin token .*admin-token is readable by other users\. Run: chmod 600 /,
    ];
    results.forEach((result, i) => {
      assert.equal(result.code, 1, `case ${i}: ${result.stderr}`);
      assert.match(result.stderr, expected[i]!, `case ${i}`);
      assert.doesNotMatch(result.stderr, NO_STACK, `case ${i}`);
    });
  });

  test('--help on every new command, and serve takes the block settings', async () => {
    const commands = [
      ['keygen'],
      ['account'],
      ['account', 'create'],
      ['currency', 'issue'],
      ['trust'],
      ['transfer'],
      ['balance'],
      ['receipt'],
      ['verify-receipt'],
      ['audit'],
      ['keys', 'show'],
      ['serve'],
      [],
    ];
    const helps = await Promise.all(commands.map((c) => webwallet([...c, '--help'])));
    helps.forEach((help, i) => {
      assert.equal(help.code, 0, commands[i]!.join(' '));
      assert.match(help.stdout, new RegExp(`^Usage: webwallet ${commands[i]!.join(' ')}`));
    });
    const [top, , , , , transfer, , receipt, verify, audit, keysShow, serve] = helps.map((h) => h.stdout);
    for (const command of [
      'keygen',
      'account',
      'currency',
      'trust',
      'transfer',
      'balance',
      'receipt',
      'verify-receipt',
      'audit',
    ]) {
      assert.match(helps.at(-1)!.stdout, new RegExp(`\n  ${command} `), command);
    }
    assert.ok(top);
    assert.match(transfer!, /--node <url>.*WEBWALLET_NODE/s);
    assert.match(transfer!, /--admin-token <token>.*WEBWALLET_ADMIN_TOKEN/s);
    assert.match(receipt!, /--wait-ms <ms>.*default: 5000/s);
    assert.match(verify!, /--node-key-file <file>/);
    assert.match(audit!, /--database-url <url>.*DATABASE_URL/s);
    assert.match(keysShow!, /--admin-token /);
    assert.match(serve!, /--block-interval-ms <ms>.*WEBWALLET_BLOCK_INTERVAL_MS/s);
    assert.match(serve!, /--block-transactions-max <n>.*WEBWALLET_BLOCK_TRANSACTIONS_MAX/s);
    const bad = await webwallet(['serve', '--block-interval-ms', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--block-interval-ms is an integer from 1/);
  });

  test('audit shows a progress bar on a terminal only', async (t) => {
    if (!sealed) return t.skip('needs the ledger of the end-to-end test');
    if (spawnSync('script', ['--version']).status !== 0) return t.skip('util-linux "script" is not installed');
    const dataDir = join(sealed.receiptFile, '..', 'data');
    // script(1) gives the command a pseudo-terminal; its output merges stdout and stderr.
    const command = [process.execPath, BIN, 'audit', '--data-dir', dataDir].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    assert.match(tty.stdout, /auditing \[.*\] 100% \| 8\/8 transactions/);
    assert.match(tty.stdout, /transactions +8/);
    const piped = await webwallet(['audit', '--data-dir', dataDir]);
    assert.doesNotMatch(piped.stderr, /auditing/);
    assert.doesNotMatch(piped.stdout, /auditing/);
  });

  test('audit of a PostgreSQL ledger (read-only, by --database-url)', async (t) => {
    const url = process.env.WEBWALLET_TEST_DATABASE_URL;
    if (!url) {
      // The ledger's own PostgreSQL suite follows the same rule (test-support.ts requireEngine).
      if (process.env.CI) throw new Error('PostgreSQL required in CI: WEBWALLET_TEST_DATABASE_URL is not set');
      return t.skip('WEBWALLET_TEST_DATABASE_URL is not set (.ci/lib.sh ensure_postgres sets it)');
    }
    const { PostgresStorage } = await import('@webwallet/ledger/postgres');
    const { Ledger, transaction } = await import('@webwallet/ledger');
    const schema = `cli_audit_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const [nodePair, issuerPair, alicePair] = await Promise.all([
      generateKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
    ]);
    const nodeKey = { publicKey: encodePrefixed('pub', nodePair.publicKey), keyPair: nodePair };
    const issuer = encodePrefixed('pub', issuerPair.publicKey);
    const alice = encodePrefixed('pub', alicePair.publicKey);
    const ledger = await Ledger.open({
      storage: await PostgresStorage.open({ url, schema }),
      nodeKey,
      block_interval_ms: 10,
      verifier_threads: 0,
    });
    try {
      const submit = async (documents: unknown[]) => {
        for (const r of await ledger.submit(documents)) assert.equal(r.status, 'accepted', JSON.stringify(r));
      };
      await submit([
        await transaction('ledger.account.create', { account: issuer }, [issuerPair]),
        await transaction('ledger.account.create', { account: alice }, [alicePair]),
      ]);
      await submit([await transaction('ledger.currency.issue', { issuer, currency: 'EUR', scale: 2 }, [issuerPair])]);
      await submit([
        await transaction('ledger.trust.set', { holder: alice, currency: 'EUR', limit: '100' }, [alicePair]),
      ]);
      await submit([
        await transaction(
          'ledger.transfer',
          { legs: [{ from: issuer, to: alice, currency: 'EUR', amount: '12.34' }] },
          [issuerPair],
        ),
      ]);
    } finally {
      await ledger.close();
    }
    try {
      const args = ['audit', '--database-url', url, '--database-schema', schema, '--node-key', nodeKey.publicKey];
      const clean = await webwalletJson<Audit & { source: string }>([...args, '--json']);
      assert.deepEqual(clean.problems, []);
      assert.equal(clean.transactions, 5);
      assert.equal(clean.lines, 2);
      assert.doesNotMatch(clean.source, /:webwallet@/, 'no password in the report');

      const writer = await PostgresStorage.open({ url, schema });
      await writer.unsafeExec(`UPDATE lines SET balance = balance + 1 WHERE holder = '${alice}' AND currency = 'EUR'`);
      await writer.close();
      const [dirty, missing] = await Promise.all([
        webwallet(args),
        webwallet([
          'audit',
          '--database-url',
          url,
          '--database-schema',
          `${schema}_none`,
          '--node-key',
          nodeKey.publicKey,
        ]),
      ]);
      assert.equal(dirty.code, 1);
      assert.ok(dirty.stdout.includes(`${alice}/EUR: stored balance 1235 != replayed 1234`), dirty.stdout);
      assert.match(dirty.stderr, /^error: the audit found 1 problem/);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^error: Cannot read the PostgreSQL ledger: /);
    } finally {
      const admin = await PostgresStorage.open({ url, schema, readonly: true });
      await admin.dropSchema();
      await admin.close();
    }
  });
});
