import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkWebhookUrl,
  forbiddenAddressReason,
  forbiddenHostReason,
  type LookupAll,
  resolveDeliveryAddress,
  WEBHOOK_URL_LENGTH_MAX,
} from './url-policy.js';

const strict = { allow_private: false };
const lax = { allow_private: true };

describe('checkWebhookUrl', () => {
  const accepted = [
    'https://shop.example/hooks',
    'http://shop.example:8080/hooks?store=st_1&x=%20',
    'https://93.184.216.34/hooks',
    'https://[2606:4700:4700::1111]/hooks',
    'https://xn--caf-dma.example/',
    'https://localhost.example.com/', // only the localhost TLD is local
    'https://8.8.8.8/',
  ];
  for (const url of accepted) {
    test(`accepts ${url}`, () => {
      const result = checkWebhookUrl(url, strict);
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      assert.ok(result.value instanceof URL);
    });
  }

  const invalid: [string, string][] = [
    ['shop.example/hooks', 'not_absolute_url'],
    ['/hooks', 'not_absolute_url'],
    ['ftp://shop.example/hooks', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['https://user:pass@shop.example/', 'credentials'],
    ['https://user@shop.example/', 'credentials'],
    ['https://shop.example/hooks#frag', 'fragment'],
    ['https://shop.example/hooks#', 'fragment'],
    [' https://shop.example/', 'whitespace_or_control_character'],
    ['https://shop.example/a\tb', 'whitespace_or_control_character'],
    ['https://shop.example/a b', 'whitespace_or_control_character'],
    [`https://shop.example/${'a'.repeat(WEBHOOK_URL_LENGTH_MAX)}`, 'too_long'],
    ['http://[::1/', 'not_absolute_url'],
  ];
  for (const [url, reason] of invalid) {
    test(`refuses ${url.slice(0, 60)} as ${reason}`, () => {
      for (const options of [strict, lax]) {
        const result = checkWebhookUrl(url, options);
        assert.equal(result.ok, false);
        assert.equal(result.ok ? '' : result.error.code, 'webhook_url_invalid');
        assert.equal(result.ok ? '' : result.error.details.reason, reason);
      }
    });
  }

  test('accepts a URL of exactly the maximum length', () => {
    const base = 'https://shop.example/';
    assert.ok(checkWebhookUrl(base + 'a'.repeat(WEBHOOK_URL_LENGTH_MAX - base.length), strict).ok);
  });

  const forbidden: [string, string][] = [
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'], // the WHATWG parser normalises short and hex forms
    ['http://0x7f000001/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'shared_address_space'],
    ['http://169.254.169.254/latest/meta-data', 'link_local'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'reserved'],
    ['http://[::1]/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:a9fe:a9fe]/', 'link_local'],
    ['http://[64:ff9b::10.0.0.1]/', 'private'],
    ['http://[2002:c0a8:101::1]/', 'private'],
    ['http://[fc00::1]/', 'unique_local'],
    ['http://[fd12:3456::1]/', 'unique_local'],
    ['http://[fe80::1]/', 'link_local'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://localhost/', 'local_name'],
    ['http://LOCALHOST:3000/', 'local_name'],
    ['http://localhost./', 'local_name'],
    ['http://api.localhost/', 'local_name'],
    ['http://printer.local/', 'local_name'],
    ['http://router.home.arpa/', 'local_name'],
    ['http://db.internal/', 'local_name'],
  ];
  for (const [url, reason] of forbidden) {
    test(`forbids ${url} (${reason}) unless allow_private`, () => {
      const result = checkWebhookUrl(url, strict);
      assert.equal(result.ok ? '' : result.error.code, 'webhook_url_forbidden');
      assert.equal(result.ok ? '' : result.error.details.reason, reason);
      assert.ok(checkWebhookUrl(url, lax).ok);
    });
  }

  test('172.15.x and 172.32.x are public, 172.16/12 is not', () => {
    assert.equal(forbiddenHostReason('172.15.255.255'), undefined);
    assert.equal(forbiddenHostReason('172.32.0.0'), undefined);
    assert.equal(forbiddenHostReason('100.63.255.255'), undefined);
    assert.equal(forbiddenHostReason('100.128.0.0'), undefined);
  });
});

describe('forbiddenAddressReason', () => {
  const table: [string, string | undefined][] = [
    ['8.8.8.8', undefined],
    ['1.1.1.1', undefined],
    ['127.255.255.254', 'loopback'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['2606:4700:4700::1111', undefined],
    ['2001:4860:4860::8888', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['::ffff:808:808', undefined],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:0:0', 'unspecified'],
    ['64:ff9b::8.8.8.8', undefined],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b:1::1', 'private'],
    ['2002:0808:0808::1', undefined],
    ['2002:7f00:1::', 'loopback'],
    ['::127.0.0.1', 'reserved'],
    ['::2', 'reserved'],
    ['100::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'site_local'],
    ['fbff::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['1:2:3:4:5:6:7:8', 'reserved'],
  ];
  for (const [address, reason] of table) {
    test(`${address} → ${reason ?? 'public'}`, () => {
      assert.equal(forbiddenAddressReason(address), reason);
    });
  }

  test('throws on something that is not an address', () => {
    assert.throws(() => forbiddenAddressReason('example.com'), RangeError);
  });
});

describe('resolveDeliveryAddress', () => {
  const fakeDns =
    (...addresses: string[]): LookupAll =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  test('connects to the first resolved address when all are public', async () => {
    const result = await resolveDeliveryAddress(new URL('https://shop.example/'), {
      ...strict,
      lookup: fakeDns('2606:4700::1', '93.184.216.34'),
    });
    assert.deepEqual(result.ok && result.value, {
      address: '2606:4700::1',
      family: 6,
      addresses: [
        { address: '2606:4700::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
  });

  test('refuses when any resolved address is private (DNS rebinding, mixed answers)', async () => {
    const result = await resolveDeliveryAddress(new URL('https://shop.example/'), {
      ...strict,
      lookup: fakeDns('93.184.216.34', '10.0.0.5'),
    });
    assert.equal(result.ok ? '' : result.error.code, 'webhook_url_forbidden');
    assert.equal(result.ok ? '' : result.error.details.address, '10.0.0.5');
    assert.equal(result.ok ? '' : result.error.details.reason, 'private');
  });

  test('allow_private lets private answers through', async () => {
    const result = await resolveDeliveryAddress(new URL('https://shop.example/'), {
      ...lax,
      lookup: fakeDns('10.0.0.5'),
    });
    assert.deepEqual(result.ok && result.value, {
      address: '10.0.0.5',
      family: 4,
      addresses: [{ address: '10.0.0.5', family: 4 }],
    });
  });

  test('IP literals are used as they are, without DNS', async () => {
    const noDns: LookupAll = async () => assert.fail('DNS must not be asked about a literal');
    const v6 = await resolveDeliveryAddress(new URL('http://[2606:4700::1]:8080/'), { ...strict, lookup: noDns });
    assert.deepEqual(v6.ok && v6.value, {
      address: '2606:4700::1',
      family: 6,
      addresses: [{ address: '2606:4700::1', family: 6 }],
    });
    const loopback = await resolveDeliveryAddress(new URL('http://127.0.0.1/'), { ...strict, lookup: noDns });
    assert.equal(loopback.ok ? '' : loopback.error.code, 'webhook_url_forbidden');
  });

  test('the real resolver: localhost resolves to loopback and is refused', async () => {
    const result = await resolveDeliveryAddress(new URL('http://localhost/'), strict);
    assert.equal(result.ok ? '' : result.error.code, 'webhook_url_forbidden');
    assert.equal(result.ok ? '' : result.error.details.reason, 'loopback');
  });

  test('DNS failures and empty answers reject (the worker retries them)', async () => {
    const failing: LookupAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND shop.example'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(resolveDeliveryAddress(new URL('https://shop.example/'), { ...strict, lookup: failing }));
    await assert.rejects(resolveDeliveryAddress(new URL('https://shop.example/'), { ...strict, lookup: fakeDns() }));
  });
});
