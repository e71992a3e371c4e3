import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** Markup that is already safe: produced by `html` or deliberately trusted (e.g. the QR code SVG). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Template tag that escapes every interpolated value unless it is `SafeHtml`, so untrusted text
 * (merchant names, descriptions) cannot be forgotten unescaped. `null`, `undefined` and `false`
 * render nothing, which keeps conditional fragments short.
 *
 * @example html`<p>${merchantName}</p>` // "<p>&lt;b&gt;Acme&lt;/b&gt;</p>" for "<b>Acme</b>"
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/**
 * JSON inside `<script type="application/json">`: escaping "<" keeps "</script>" and "<!--" in
 * untrusted strings from ending the element (HTML Standard, "Restrictions for contents of script
 * elements"); JSON.parse reads "\u003c" back as "<".
 */
export function jsonScript(value: unknown): SafeHtml {
  return new SafeHtml(JSON.stringify(value).replace(/</g, '\\u003c'));
}

/** A fresh CSP nonce for one response (128 random bits, as CSP3 recommends). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The pages' Content-Security-Policy: nothing loads unless named here. Scripts and styles run only
 * with this response's nonce, requests go only to this node, forms post only to it, and no other
 * site may frame the page (clickjacking on a payment page).
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Sends an HTML page with the security headers every checkout page carries. */
export function sendHtml(reply: FastifyReply, status: number, nonce: string, page: SafeHtml): FastifyReply {
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', contentSecurityPolicy(nonce))
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      // The invoice id in the URL is the capability to view the invoice: keep it out of Referer
      // headers sent to the merchant's redirect_url or anywhere else.
      .header('referrer-policy', 'no-referrer')
      // The status changes while the page is open; a cached copy would show a stale one.
      .header('cache-control', 'no-store')
      .send(page.value)
  );
}
