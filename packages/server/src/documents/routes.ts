import { DOCUMENT_SIGNATURES_MAX, verifyDocument } from '@webwallet/core';
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { sendError } from '../http/errors.js';
import { BODY_ERRORS, errorResponses, StrictObject } from '../http/schemas.js';

const PublicKeyText = Type.String({
  pattern: '^pub_[A-Za-z0-9_-]{43}$',
  description: 'Ed25519 public key, "pub_" + base64url.',
});
const SignatureText = Type.String({
  pattern: '^sig_[A-Za-z0-9_-]{86}$',
  description: 'Ed25519 signature, "sig_" + base64url.',
});

/** The signed document envelope; the same schema later validates ledger transactions. */
export const SignedDocumentSchema = StrictObject(
  {
    type: Type.String({
      pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*){0,4}$',
      maxLength: 64,
      example: 'ledger.transfer',
    }),
    version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    body: Type.Object(
      {},
      { additionalProperties: true, description: 'Type-specific content; its canonical hash is the document id.' },
    ),
    signatures: Type.Array(StrictObject({ key: PublicKeyText, sig: SignatureText }), {
      maxItems: DOCUMENT_SIGNATURES_MAX,
    }),
  },
  { $id: 'SignedDocument', description: 'A signed WebWallet document (see docs/architecture.md).' },
);

const VerifyRequest = StrictObject({
  document: Type.Unsafe<Static<typeof SignedDocumentSchema>>({ $ref: 'SignedDocument#' }),
  required_signers: Type.Optional(Type.Array(PublicKeyText, { maxItems: DOCUMENT_SIGNATURES_MAX, uniqueItems: true })),
});

const VerifyResponse = Type.Object({
  id: Type.String({ description: 'Document id: "doc_" + base64url(SHA-256(canonical body)).' }),
  signers: Type.Array(Type.String(), { description: 'Keys whose signatures verified, in document order.' }),
});

export function documentRoutes(app: FastifyInstance): void {
  app.post(
    '/v1/documents/verify',
    {
      schema: {
        operationId: 'verifyDocument',
        tags: ['documents'],
        summary: 'Verify a signed document',
        description:
          'Checks the envelope, computes the document id and verifies every signature. Lists `required_signers` to also ' +
          'require those keys; the error names the missing (`signature_missing`) or failing (`signature_invalid`) signer.',
        body: VerifyRequest,
        response: { 200: VerifyResponse, ...errorResponses(...BODY_ERRORS, 422) },
      },
    },
    async (request, reply) => {
      const { document, required_signers = [] } = request.body as Static<typeof VerifyRequest>;
      const result = await verifyDocument(document, required_signers);
      if (!result.ok) return sendError(reply, result.error);
      return result.value;
    },
  );
}
