import type { ServerResponse } from 'node:http';
import { WebWalletError } from '@webwallet/core';
import type { CheckoutView } from './source.js';

export interface EventStreamLimits {
  /** Open event streams per invoice; more are refused with 429 (a buyer has a few tabs at most). */
  readonly per_invoice_max: number;
  /** Open event streams on the node; more are refused with 503 so sockets stay available. */
  readonly total_max: number;
  /** Interval of the keep-alive comment that stops proxies from closing an idle stream. */
  readonly keep_alive_ms: number;
  /** Reconnection delay the stream asks EventSource to use (the SSE `retry:` field). */
  readonly retry_ms: number;
}

export const EVENT_STREAM_LIMITS: EventStreamLimits = {
  per_invoice_max: 32,
  total_max: 10_000,
  keep_alive_ms: 15_000,
  retry_ms: 3000,
};

/** A refused stream tells the client when to retry (seconds, Retry-After). */
export const STREAM_RETRY_AFTER_S = 10;

/** One `invoice` event (HTML Standard, "Server-sent events"). JSON has no raw newlines, so one data line suffices. */
export function invoiceEvent(view: CheckoutView): string {
  return `event: invoice\ndata: ${JSON.stringify(view)}\n\n`;
}

/**
 * One open `text/event-stream` response. A client that reads slower than the invoice changes
 * gets only the newest view once its socket drains, so nothing buffers without bound.
 */
export class EventStream {
  private waiting: CheckoutView | undefined;
  private readonly keepAlive: ReturnType<typeof setInterval>;

  constructor(
    private readonly response: ServerResponse,
    limits: EventStreamLimits,
  ) {
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), limits.keep_alive_ms);
    response.on('drain', () => {
      const next = this.waiting;
      this.waiting = undefined;
      if (next) this.send(next);
    });
    response.on('close', () => clearInterval(this.keepAlive));
  }

  send(view: CheckoutView): void {
    if (this.response.writableNeedDrain) this.waiting = view;
    else this.write(invoiceEvent(view));
  }

  end(): void {
    clearInterval(this.keepAlive);
    if (!this.response.writableEnded) this.response.end();
  }

  private write(chunk: string): void {
    if (!this.response.writableEnded && !this.response.destroyed) this.response.write(chunk);
  }
}

/** Counts open streams per invoice and in total, and ends them all when the node shuts down. */
export class EventStreamRegistry {
  private readonly perInvoice = new Map<string, number>();
  private readonly open = new Set<EventStream>();
  private total = 0;

  constructor(readonly limits: EventStreamLimits) {}

  /** Reserves a slot for a new stream, or says why not. The caller must call `release` once. */
  reserve(invoiceId: string): { release: () => void } | WebWalletError {
    if (this.total >= this.limits.total_max) {
      return new WebWalletError(
        'service_unavailable',
        { reason: 'too many open event streams', retry_after_s: STREAM_RETRY_AFTER_S },
        'The node has too many open checkout event streams. Retry later, or poll GET /v1/checkout/{id} every few seconds.',
      );
    }
    const count = this.perInvoice.get(invoiceId) ?? 0;
    if (count >= this.limits.per_invoice_max) {
      return new WebWalletError(
        'rate_limited',
        { per_invoice_max: this.limits.per_invoice_max, retry_after_s: STREAM_RETRY_AFTER_S },
        `This invoice already has ${this.limits.per_invoice_max} open event streams. Close other checkout tabs, or poll GET /v1/checkout/{id} instead.`,
      );
    }
    this.perInvoice.set(invoiceId, count + 1);
    this.total += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perInvoice.get(invoiceId) ?? 1) - 1;
        if (left > 0) this.perInvoice.set(invoiceId, left);
        else this.perInvoice.delete(invoiceId);
      },
    };
  }

  track(stream: EventStream): () => void {
    this.open.add(stream);
    return () => this.open.delete(stream);
  }

  /** Open streams in total, or for one invoice. */
  count(invoiceId?: string): number {
    return invoiceId === undefined ? this.total : (this.perInvoice.get(invoiceId) ?? 0);
  }

  /** Ends every stream: open streams would otherwise keep the server from closing. */
  endAll(): void {
    for (const stream of this.open) stream.end();
    this.open.clear();
  }
}
