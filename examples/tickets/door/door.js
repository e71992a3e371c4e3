/**
 * The door check, in the browser. The server bundles this file with @webwallet/core (esbuild) at
 * start-up and serves it as /door/door.js.
 *
 * On first load it fetches /door/config.json (the event, the organiser's account, the price and
 * the ledger node's public key) and keeps it in localStorage; a service worker keeps the page,
 * this script and the config, so the page also reloads offline. A ticket is a payer token: it is
 * verified here, offline, from the payment receipt it carries. Admitted tickets are remembered in
 * localStorage by the token's redemption key, which names the payment: a second token for the
 * same payment is refused too.
 */
import { verifyPayerToken } from '@webwallet/core';

const CONFIG_KEY = 'tickets.door.config';
/** How long the camera ignores the QR code it has just read (it sees it many times a second). */
const CAMERA_REPEAT_MS = 4_000;
const CAMERA_POLL_MS = 250;

/** What the door operator is told for each refusal code; the code itself is shown as well. */
const REASONS = {
  token_malformed: 'This is not a ticket, or only part of it was read. Scan it again.',
  token_signature_invalid: 'The ticket was altered or forged.',
  token_signer_not_payer: 'The ticket was not made by the person who paid.',
  token_audience_mismatch: 'This ticket was made for another seller, not for this event.',
  token_expired: 'This ticket has expired.',
  token_not_yet_valid: 'This ticket is dated in the future. Check the clock of this device.',
  token_receipt_required:
    'This ticket has no payment receipt in it, so it cannot be checked here. Ask for the full ticket.',
  token_payment_mismatch: 'The ticket does not match the payment it names.',
  node_key_untrusted: 'The payment was made on a ledger this door does not trust.',
  receipt_invalid: "The ticket's payment receipt is damaged or forged.",
  proof_invalid: "The ticket's payment receipt is damaged or forged.",
  payment_unsupported: 'The ticket names something that is not a completed payment.',
  payment_payer_mismatch: 'The ticket holder did not make the payment it names.',
  payment_payee_mismatch: 'The payment went to someone other than the organiser.',
  payment_currency_mismatch: 'The payment was made in another currency.',
  payment_amount_too_low: 'The payment was less than the ticket price.',
  payment_reference_mismatch: 'The payment was for something else, not this event.',
};

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** "pub_AbCd…WxYz": enough to compare by eye, short enough for a phone. */
function shortId(id) {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

function when(iso) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return date.toDateString() === new Date().toDateString() ? time : `${date.toLocaleDateString()} ${time}`;
}

// --- Config: fetched once, then from the service worker's cache or localStorage -------------------

function isConfig(value) {
  return (
    typeof value?.node_public_key === 'string' &&
    typeof value.organiser === 'string' &&
    typeof value.price === 'string' &&
    typeof value.currency === 'string' &&
    typeof value.audience === 'string' &&
    typeof value.event?.id === 'string' &&
    typeof value.event.name === 'string'
  );
}

async function loadConfig() {
  try {
    const response = await fetch('/door/config.json');
    const config = response.ok ? await response.json() : undefined;
    if (isConfig(config)) {
      localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
      return config;
    }
  } catch {
    // Offline without a service worker: fall back to the copy kept on the first load.
  }
  try {
    const stored = JSON.parse(localStorage.getItem(CONFIG_KEY) ?? 'null');
    return isConfig(stored) ? stored : undefined;
  } catch {
    return undefined;
  }
}

// --- Admissions: remembered on this device, by redemption key --------------------------------------

const admittedKey = (config) => `tickets.door.admitted.${config.event.id}`;

