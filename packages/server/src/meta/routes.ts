import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { SOFTWARE_VERSION } from '../version.js';

/** What a client needs to know about a node before talking to it. */
export const NodeInfo = Type.Object(
  {
    name: Type.String({ description: 'Operator-chosen node name.' }),
    public_key: Type.String({ description: 'The node\'s Ed25519 key ("pub_…"): verifies its blocks and receipts.' }),
    api_base_url: Type.String({ description: "Base URL of this node's HTTP API." }),
    software: Type.Object({ name: Type.Literal('webwallet'), version: Type.String() }),
    protocol_version: Type.Integer({ description: 'Version of the document and signing formats.' }),
  },
  { $id: 'NodeInfo' },
);

export const Health = Type.Object({ status: Type.Literal('ok'), uptime_s: Type.Number() }, { $id: 'Health' });

export interface MetaOptions {
  name: string;
  publicKey: string;
  apiBaseUrl: () => string;
}

export function metaRoutes(app: FastifyInstance, options: MetaOptions): void {
  const started = performance.now();
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['node'],
        summary: 'Liveness check',
        description: 'Answers 200 while the node serves requests.',
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const, uptime_s: Math.round((performance.now() - started) / 1000) }),
  );
  app.get(
    '/.well-known/webwallet',
    {
      schema: {
        operationId: 'getNodeInfo',
        tags: ['node'],
        summary: 'Node identity and API location',
        description: 'The node name, its public signing key, the API base URL and the software version.',
        response: { 200: NodeInfo },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return {
        name: options.name,
        public_key: options.publicKey,
        api_base_url: options.apiBaseUrl(),
        software: { name: 'webwallet' as const, version: SOFTWARE_VERSION },
        protocol_version: 1,
      };
    },
  );
}
