import type { CheckoutView } from './source.js';
import { describeStatus, formatRemaining } from './status-text.js';

/** How often the page polls `GET /v1/checkout/{id}` when server-sent events are unavailable. */
const POLL_INTERVAL_MS = 3000;
/** Consecutive EventSource errors (without an event in between) before falling back to polling. */
const SSE_ERRORS_MAX = 3;
/** Pause on the "Paid" state before following redirect_url. */
const REDIRECT_DELAY_MS = 2000;

/**
 * The checkout page's script. It runs in the browser: the page gets this function's source, so it
 * must not use anything from this module's scope except its parameters (the type annotations
 * vanish at compile time). It enhances a page that is complete without it: the server renders
 * the status, QR code and "Pay Now" link, and the script keeps them current.
 */
function checkoutScript(
  describe: typeof describeStatus,
  remaining: typeof formatRemaining,
  config: { pollMs: number; sseErrorsMax: number; redirectMs: number },
): void {
  const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T | null;
  const data = byId('checkout-data');
  const main = byId('checkout');
  const statusEl = byId('status');
  if (!data?.textContent || !main || !statusEl) return;
  let view = JSON.parse(data.textContent) as CheckoutView;
  const base = `/v1/checkout/${encodeURIComponent(view.id)}`;
  const titleEl = byId('status-title');
  const detailEl = byId('status-detail');
  const timerEl = byId('timer-value');
  const symbolEl = byId('qr-symbol');
  const qrEl = byId('qr');
  const messageEl = byId('action-msg');
  const payLink = byId<HTMLAnchorElement>('pay-now');
  const sandboxButton = byId<HTMLButtonElement>('sandbox-pay');
  const uriInput = byId<HTMLInputElement>('payment-uri');
  const copyButton = byId<HTMLButtonElement>('copy');
  const copyNote = byId('copy-note');

  // The node's clock minus ours: the countdown must not depend on a wrong client clock.
  let offsetMs = 0;
  let redirectTimer: ReturnType<typeof setTimeout> | undefined;
  let qrVersion = 0;

  const setText = (el: HTMLElement | null, text: string) => {
    // Rewriting identical text would make some screen readers announce the status again.
    if (el && el.textContent !== text) el.textContent = text;
  };
  const say = (text: string) => setText(messageEl, text);
  const nodeNow = () => Date.now() + offsetMs;
  const terminal = () => view.status === 'Settled' || view.status === 'Invalid';

  function safeRedirect(url: string | null): string | undefined {
    if (!url) return undefined;
    try {
      const parsed = new URL(url);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
    } catch {
      return undefined;
    }
  }

  function render(): void {
    const text = describe(view, nodeNow());
    // Sizes are fixed in CSS, and parts are hidden with visibility, so nothing moves here.
    main!.dataset.phase = text.phase;
    statusEl!.dataset.status = text.status;
    statusEl!.dataset.additionalStatus = view.additional_status;
    setText(titleEl, text.title);
    setText(detailEl, text.detail);
    setText(symbolEl, text.symbol);
    const target = safeRedirect(view.redirect_url);
    if (text.status === 'Settled' && target && redirectTimer === undefined) {
      redirectTimer = setTimeout(() => location.assign(target), config.redirectMs);
    }
  }

  function apply(next: CheckoutView): void {
    const serverNow = Date.parse(next.server_time);
    if (!Number.isNaN(serverNow)) offsetMs = serverNow - Date.now();
    if (next.payment_uri !== view.payment_uri) {
      // The server renders QR codes: fetch the new one as an image rather than ship a QR encoder.
      if (qrEl) {
        const img = document.createElement('img');
        img.src = `/i/${encodeURIComponent(next.id)}/qr.svg?v=${++qrVersion}`;
        img.alt = 'QR code for paying with a wallet app';
        qrEl.replaceChildren(img);
      }
      if (payLink) payLink.href = next.payment_uri;
      if (uriInput) uriInput.value = next.payment_uri;
    }
    view = next;
    render();
  }

  let lastTick = '';
  function tick(): void {
    const left = Date.parse(view.expires_at) - nodeNow();
    const text = remaining(left);
    if (timerEl && text !== lastTick) {
      lastTick = text;
      timerEl.textContent = text;
    }
    if (left <= 0 && statusEl!.dataset.status === 'New') render();
  }

  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  function startPolling(): void {
    if (pollTimer !== undefined) return;
    const poll = async () => {
      try {
        const response = await fetch(base, { cache: 'no-store', headers: { accept: 'application/json' } });
        if (response.ok) apply((await response.json()) as CheckoutView);
      } catch {
        // Offline for a moment: try again on the next round.
      }
      pollTimer = terminal() ? undefined : setTimeout(poll, config.pollMs);
    };
    pollTimer = setTimeout(poll, config.pollMs);
  }

  function listen(): void {
    if (terminal()) return;
    if (typeof EventSource !== 'function') {
      startPolling();
      return;
    }
    const source = new EventSource(`${base}/events`);
    let errors = 0;
    source.addEventListener('invoice', (event) => {
      errors = 0;
      apply(JSON.parse((event as MessageEvent<string>).data) as CheckoutView);
      if (terminal()) source.close();
    });
    source.addEventListener('error', () => {
      // EventSource reconnects by itself after network errors; give up on it only when it stops
      // (an HTTP error such as 429) or keeps failing (a proxy that buffers or cuts streams).
      errors += 1;
      if (source.readyState === EventSource.CLOSED || errors >= config.sseErrorsMax) {
        source.close();
        startPolling();
      }
    });
  }

  sandboxButton?.addEventListener('click', async () => {
    sandboxButton.disabled = true;
    say('Paying with the test wallet…');
    try {
      const response = await fetch(`${base}/sandbox-pay`, { method: 'POST' });
      if (response.ok) say('Test payment sent.');
      else {
        const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
        say(body?.error?.message ?? `The test payment failed (HTTP ${response.status}).`);
      }
    } catch {
      say('Could not reach the node. Check your connection and try again.');
    } finally {
      sandboxButton.disabled = false;
    }
  });

  copyButton?.addEventListener('click', async () => {
    if (!uriInput) return;
    try {
      await navigator.clipboard.writeText(uriInput.value);
      setText(copyNote, 'Payment URI copied.');
    } catch {
      uriInput.focus();
      uriInput.select();
      setText(copyNote, 'Selected: copy it with your device’s copy command.');
    }
  });
  uriInput?.addEventListener('focus', () => uriInput.select());

  // Payment Request API (W3C Payment Request, Payment Method Identifiers): a wallet installed as
  // a payment handler for this node's "/pay" method pays in place. Otherwise "Pay Now" stays a
  // plain link to the web+webwallet: URI.
  const settings = JSON.parse(byId('checkout-config')?.textContent ?? '{}') as { payment_method_path?: string | null };
  const methodPath = settings.payment_method_path;
  const paymentRequest = () =>
    new PaymentRequest(
      [
        {
          supportedMethods: `${location.origin}${methodPath}`,
          data: { payment_uri: view.payment_uri, invoice: view.id },
        },
      ],
      { total: { label: view.merchant_name, amount: { currency: view.currency, value: view.amount_due } } },
    );
  let handlerReady = false;
  if (methodPath && typeof PaymentRequest === 'function' && window.isSecureContext) {
    try {
      paymentRequest()
        .canMakePayment()
        .then(
          (can) => {
            handlerReady = can;
          },
          () => undefined,
        );
    } catch {
      // e.g. a currency code the API does not accept: keep the link.
    }
  }
  payLink?.addEventListener('click', (event) => {
    if (!handlerReady) return;
    event.preventDefault();
    let request: PaymentRequest;
    try {
      request = paymentRequest(); // a request can be shown once, so each click makes a new one
    } catch {
      location.href = payLink.href;
      return;
    }
    request.show().then(
      async (response) => {
        const details = response.details as { document?: unknown } | null;
        let paid = true;
        if (details && typeof details === 'object' && details.document !== undefined) {
          const result = await fetch(`${base}/pay`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ document: details.document }),
          }).catch(() => undefined);
          paid = result?.ok === true;
          if (!paid) say('The wallet’s payment was not accepted. Try again, or pay with the link.');
        }
        await response.complete(paid ? 'success' : 'fail');
      },
      (error: unknown) => {
        if ((error as { name?: string } | null)?.name === 'NotSupportedError') location.href = payLink.href;
      },
    );
  });

  const initialOffset = Date.parse(view.server_time) - Date.now();
  if (!Number.isNaN(initialOffset)) offsetMs = initialOffset;
  render();
  tick();
  setInterval(tick, 1000);
  listen();
}

/** The page script: the function above, called with the shared status texts. */
export const CLIENT_SCRIPT = `(${checkoutScript.toString()})(${describeStatus.toString()}, ${formatRemaining.toString()}, ${JSON.stringify(
  { pollMs: POLL_INTERVAL_MS, sseErrorsMax: SSE_ERRORS_MAX, redirectMs: REDIRECT_DELAY_MS },
)});`;