/** @returns {Record<string, { admitted_at: string, payer: string, amount: string, currency: string }>} */
function admissions(config) {
  try {
    const value = JSON.parse(localStorage.getItem(admittedKey(config)) ?? '{}');
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

function showCount(config) {
  $('admitted-count').textContent = String(Object.keys(admissions(config)).length);
}

// --- Showing a verdict ---------------------------------------------------------------------------

/** Counts verdicts shown, so that a test (or a person) can tell two equal verdicts in a row apart. */
let shown = 0;

function show(outcome, verdict, detail, code = '') {
  const box = $('result');
  box.dataset.seq = String(++shown);
  box.dataset.outcome = outcome;
  box.dataset.code = code;
  $('verdict').textContent = verdict;
  $('result-detail').textContent = detail;
  $('result-code').textContent = code ? `code: ${code}` : '';
}

function refusalText(error) {
  const reason = REASONS[error.code] ?? error.message;
  const { actual, expected } = error.details ?? {};
  if (error.code === 'payment_amount_too_low') return `${reason} Paid ${actual}, price ${expected}.`;
  if (error.code === 'token_expired') return `${reason} It was valid until ${when(error.details.expires_at)}.`;
  return reason;
}

/**
 * Verifies one ticket and admits it if it is valid and new on this device.
 * @returns {Promise<'admit' | 'already' | 'refused'>}
 */
async function check(config, text) {
  const result = await verifyPayerToken(text, {
    trusted_nodes: [{ public_key: config.node_public_key }],
    expect: {
      payee: config.organiser,
      amount: config.price,
      currency: config.currency,
      reference: config.event.id,
      audience: config.audience,
    },
  });
  if (!result.ok) {
    show('refused', 'REFUSED', refusalText(result.error), result.error.code);
    return 'refused';
  }
  const { claims, redemption_key } = result.value;
  const all = admissions(config);
  const seen = Object.hasOwn(all, redemption_key) ? all[redemption_key] : undefined;
  if (seen) {
    const detail = `at ${when(seen.admitted_at)}, on this device. Payer ${shortId(seen.payer)}. A ticket admits once.`;
    show('already', 'ALREADY ADMITTED', detail, 'token_replayed');
    return 'already';
  }
  all[redemption_key] = {
    admitted_at: new Date().toISOString(),
    payer: claims.payer,
    amount: claims.amount,
    currency: claims.currency,
  };
  try {
    localStorage.setItem(admittedKey(config), JSON.stringify(all));
  } catch {
    show('refused', 'NOT RECORDED', 'This device could not record the admission (storage full?). Do not admit.');
    return 'refused';
  }
  showCount(config);
  const paid = `${claims.amount} ${claims.currency}`;
  show('admit', 'ADMIT', `${config.event.name} · ${paid} · payer ${shortId(claims.payer)}`);
  return 'admit';
}

// --- Offline: the service worker -----------------------------------------------------------------

/**
 * The service worker's URL. The page's CSP requires Trusted Types, so a script URL must come from
 * a policy: this one allows exactly one URL. Browsers without Trusted Types take the plain string.
 */
function workerUrl() {
  const url = '/door/sw.js';
  const policy = window.trustedTypes?.createPolicy('door', {
    createScriptURL: (input) => {
      if (input !== url) throw new TypeError(`not the door's service worker: ${input}`);
      return input;
    },
  });
  return policy ? policy.createScriptURL(url) : url;
}

async function workOffline() {
  const state = $('offline-state');
  if (!('serviceWorker' in navigator)) {
    state.textContent =
      'This browser cannot keep the page for offline use here (it needs HTTPS or localhost): keep this tab open.';
    return false;
  }
  try {
    // updateViaCache 'all': the update check after each load may be answered from the HTTP cache
    // (the server lets sw.js be cached for an hour), so reloading the page does not call home.
    await navigator.serviceWorker.register(workerUrl(), { scope: '/door', updateViaCache: 'all' });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
    navigator.storage?.persist?.().catch(() => {}); // ask the browser not to evict admissions
    state.textContent = 'Ready offline: this page checks tickets and reloads with no network.';
    return true;
  } catch (error) {
    state.textContent = `Offline use is not available (${error.message}): keep this tab open.`;
    return false;
  }
}

// --- Camera (optional: where the browser has BarcodeDetector) ------------------------------------

async function cameraScanner(onCode) {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return;
  const formats = await window.BarcodeDetector.getSupportedFormats().catch(() => []);
  if (!formats.includes('qr_code')) return;
  const button = $('camera');
  const video = /** @type {HTMLVideoElement} */ ($('viewfinder'));
  const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
  let stream;
  let timer;
  let last = { text: '', at: 0 };
  const stop = () => {
    clearInterval(timer);
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = undefined;
    video.hidden = true;
    button.textContent = 'Scan with camera';
  };
  button.hidden = false;
  button.addEventListener('click', async () => {
    if (stream) return stop();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch (error) {
      show('refused', 'NO CAMERA', `The camera could not be opened: ${error.message}`);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    button.textContent = 'Stop camera';
    timer = setInterval(async () => {
      const [code] = await detector.detect(video).catch(() => []);
      const text = code?.rawValue;
      if (!text || (text === last.text && Date.now() - last.at < CAMERA_REPEAT_MS)) return;
      last = { text, at: Date.now() };
      onCode(text);
    }, CAMERA_POLL_MS);
  });
}

// --- Start ---------------------------------------------------------------------------------------

async function start() {
  const offline = workOffline();
  const config = await loadConfig();
  if (!config) {
    show('refused', 'NOT READY', 'The event could not be loaded. Open this page once while online.');
    return;
  }
  const { event } = config;
  document.title = `Door check · ${event.name}`;
  $('event-name').textContent = event.name;
  $('event-details').textContent = [event.venue, event.starts_at && new Date(event.starts_at).toLocaleString()]
    .filter(Boolean)
    .join(' · ');
  $('node-key').textContent = config.node_public_key;
  $('organiser').textContent = config.organiser;
  $('price').textContent = `${config.price} ${config.currency}`;
  $('audience').textContent = config.audience;
  showCount(config);
  window.addEventListener('storage', () => showCount(config)); // another tab admitted someone

  const input = /** @type {HTMLInputElement} */ ($('ticket'));
  // Checks run one at a time, in order: a scanner may type the next ticket while one is checked.
  let queue = Promise.resolve();
  const submit = (text) => {
    const trimmed = text.trim();
    if (trimmed === '') return;
    queue = queue.then(() => check(config, trimmed)).catch((error) => show('refused', 'ERROR', String(error)));
  };
  $('check').addEventListener('submit', (e) => {
    e.preventDefault();
    submit(input.value);
    input.value = '';
    input.focus();
  });
  input.disabled = false;
  /** @type {HTMLButtonElement} */ ($('check-button')).disabled = false;
  input.focus();
  cameraScanner(submit).catch(() => {});
  show('idle', 'Ready', 'Scan a ticket.');
  document.documentElement.dataset.ready = 'yes';
  if (await offline) document.documentElement.dataset.offline = 'yes';
}

start();
