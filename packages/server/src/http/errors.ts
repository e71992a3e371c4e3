import { type ErrorCode, type ErrorDetails, WebWalletError } from '@webwallet/core';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { VALIDATION_ERRORS_MAX } from './validation.js';

/** Sends a WebWalletError in the node's one error shape. */
export function sendError(reply: FastifyReply, error: WebWalletError): FastifyReply {
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toJSON());
}

/** Fastify's own request errors, mapped to stable WebWallet codes. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_request',
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function validationDetails(error: FastifyError): ErrorDetails {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const errors = issues.slice(0, VALIDATION_ERRORS_MAX).map((issue) => {
    const where = error.validationContext ?? 'body';
    const path = `${where}${issue.instancePath ?? ''}`;
    if (issue.keyword === 'additionalProperties') {
      const field = String(issue.params?.additionalProperty ?? '');
      return { path: `${path}/${field}`, message: `unknown field "${field}"` };
    }
    return { path, message: issue.message ?? 'is invalid' };
  });
  return { errors, errors_total: issues.length };
}

/** Turns any error into a WebWalletError; unknown ones become internal_error. */
export function toWebWalletError(error: unknown): WebWalletError {
  if (error instanceof WebWalletError) return error;
  const e = error as FastifyError;
  if (e?.validation) return new WebWalletError('invalid_request', validationDetails(e));
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped === 'payload_too_large') return new WebWalletError(mapped, {});
  if (mapped) return new WebWalletError(mapped, { reason: e.message });
  if (e instanceof SyntaxError) return new WebWalletError('invalid_json', { reason: e.message });
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new WebWalletError('invalid_request', { reason: e.message });
  }
  return new WebWalletError('internal_error');
}

export function installErrorHandlers(app: FastifyInstance, bodyBytesMax: number): void {
  app.setErrorHandler((error, request, reply) => {
    let wwError = toWebWalletError(error);
    if (wwError.code === 'payload_too_large')
      wwError = new WebWalletError('payload_too_large', { body_bytes_max: bodyBytesMax });
    if (wwError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: wwError.code }, 'request rejected');
    return sendError(reply, wwError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new WebWalletError('route_not_found', {
        method: request.method,
        path: (request.url.split('?')[0] ?? '').slice(0, 256),
      }),
    ),
  );
}
