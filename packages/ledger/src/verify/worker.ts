import { parentPort } from 'node:worker_threads';
import { checkDocument, type PrepareOptions } from './prepare.js';

/**
 * A verifier thread: checks documents' shape, schema and Ed25519 signatures off the sequencer's
 * thread, so both cores work. Messages carry plain data only.
 */
export interface VerifyRequest {
  readonly job: number;
  readonly documents: readonly unknown[];
  readonly options: PrepareOptions;
}

export type VerifyResult =
  | { ok: true; documentId: string; signers: string[] }
  | { ok: false; code: string; message: string; details: Record<string, unknown> };

export interface VerifyResponse {
  readonly job: number;
  readonly results: VerifyResult[];
}

parentPort?.on('message', (request: VerifyRequest) => {
  const results = request.documents.map((document): VerifyResult => {
    const checked = checkDocument(document, request.options);
    if (checked.ok) return { ok: true, ...checked.value };
    const { code, message, details } = checked.error;
    return { ok: false, code, message, details: { ...details } };
  });
  parentPort?.postMessage({ job: request.job, results } satisfies VerifyResponse);
});
