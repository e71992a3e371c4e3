import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { serveNode, TempDirs, webwallet, webwalletJson } from './test-helpers.js';

const temp = new TempDirs();
after(() => temp.removeAll());

interface SignUp {
  merchant: { id: string; name: string };
  store: { id: string };
  keys: { live: string; test: string };
}

test('merchant create signs up a merchant with the local admin token; its test key creates invoices', async () => {
  const dir = temp.make();
  const node = await serveNode(['--data-dir', dir]);
  try {
    const created = await webwalletJson<SignUp>([
      'merchant',
      'create',
      '--name',
      'Tea Shop',
      '--data-dir',
      dir,
      '--node',
      node.url,
      '--json',
    ]);
    assert.equal(created.merchant.name, 'Tea Shop');
    assert.match(created.keys.test, /^ww_test_[0-9A-Za-z]{32}$/);
    assert.match(created.keys.live, /^ww_live_[0-9A-Za-z]{32}$/);
    const response = await fetch(`${node.url}/v1/invoices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.keys.test}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '3.50', currency: 'USD' }),
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('webwallet-mode'), 'test');

    const text = await webwallet(['merchant', 'create', '--name', 'Second', '--data-dir', dir, '--node', node.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /test key {2}ww_test_/);

    const noToken = await webwallet([
      'merchant',
      'create',
      '--name',
      'X',
      '--data-dir',
      temp.make(),
      '--node',
      node.url,
    ]);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /^error: Merchant sign-up needs the node's admin token/);
    const wrong = await webwallet(['merchant', 'create', '--name', 'X', '--admin-token', 'nope', '--node', node.url]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /signup_closed/);
  } finally {
    await node.stop();
  }
});
