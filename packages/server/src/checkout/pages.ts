import { toString as qrToString } from 'qrcode';
import { CLIENT_SCRIPT } from './client.js';
import { html, jsonScript, SafeHtml } from './html.js';
import type { CheckoutView, PaymentLinkView } from './source.js';
import { describeStatus, formatRemaining } from './status-text.js';

/**
 * One stylesheet for every page. Layout rule for the checkout page: every part whose content
 * changes with the status has a fixed size (status text, QR box, actions), and parts are hidden
 * with `visibility` rather than `display`, so a status change never moves anything (no layout
 * shift, WCAG-friendly for screen magnifier users too).
 */
const CSS = `
:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--fg:#17191c;--muted:#4f5661;--line:#d4d8de;--accent:#1d4ed8;--on-accent:#fff;--ok:#11703c;--bad:#b42318;--test-bg:#fff1c2;--test-fg:#5c3a00}
@media (prefers-color-scheme:dark){:root{--bg:#101317;--card:#1a1e24;--fg:#e9ebee;--muted:#a9b0ba;--line:#3a414b;--accent:#8db4ff;--on-accent:#0a1020;--ok:#67d494;--bad:#ff9b90;--test-bg:#3f2f00;--test-fg:#ffdf80}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.banner{margin:0;padding:.5rem 1rem;background:var(--test-bg);color:var(--test-fg);text-align:center;font-weight:700}
main{width:min(26rem,calc(100% - 1.5rem));margin:1rem auto}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.25rem 1rem}
.merchant,.desc,h1,.foot,.status p{overflow-wrap:anywhere;margin:0}
.merchant{color:var(--muted);font-weight:600}
h1{font-size:1.75rem;line-height:1.25;margin:.25rem 0}
.desc{color:var(--muted)}
.state{margin:1rem 0 .75rem}
.status p{overflow:hidden}
.status-title{font-size:1.25rem;line-height:1.75rem;height:3.5rem;font-weight:700}
@media (min-width:30rem){.status-title{height:1.75rem}}
[data-status=Settled] .status-title{color:var(--ok)}
[data-status=Expired] .status-title,[data-status=Invalid] .status-title{color:var(--bad)}
.status-detail{font-size:.9375rem;line-height:1.375rem;height:4.125rem}
.timer{height:1.5rem;margin:0;color:var(--muted);font-variant-numeric:tabular-nums}
.qr-box{display:grid;width:min(15rem,100%);aspect-ratio:1;margin:0 auto;border-radius:8px;background:#fff;border:1px solid var(--line)}
.qr-box>*{grid-area:1/1;margin:0;min-width:0;min-height:0}
.qr{padding:.75rem}
.qr svg,.qr img{display:block;width:100%;height:100%}
.qr-symbol{display:flex;align-items:center;justify-content:center;font-size:5rem;line-height:1;color:#17191c}
.actions{display:grid;margin-top:1rem}
.actions>*{grid-area:1/1}
.buttons{display:grid;gap:.5rem;align-content:start}
.btn{display:flex;align-items:center;justify-content:center;min-height:3rem;padding:.5rem 1rem;border:1px solid var(--line);border-radius:8px;background:var(--card);color:var(--fg);font:inherit;font-weight:600;text-decoration:none;cursor:pointer;text-align:center;overflow-wrap:anywhere}
.btn.primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}
.btn:disabled{opacity:.6;cursor:progress}
.msg{height:4.125rem;margin:.5rem 0 0;font-size:.875rem;line-height:1.375rem;overflow:hidden;color:var(--muted)}
.uri label{display:block;font-size:.875rem;font-weight:600;margin-bottom:.25rem}
.copy{display:flex;gap:.5rem}
.copy input{flex:1;min-width:0;min-height:2.75rem;padding:.25rem .5rem;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);font:.875rem ui-monospace,SFMono-Regular,Menlo,monospace}
.copy .btn{min-height:2.75rem;min-width:5rem}
.note{height:1.5rem;margin:0;font-size:.875rem;color:var(--muted)}
.foot{margin-top:1rem;font-size:.8125rem;color:var(--muted)}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
main:not([data-phase=pay]) .pay-only,main:not([data-phase=done]) .done-only,main[data-phase=pay] .not-pay{visibility:hidden}
form{display:grid;gap:.5rem;margin-top:1rem}
form label{font-weight:600}
form input{min-height:3rem;padding:.5rem .75rem;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);font:inherit;font-size:1.25rem;width:100%}
form input[aria-invalid=true]{border-color:var(--bad)}
.hint{margin:0;font-size:.875rem;color:var(--muted)}
.error{margin:0;font-weight:600;color:var(--bad)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
`
  .trim()
  .replace(/\n/g, '');

