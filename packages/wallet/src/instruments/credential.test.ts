import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { base58 } from '@scure/base';
import { generateKeyPair, keyPairFromSecret, toHex } from '@webwallet/core';
import {
  createEddsaJcs2022Proof,
  type DataIntegrityProof,
  didKeyFromPublicKey,
  didKeyVerificationMethod,
  eddsaJcs2022HashData,
  issueCredential,
  publicKeyFromDidKey,
  type VerifiableCredential,
  verifyCredential,
  verifyEddsaJcs2022Proof,
} from './credential.js';

// Known-answer vector: W3C "Data Integrity EdDSA Cryptosuites v1.0" (https://www.w3.org/TR/vc-di-eddsa/),
// appendix B.3, the eddsa-jcs-2022 examples for the Alumni Credential: the combined hash
// (#example-combine-hashes-of-proof-options-and-credential-hex-1) and the proof value
// (#example-signature-of-combined-hashes-base58-btc-1). The key pair is the spec's test key
// (w3c/vc-di-eddsa TestVectors/keyPair.json); the hashes also match TestVectors/eddsa-jcs-2022/
// proofHashJCS.txt, docHashJCS.txt and combinedHashJCS.txt in that repository.
const SPEC_PUBLIC_KEY_MULTIBASE = 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';
const SPEC_SECRET_KEY_MULTIBASE = 'z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq';
const SPEC_CONTEXT = ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'];
const SPEC_CREDENTIAL = {
  '@context': SPEC_CONTEXT,
  id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33',
  type: ['VerifiableCredential', 'AlumniCredential'],
  name: 'Alumni Credential',
  description: 'A minimum viable example of an Alumni Credential.',
  issuer: 'https://vc.example/issuers/5678',
  validFrom: '2023-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
};
const SPEC_PROOF_OPTIONS: DataIntegrityProof = {
  type: 'DataIntegrityProof',
  cryptosuite: 'eddsa-jcs-2022',
  created: '2023-02-24T23:36:38Z',
  verificationMethod: `did:key:${SPEC_PUBLIC_KEY_MULTIBASE}#${SPEC_PUBLIC_KEY_MULTIBASE}`,
  proofPurpose: 'assertionMethod',
  '@context': SPEC_CONTEXT,
};
const SPEC_PROOF_HASH = '66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db';
const SPEC_DOCUMENT_HASH = '59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19';
const SPEC_PROOF_VALUE = 'z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX';

async function specKeyPair() {
  // Multikey secret keys carry the multicodec ed25519-priv prefix (0x1300 as a varint: 0x80 0x26).
  const secret = base58.decode(SPEC_SECRET_KEY_MULTIBASE.slice(1));
  assert.deepEqual([...secret.slice(0, 2)], [0x80, 0x26]);
  return keyPairFromSecret(secret.slice(2));
}

const signedSpecCredential = () => ({
  ...SPEC_CREDENTIAL,
  proof: { ...SPEC_PROOF_OPTIONS, proofValue: SPEC_PROOF_VALUE },
});

describe('eddsa-jcs-2022 against the W3C vc-di-eddsa vector', () => {
  test('the spec key pair is the did:key of the vector', async () => {
    const keys = await specKeyPair();
    assert.equal(didKeyFromPublicKey(keys.publicKey), `did:key:${SPEC_PUBLIC_KEY_MULTIBASE}`);
    const decoded = publicKeyFromDidKey(`did:key:${SPEC_PUBLIC_KEY_MULTIBASE}`);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, keys.publicKey);
  });

  test('hashData is SHA-256(JCS(proof config)) || SHA-256(JCS(document)), byte for byte', () => {
    const hashData = eddsaJcs2022HashData(SPEC_CREDENTIAL, SPEC_PROOF_OPTIONS);
    assert.equal(toHex(hashData), SPEC_PROOF_HASH + SPEC_DOCUMENT_HASH);
  });

  test('creating the proof with the spec key gives the spec proofValue', async () => {
    const keys = await specKeyPair();
    const proof = await createEddsaJcs2022Proof(SPEC_CREDENTIAL, SPEC_PROOF_OPTIONS, keys.secretKey);
    assert.equal(proof.proofValue, SPEC_PROOF_VALUE);
    assert.deepEqual(proof['@context'], SPEC_CONTEXT);
  });

  test('the spec credential verifies with its key; altered copies do not', async () => {
    const keys = await specKeyPair();
    assert.deepEqual(await verifyEddsaJcs2022Proof(signedSpecCredential(), keys.publicKey), { ok: true, value: true });
    const subject = { ...signedSpecCredential(), credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'Other' } };
    const tampered = await verifyEddsaJcs2022Proof(subject, keys.publicKey);
    assert.equal(tampered.ok ? 'ok' : tampered.error.code, 'credential_invalid');
    const context = { ...signedSpecCredential(), '@context': ['https://www.w3.org/ns/credentials/v2'] };
    const replaced = await verifyEddsaJcs2022Proof(context, keys.publicKey);
    assert.equal(replaced.ok ? 'ok' : replaced.error.code, 'credential_invalid');
    const other = await generateKeyPair();
    const wrongKey = await verifyEddsaJcs2022Proof(signedSpecCredential(), other.publicKey);
    assert.equal(wrongKey.ok ? 'ok' : wrongKey.error.code, 'credential_invalid');
  });

  test("a context appended after the proof's still verifies (Verify Proof step 4 signs the proof's @context)", async () => {
    const keys = await specKeyPair();
    const appended = { ...signedSpecCredential(), '@context': [...SPEC_CONTEXT, 'https://extra.example/v1'] };
    assert.ok((await verifyEddsaJcs2022Proof(appended, keys.publicKey)).ok);
  });

  test('verifyCredential marks the vector unsupported: its issuer is an https URL, not a did:key', async () => {
    const result = await verifyCredential(signedSpecCredential(), { now_ms: Date.parse('2024-01-01T00:00:00Z') });
    assert.equal(result.ok ? 'ok' : result.error.code, 'credential_proof_unsupported');
  });
});

