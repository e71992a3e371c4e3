import { ERROR_CODES, ERRORS } from './errors.js';

/** docs/errors.md, rendered from the error table (npm run docs:errors writes it; a test compares). */
export function errorsMarkdown(): string {
  const rows = ERROR_CODES.map(
    (code) => `| \`${code}\` | ${ERRORS[code].status} | ${ERRORS[code].message.replaceAll('|', '\\|')} |`,
  );
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/core/src/errors.ts by `npm run docs:errors`. Do not edit by hand. -->',
    '',
    'Every error the node returns has one shape, whatever the endpoint:',
    '',
    '```json',
    '{"error": {"code": "invalid_request", "message": "…how to fix it…", "details": {"errors": [{"path": "body/x", "message": "unknown field \\"x\\""}]}}}',
    '```',
    '',
    '- `code` is stable: program against it. New codes may be added; existing ones keep their meaning and status.',
    '- `message` says what went wrong and how to fix it; it may be reworded.',
    '- `details` holds code-specific facts (the failing field, the missing signer, the limit that was hit).',
    '- Every response carries an `X-Request-Id` header (yours, if you sent a sane one); quote it when reporting a 500.',
    '',
    'In `@webwallet/core`, expected failures are returned as `Result` values (`{ ok: false, error }`) carrying a',
    '`WebWalletError` with the same code; programming errors throw.',
    '',
    '| code | HTTP status | meaning and fix |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