function page(nonce: string, title: string, body: SafeHtml, script?: string): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${title}</title>
<style nonce="${nonce}">${new SafeHtml(CSS)}</style>
</head>
<body>
${body}
${script === undefined ? null : html`<script nonce="${nonce}">${new SafeHtml(script)}</script>`}
</body>
</html>
`;
}

/** An http(s) URL, or undefined: other schemes (javascript:, data:) are never linked or followed. */
export function httpUrl(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** The QR code of a payment URI as an SVG document (for `<img>` and the qr.svg route). */
export async function qrSvg(text: string): Promise<string> {
  // Level M survives a smudged or partly covered code; margin 4 is the quiet zone ISO/IEC 18004 asks for.
  return qrToString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

/** The same QR code for inlining in HTML: labelled for screen readers, no XML namespace needed. */
async function inlineQr(text: string): Promise<SafeHtml> {
  const svg = await qrSvg(text);
  return new SafeHtml(
    svg
      .trim()
      .replace(
        /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /,
        '<svg role="img" aria-label="QR code for paying with a wallet app" focusable="false" ',
      ),
  );
}

/** The hosted checkout page of one invoice (`GET /i/{id}`). */
export interface CheckoutPageOptions {
  /**
   * Path of this node's payment method identifier for the Payment Request API (the page uses
   * `<origin><path>`), or null to always pay through the web+webwallet: link.
   */
  readonly paymentMethodPath: string | null;
}

export async function checkoutPage(view: CheckoutView, nonce: string, options: CheckoutPageOptions): Promise<SafeHtml> {
  const text = describeStatus(view, Date.parse(view.server_time));
  const price = `${view.amount} ${view.currency}`;
  const back = httpUrl(view.redirect_url);
  const body = html`${view.mode === 'test' ? html`<p class="banner">Test mode — play money</p>` : null}
<main id="checkout" class="card" data-phase="${text.phase}">
<header>
<p class="merchant">${view.merchant_name}</p>
<h1><span class="sr-only">Amount: </span>${price}</h1>
${view.description ? html`<p class="desc">${view.description}</p>` : null}
</header>
<div class="state">
<div id="status" class="status" role="status" aria-live="polite" aria-atomic="true" data-status="${text.status}" data-additional-status="${view.additional_status}">
<p id="status-title" class="status-title">${text.title}</p>
<p id="status-detail" class="status-detail">${text.detail}</p>
</div>
<p id="timer" class="timer pay-only">Expires in <time id="timer-value" datetime="${view.expires_at}">${formatRemaining(Date.parse(view.expires_at) - Date.parse(view.server_time))}</time></p>
</div>
<div class="qr-box">
<div id="qr" class="qr pay-only">${await inlineQr(view.payment_uri)}</div>
<p id="qr-symbol" class="qr-symbol not-pay" aria-hidden="true">${text.symbol}</p>
</div>
<div class="actions">
<div class="buttons pay-only">
<a id="pay-now" class="btn primary" href="${view.payment_uri}">Pay Now</a>
${view.mode === 'test' ? html`<button id="sandbox-pay" class="btn" type="button">Pay with test wallet</button>` : null}
</div>
${back ? html`<div class="buttons done-only"><a id="return" class="btn primary" href="${back}">Return to ${view.merchant_name}</a></div>` : null}
</div>
<p id="action-msg" class="msg" aria-live="polite"></p>
<div class="uri pay-only">
<label for="payment-uri">Payment URI, for pasting into a wallet</label>
<div class="copy"><input id="payment-uri" type="text" readonly spellcheck="false" autocomplete="off" value="${view.payment_uri}"><button id="copy" class="btn" type="button">Copy</button></div>
<p id="copy-note" class="note" aria-live="polite"></p>
</div>
<p class="foot">Invoice ${view.id}</p>
</main>
<script type="application/json" id="checkout-data">${jsonScript(view)}</script>
<script type="application/json" id="checkout-config">${jsonScript({ payment_method_path: options.paymentMethodPath })}</script>`;
  return page(nonce, `Pay ${price} to ${view.merchant_name}`, body, CLIENT_SCRIPT);
}

/** A page with a heading and one message: not found, gone, or a failure. */
export function messagePage(nonce: string, title: string, message: string): SafeHtml {
  return page(nonce, title, html`<main class="card"><h1>${title}</h1><p>${message}</p></main>`);
}

export interface LinkFormState {
  /** What the customer typed, shown again after an error. */
  readonly value?: string;
  readonly error?: string;
}

/** The form of a customer-entered payment link (`GET /l/{id}`): one amount field. */
export function linkFormPage(link: PaymentLinkView, nonce: string, state: LinkFormState = {}): SafeHtml {
  const range =
    link.amount_min && link.amount_max
      ? `Between ${link.amount_min} and ${link.amount_max} ${link.currency}.`
      : link.amount_min
        ? `At least ${link.amount_min} ${link.currency}.`
        : link.amount_max
          ? `At most ${link.amount_max} ${link.currency}.`
          : `Any amount in ${link.currency}.`;
  const invalid = state.error !== undefined;
  const body = html`${link.mode === 'test' ? html`<p class="banner">Test mode — play money</p>` : null}
<main class="card">
<header>
<p class="merchant">${link.merchant_name}</p>
<h1>Pay ${link.merchant_name}</h1>
${link.description ? html`<p class="desc">${link.description}</p>` : null}
</header>
<form method="post" action="/l/${encodeURIComponent(link.id)}">
<label for="amount">Amount in ${link.currency}</label>
<input id="amount" name="amount" type="number" inputmode="decimal" step="any" min="${link.amount_min ?? '0'}"${link.amount_max ? html` max="${link.amount_max}"` : null} required value="${state.value ?? ''}" aria-describedby="amount-hint${invalid ? ' amount-error' : ''}"${invalid ? html` aria-invalid="true" autofocus` : null}>
<p id="amount-hint" class="hint">${range}</p>
${invalid ? html`<p id="amount-error" class="error">${state.error}</p>` : null}
<button class="btn primary" type="submit">Continue to payment</button>
</form>
</main>`;
  return page(nonce, `Pay ${link.merchant_name}`, body);
}