describe('verifyCredential', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  async function issued(options: Parameters<typeof issueCredential>[2] = {}) {
    const issuer = await generateKeyPair();
    const vc = await issueCredential({ id: 'did:example:alice', name: 'Alice', memberOf: 'Chess club' }, issuer, {
      types: ['MembershipCard'],
      name: 'Chess club membership',
      issuer_name: 'Chess club',
      now_ms: now - 86_400_000,
      ...options,
    });
    return { issuer, vc };
  }

  function code(result: { ok: boolean; error?: { code: string } }): string {
    return result.ok ? 'ok' : (result.error?.code ?? '');
  }

  test('a credential issued with a did:key verifies, offline', async () => {
    const { issuer, vc } = await issued({ valid_until: '2026-01-01T00:00:00Z' });
    const did = didKeyFromPublicKey(issuer.publicKey);
    assert.deepEqual(vc.issuer, { id: did, name: 'Chess club' });
    const result = await verifyCredential(vc, { now_ms: now });
    assert.deepEqual(result, {
      ok: true,
      value: {
        verified: true,
        issuer: did,
        cryptosuite: 'eddsa-jcs-2022',
        verification_method: didKeyVerificationMethod(did),
      },
    });
  });

  test('it survives a JSON round trip (key order does not matter to JCS)', async () => {
    const { vc } = await issued();
    const reordered = JSON.parse(JSON.stringify(vc, Object.keys(vc).reverse())) as Record<string, unknown>;
    const shuffled = { ...reordered, ...JSON.parse(JSON.stringify(vc)) };
    assert.equal(code(await verifyCredential(shuffled, { now_ms: now })), 'ok');
  });

  test('a tampered subject, name, issuer or proof is credential_invalid', async () => {
    const { vc } = await issued();
    const subject = { ...vc, credentialSubject: { id: 'did:example:alice', name: 'Mallory', memberOf: 'Chess club' } };
    assert.equal(code(await verifyCredential(subject, { now_ms: now })), 'credential_invalid');
    assert.equal(code(await verifyCredential({ ...vc, name: 'Gold card' }, { now_ms: now })), 'credential_invalid');
    const proof = vc.proof as DataIntegrityProof;
    const created = { ...vc, proof: { ...proof, created: '2020-01-01T00:00:00Z' } };
    assert.equal(code(await verifyCredential(created, { now_ms: now })), 'credential_invalid');
    const value = proof.proofValue as string;
    const flipped = {
      ...vc,
      proof: { ...proof, proofValue: `${value.slice(0, -2)}${value.endsWith('11') ? '22' : '11'}` },
    };
    assert.equal(code(await verifyCredential(flipped, { now_ms: now })), 'credential_invalid');
    const garbled = { ...vc, proof: { ...proof, proofValue: 'z0OIl' } };
    assert.equal(code(await verifyCredential(garbled, { now_ms: now })), 'credential_invalid');
  });

  test('a tampered credential that is also expired reports the tampering', async () => {
    const { vc } = await issued({ valid_until: '2025-01-01T00:00:00Z' });
    const tampered = { ...vc, credentialSubject: { id: 'did:example:mallory' } };
    assert.equal(code(await verifyCredential(tampered, { now_ms: now })), 'credential_invalid');
  });

  test('a proof by a key that is not the issuer is credential_invalid', async () => {
    const { issuer, vc } = await issued();
    const other = await generateKeyPair();
    const { proof: _proof, ...unsigned } = vc;
    const options = (verificationMethod: string): DataIntegrityProof => ({
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-jcs-2022',
      verificationMethod,
      proofPurpose: 'assertionMethod',
    });
    // Signed by another did:key that says so: not the issuer's key.
    const otherMethod = didKeyVerificationMethod(didKeyFromPublicKey(other.publicKey));
    const named = await createEddsaJcs2022Proof(unsigned, options(otherMethod), other.secretKey);
    assert.equal(code(await verifyCredential({ ...unsigned, proof: named }, { now_ms: now })), 'credential_invalid');
    // Signed by another key that claims to be the issuer's: the signature fails.
    const issuerMethod = didKeyVerificationMethod(didKeyFromPublicKey(issuer.publicKey));
    const forged = await createEddsaJcs2022Proof(unsigned, options(issuerMethod), other.secretKey);
    assert.equal(code(await verifyCredential({ ...unsigned, proof: forged }, { now_ms: now })), 'credential_invalid');
  });

  test('a proof for another purpose is credential_invalid', async () => {
    const issuer = await generateKeyPair();
    const did = didKeyFromPublicKey(issuer.publicKey);
    const { vc } = await issued();
    const { proof: _proof, ...unsigned } = { ...vc, issuer: did };
    const proof = await createEddsaJcs2022Proof(
      unsigned,
      {
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-jcs-2022',
        verificationMethod: didKeyVerificationMethod(did),
        proofPurpose: 'authentication',
      },
      issuer.secretKey,
    );
    assert.equal(code(await verifyCredential({ ...unsigned, proof }, { now_ms: now })), 'credential_invalid');
  });

  test('validUntil in the past or validFrom in the future is credential_expired', async () => {
    const { vc: old } = await issued({ valid_until: '2025-02-01T00:00:00Z' });
    const expired = await verifyCredential(old, { now_ms: now });
    assert.equal(code(expired), 'credential_expired');
    assert.equal(expired.ok ? '' : expired.error.details.valid_until, '2025-02-01T00:00:00Z');
    const { vc: future } = await issued({ valid_from: '2025-06-01T00:00:00+02:00' });
    const early = await verifyCredential(future, { now_ms: now });
    assert.equal(code(early), 'credential_expired');
    assert.equal(early.ok ? '' : early.error.details.reason, 'not valid yet');
    assert.equal(code(await verifyCredential(future, { now_ms: Date.parse('2025-07-01T00:00:00Z') })), 'ok');
  });

  test('unknown proofs and issuers that are not did:key are credential_proof_unsupported', async () => {
    const { vc } = await issued();
    const proof = vc.proof as DataIntegrityProof;
    const cases: unknown[] = [
      { ...vc, proof: undefined },
      { ...vc, proof: { ...proof, type: 'Ed25519Signature2020', cryptosuite: undefined } },
      { ...vc, proof: { ...proof, cryptosuite: 'ecdsa-jcs-2019' } },
      { ...vc, proof: [proof, proof] },
      { ...vc, issuer: 'did:web:club.example' },
      // A P-256 did:key (multicodec 0x1200): a real did:key, but not an Ed25519 one.
      { ...vc, issuer: 'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169' },
    ];
    for (const c of cases) {
      const result = await verifyCredential(JSON.parse(JSON.stringify(c)), { now_ms: now });
      assert.equal(code(result), 'credential_proof_unsupported', JSON.stringify(result));
    }
  });

  test('malformed credentials are credential_invalid', async () => {
    const { vc } = await issued();
    const cases: unknown[] = [
      'a string',
      null,
      [],
      { ...vc, '@context': ['https://www.w3.org/2018/credentials/v1'] },
      { ...vc, type: ['MembershipCard'] },
      { ...vc, issuer: { name: 'no id' } },
      { ...vc, credentialSubject: 'alice' },
      { ...vc, validUntil: 'next year' },
      { ...vc, validFrom: '2025-01-01T00:00:00' },
      { ...vc, proof: 'z123' },
    ];
    for (const c of cases) {
      assert.equal(code(await verifyCredential(c, { now_ms: now })), 'credential_invalid', JSON.stringify(c));
    }
  });

  test('a credential larger than the limit is refused before any hashing', async () => {
    const { vc } = await issued();
    const big: VerifiableCredential = { ...vc, credentialSubject: { id: 'did:example:a', blob: 'x'.repeat(70_000) } };
    const result = await verifyCredential(big, { now_ms: now });
    assert.equal(code(result), 'credential_invalid');
    assert.match(String(result.ok ? '' : result.error.details.reason), /larger than/);
  });

  test('issueCredential refuses a subject that is not an object', async () => {
    const issuer = await generateKeyPair();
    await assert.rejects(() => issueCredential('alice' as never, issuer), TypeError);
  });
});
