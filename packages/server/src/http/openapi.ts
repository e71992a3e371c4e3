import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SOFTWARE_VERSION } from '../version.js';

/**
 * The OpenAPI 3.1 document is generated from the same route schemas that validate requests, so
 * the published API cannot drift from the enforced one. /docs renders it with Swagger UI served
 * from this node only (its assets ship in the npm package; a CSP forbids other origins).
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'WebWallet node API',
        version: SOFTWARE_VERSION,
        description:
          'Every error response has the shape {"error":{"code","message","details"}} with a stable code (see docs/errors.md). ' +
          'Request bodies are JSON (Content-Type: application/json); unknown fields are rejected.',
      },
      // Relative to where this document is served, so it is right behind any proxy.
      servers: [{ url: '/' }],
      tags: [
        { name: 'node', description: 'Node identity and health' },
        { name: 'documents', description: 'Signed documents' },
        { name: 'ledger', description: 'Transactions, accounts, currencies, signed blocks and Merkle proofs' },
        { name: 'merchants', description: 'Sign-up, store settings and API keys' },
        { name: 'invoices', description: 'Invoices and their payments (docs/processor.md)' },
        { name: 'refunds', description: 'Refunds of invoice payments' },
        { name: 'payouts', description: "Payouts and the store's balance" },
        { name: 'webhooks', description: 'Webhook endpoints, events and deliveries' },
        { name: 'payment links', description: 'Reusable links that create an invoice per visit' },
        { name: 'reports', description: 'CSV reports' },
        { name: 'sandbox', description: 'Test mode only: dummy payers, faucet, clock' },
        { name: 'checkout', description: 'Public: the hosted checkout page and its data' },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A secret key: ww_live_… acts on the live ledger, ww_test_… on the sandbox.',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // The plugin's default policy allows any https: origin for fonts and styles; allow only this
    // node. Swagger UI injects style elements at run time, hence inline styles (never scripts).
    transformStaticCSP: (header) =>
      header
        .replaceAll(' https:', '')
        .replace(' validator.swagger.io', '')
        .replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';")
        .replace('upgrade-insecure-requests;', "connect-src 'self';"),
    uiConfig: { deepLinking: true, validatorUrl: null, tryItOutEnabled: true },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
