/**
 * `webwallet wallet …` end to end: the real binary, a real node, real payments. The wallet is
 * made from a new recovery phrase, funded, pays a payment link, keeps the receipt, and restores
 * from its phrase and from an encrypted backup to the same accounts and receipts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePrefixed, generateKeyPair, type KeyPair, type SignedDocument } from '@webwallet/core';
import { transaction } from '@webwallet/ledger';
import { type RunningNode, startNode } from '@webwallet/server';
import { TempDirs, webwallet, webwalletJson } from './test-helpers.js';

const temp = new TempDirs();
after(() => temp.removeAll());

const PASSPHRASE = 'correct horse battery staple';
const env = { WEBWALLET_PASSPHRASE: PASSPHRASE };

async function submit(url: string, documents: readonly Promise<SignedDocument>[]): Promise<void> {
  const response = await fetch(`${url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents: await Promise.all(documents) }),
  });
  const { results } = (await response.json()) as { results: { status: string }[] };
  for (const r of results) assert.equal(r.status, 'accepted', JSON.stringify(results));
}

interface Created {
  wallet_id: string;
  accounts: { index: number; id: string }[];
  recovery_phrase: string;
}

describe('webwallet wallet, against a real node', () => {
  let node: RunningNode;
  let issuer: { id: string; keys: KeyPair };
  let shop: { id: string; keys: KeyPair };
  const walletDir = join(temp.make(), 'wallet');
  let created: Created;

  before(async () => {
    node = await startNode({ port: 0, data_dir: temp.make(), log_level: 'silent', block_interval_ms: 50 });
    const [i, s] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    issuer = { id: encodePrefixed('pub', i.publicKey), keys: i };
    shop = { id: encodePrefixed('pub', s.publicKey), keys: s };
    await submit(node.url, [
      transaction('ledger.account.create', { account: issuer.id }, [issuer.keys]),
      transaction('ledger.account.create', { account: shop.id }, [shop.keys]),
    ]);
    await submit(node.url, [
      transaction('ledger.currency.issue', { issuer: issuer.id, currency: 'EUR', scale: 2 }, [issuer.keys]),
    ]);
    await submit(node.url, [
      transaction('ledger.trust.set', { holder: shop.id, currency: 'EUR', limit: '1000' }, [shop.keys]),
    ]);
  });
  after(() => node?.close());

  const run = (args: string[], extra: Record<string, string> = {}) =>
    webwallet(['wallet', ...args, '--wallet-dir', walletDir], { ...env, ...extra });

  test('create: a recovery phrase, an account opened on the node, a 0600 wallet file', async () => {
    created = await webwalletJson<Created>(
      ['wallet', 'create', '--node', node.url, '--wallet-dir', walletDir, '--json'],
      env,
    );
    assert.equal(created.recovery_phrase.split(' ').length, 24);
    assert.match(created.wallet_id, /^wal_/);
    const [account] = created.accounts;
    assert.ok(account);
    assert.ok((await fetch(`${node.url}/v1/accounts/${account.id}`)).ok, 'the account exists on the ledger');
    const file = join(walletDir, 'wallet.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(
      !readFileSync(file, 'utf8').includes(created.recovery_phrase.split(' ')[0] ?? '?'),
      'the phrase is sealed',
    );
    const again = await run(['create', '--node', node.url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a wallet/);
  });

  test('trust, get funded, see the balance (no passphrase needed for balances)', async () => {
    const account = created.accounts[0]!.id;
    assert.equal((await run(['trust', '--currency', 'EUR', '--limit', '500'])).code, 0);
    const legs = [{ from: issuer.id, to: account, currency: 'EUR', amount: '100.00' }];
    await submit(node.url, [transaction('ledger.transfer', { legs }, [issuer.keys])]);
    const balance = await webwalletJson<{ accounts: { balances: { currency: string; balance: string }[] }[] }>(
      ['wallet', 'balance', '--wallet-dir', walletDir, '--json'],
      { WEBWALLET_PASSPHRASE: '' },
    );
    assert.equal(balance.accounts[0]?.balances.find((b) => b.currency === 'EUR')?.balance, '100.00');
  });

  test('pay a payment link: review first, --yes pays and stores a receipt that verifies', async () => {
    const uri = `web+webwallet:pay?node=${encodeURIComponent(node.url)}&to=${shop.id}&amount=12.50&currency=EUR&memo=order-42`;
    const review = await run(['pay', uri]);
    assert.equal(review.code, 0, review.stderr);
    assert.match(review.stdout, /Pay 12\.50 EUR to pub_/);
    assert.match(review.stdout, /Add --yes to pay/);
    const paid = JSON.parse((await run(['pay', uri, '--yes', '--json'])).stdout) as {
      paid: boolean;
      transaction_id: string;
    };
    assert.equal(paid.paid, true);
    const receipts = JSON.parse((await run(['receipts', '--verify', '--json'])).stdout) as {
      receipts: { verified: boolean; receipt: { document: { body: { id: string; memo?: string } } } }[];
    };
    assert.equal(receipts.receipts.length, 1);
    assert.equal(receipts.receipts[0]?.verified, true);
    assert.equal(receipts.receipts[0]?.receipt.document.body.memo, 'order-42');
    const shopView = (await (await fetch(`${node.url}/v1/accounts/${shop.id}`)).json()) as {
      balances: { currency: string; balance: string }[];
    };
    assert.equal(shopView.balances.find((b) => b.currency === 'EUR')?.balance, '12.50', 'paid exactly once');
    const broke = await run(['pay', uri.replace('12.50', '5000.00'), '--yes']);
    assert.equal(broke.code, 1);
    assert.match(broke.stderr, /insufficient_funds/);
  });

  test('a wrong passphrase opens nothing', async () => {
    const wrong = await run(['receipts'], { WEBWALLET_PASSPHRASE: 'not the passphrase' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /passphrase_wrong/);
  });

  test('restore from the recovery phrase gives the same accounts; from a backup also the receipts', async () => {
    const dir = temp.make();
    const phraseFile = join(dir, 'phrase.txt');
    writeFileSync(phraseFile, `${created.recovery_phrase}\n`);
    const restored = await webwalletJson<Created>(
      ['wallet', 'import', '--phrase-file', phraseFile, '--node', node.url, '--wallet-dir', join(dir, 'a'), '--json'],
      env,
    );
    assert.equal(restored.wallet_id, created.wallet_id);
    assert.deepEqual(restored.accounts, created.accounts);

    const backup = join(dir, 'backup.json');
    assert.equal((await run(['backup', '--out', backup])).code, 0);
    assert.equal(statSync(backup).mode & 0o777, 0o600);
    assert.equal((await run(['backup', '--out', backup])).code, 1, 'never overwritten');
    const fromBackup = join(dir, 'b');
    await webwalletJson(
      ['wallet', 'import', '--backup', backup, '--node', node.url, '--wallet-dir', fromBackup, '--json'],
      env,
    );
    const receipts = JSON.parse(
      (await webwallet(['wallet', 'receipts', '--json', '--wallet-dir', fromBackup], env)).stdout,
    ) as { receipts: unknown[] };
    assert.equal(receipts.receipts.length, 1, 'the backup carried the receipt');
    assert.ok(existsSync(join(fromBackup, 'wallet.json')));
  });

  test('sync and devices: pair a second device, converge, remove it', async () => {
    const second = join(temp.make(), 'second');
    const first = await run(['sync', '--device-name', 'laptop', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { rejected_total: number }).rejected_total, 0);
    const invited = await run(['devices', '--invite', '--json']);
    assert.equal(invited.code, 0, invited.stderr);
    const { pairing } = JSON.parse(invited.stdout) as { pairing: { uri: string } };
    const paired = await webwalletJson<{ wallet_id: string; accounts: unknown[] }>(
      ['wallet', 'import', '--pair', pairing.uri, '--node', node.url, '--wallet-dir', second, '--json'],
      env,
    );
    assert.equal(paired.wallet_id, created.wallet_id);
    assert.deepEqual(paired.accounts, created.accounts);
    const receiptsOn = async (dir: string) =>
      (
        JSON.parse((await webwallet(['wallet', 'receipts', '--json', '--wallet-dir', dir], env)).stdout) as {
          receipts: unknown[];
        }
      ).receipts.length;
    assert.equal(await receiptsOn(second), 1, 'the receipt came over');

    const uri = `web+webwallet:pay?node=${encodeURIComponent(node.url)}&to=${shop.id}&amount=1.00&currency=EUR&memo=order-43`;
    assert.equal((await run(['pay', uri, '--yes'])).code, 0);
    assert.equal((await run(['sync'])).code, 0);
    assert.equal((await webwallet(['wallet', 'sync', '--wallet-dir', second], env)).code, 0);
    assert.equal(await receiptsOn(second), 2, 'a later payment arrives after sync');

    const devices = JSON.parse((await run(['devices', '--json'])).stdout) as {
      devices: { device_key: string; self: boolean }[];
    };
    assert.equal(devices.devices.length, 2);
    const other = devices.devices.find((d) => !d.self);
    assert.ok(other);
    assert.equal((await run(['devices', '--remove', other.device_key])).code, 0);
    const refused = await webwallet(['wallet', 'sync', '--wallet-dir', second], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /relay_not_member|removed/);
  });
});
