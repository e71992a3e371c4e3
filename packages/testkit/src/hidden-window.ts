import type { Browser, CDPSession } from 'playwright-core';

/**
 * A browser window that Playwright does not list as a page: Chromium's payment handler window
 * (a Payment Request's app, opened by its service worker with PaymentRequestEvent.openWindow)
 * is not a tab, so Playwright's auto-attach never sees it. The DevTools protocol does: this
 * finds it with Target.getTargets and drives it with Runtime.evaluate through a non-flat
 * session (Playwright's browser session cannot address flat child sessions).
 */

/** How often a wait re-checks the page. */
const POLL_MS = 50;

interface TargetInfo {
  readonly targetId: string;
  readonly type: string;
  readonly url: string;
}

interface EvaluateAnswer {
  readonly id: number;
  readonly result?: {
    readonly result?: { readonly value?: unknown };
    readonly exceptionDetails?: { readonly text?: string; readonly exception?: { readonly description?: string } };
  };
  readonly error?: { readonly message: string };
}

export class HiddenWindow {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: EvaluateAnswer) => void>();

  private constructor(
    private readonly cdp: CDPSession,
    private readonly sessionId: string,
    readonly url: string,
  ) {
    cdp.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
      if (event.sessionId !== this.sessionId) return;
      const answer = JSON.parse(event.message) as EvaluateAnswer;
      this.waiting.get(answer.id)?.(answer);
      this.waiting.delete(answer.id);
    });
  }

  /**
   * The ids of the page targets open now: take them before the action that opens the window, and
   * pass them to find() as `known`. (Not URLs: the window may take the same URL as a page that is
   * already open, e.g. once the wallet clears its address bar's fragment.)
   */
  static async pageTargets(browser: Browser): Promise<string[]> {
    const cdp = await browser.newBrowserCDPSession();
    try {
      const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
      return targetInfos.filter((t) => t.type === 'page').map((t) => t.targetId);
    } finally {
      await cdp.detach();
    }
  }

  /**
   * Waits for a page target whose URL starts with `prefix` and whose id is none of `known` (from
   * pageTargets(), taken before the window was asked for), and attaches to it.
   */
  static async find(
    browser: Browser,
    prefix: string,
    options: { known?: readonly string[]; timeout_ms?: number } = {},
  ): Promise<HiddenWindow> {
    const cdp = await browser.newBrowserCDPSession();
    const deadline = Date.now() + (options.timeout_ms ?? 20_000);
    const known = new Set(options.known ?? []);
    while (Date.now() < deadline) {
      const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
      const target = targetInfos.find((t) => t.type === 'page' && t.url.startsWith(prefix) && !known.has(t.targetId));
      if (target) {
        const { sessionId } = (await cdp.send('Target.attachToTarget', {
          targetId: target.targetId,
          flatten: false,
        })) as { sessionId: string };
        return new HiddenWindow(cdp, sessionId, target.url);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await cdp.detach();
    throw new Error(`no window at ${prefix} appeared`);
  }

  /** Evaluates an expression in the window (promises awaited) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const id = this.nextId++;
    const answered = new Promise<EvaluateAnswer>((resolve) => this.waiting.set(id, resolve));
    const message = {
      id,
      method: 'Runtime.evaluate',
      params: { expression, awaitPromise: true, returnByValue: true },
    };
    await this.cdp.send('Target.sendMessageToTarget', { sessionId: this.sessionId, message: JSON.stringify(message) });
    const answer = await answered;
    if (answer.error) throw new Error(answer.error.message);
    const failure = answer.result?.exceptionDetails;
    if (failure) throw new Error(failure.exception?.description ?? failure.text ?? 'the expression threw');
    return answer.result?.result?.value as T;
  }

  /** Waits until `selector` matches an element; returns its trimmed text. */
  async waitFor(selector: string, timeout_ms = 20_000): Promise<string> {
    const deadline = Date.now() + timeout_ms;
    const probe = `(() => { const e = document.querySelector(${JSON.stringify(selector)}); return e ? (e.textContent ?? '').trim() : null; })()`;
    while (Date.now() < deadline) {
      const found = await this.evaluate<string | null>(probe).catch(() => null);
      if (found !== null) return found;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`${selector} did not appear in ${this.url}`);
  }

  async click(selector: string): Promise<void> {
    await this.waitFor(selector);
    await this.evaluate(`document.querySelector(${JSON.stringify(selector)}).click()`);
  }

  /** Sets an input's value the way typing does (an input event follows). */
  async fill(selector: string, value: string): Promise<void> {
    await this.waitFor(selector);
    await this.evaluate(
      `(() => { const e = document.querySelector(${JSON.stringify(selector)}); e.value = ${JSON.stringify(value)}; e.dispatchEvent(new Event('input', { bubbles: true })); })()`,
    );
  }

  async detach(): Promise<void> {
    await this.cdp.detach().catch(() => undefined);
  }
}
