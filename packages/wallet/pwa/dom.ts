/**
 * The few DOM helpers the screens use. Everything is built with createElement and textContent:
 * no HTML strings, so no text from a payment URI, a node or a receipt can become markup (and the
 * page's CSP forbids HTML sinks through Trusted Types anyway).
 */

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * An element with attributes and children. `true` sets a boolean attribute, `false` and
 * `undefined` leave it out.
 *
 * @example
 * h('button', { type: 'button', class: 'primary' }, 'Pay')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** A button with a click handler. */
export function button(label: string, onClick: () => void, attrs: Attrs = {}): HTMLButtonElement {
  const element = h('button', { type: 'button', ...attrs }, label);
  element.addEventListener('click', onClick);
  return element;
}

/** A form whose submit runs `onSubmit` instead of navigating (Enter submits, as people expect). */
export function form(attrs: Attrs, onSubmit: () => void, ...children: Child[]): HTMLFormElement {
  const element = h('form', { novalidate: true, ...attrs }, ...children);
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit();
  });
  return element;
}

/** A labelled input: the label's `for` names the input, so screen readers read them together. */
export function field(label: string, input: HTMLInputElement | HTMLTextAreaElement, hint?: string): HTMLElement[] {
  const parts: HTMLElement[] = [h('label', { for: input.id }, label)];
  if (hint) {
    const hintId = `${input.id}-hint`;
    input.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { id: hintId, class: 'muted' }, hint));
  }
  parts.push(input);
  return parts;
}

/** A definition list of facts; each value is text or an element. */
export function facts(rows: readonly (readonly [string, Child, Attrs?])[]): HTMLDListElement {
  const list = h('dl', { class: 'facts' });
  for (const [term, value, attrs] of rows) list.append(h('dt', {}, term), h('dd', attrs ?? {}, value));
  return list;
}

/** A live message area: `say` replaces its text and marks it as an error or not. */
export function messageArea(id: string): { element: HTMLElement; say(text: string, kind?: 'error' | 'info'): void } {
  const element = h('p', { id, class: 'message', role: 'status', 'aria-live': 'polite' });
  return {
    element,
    say(text, kind = 'info') {
      element.dataset.kind = kind;
      element.textContent = text;
    },
  };
}

/** "pub_AbCd…WxYz": long ids shortened for lists; the full id stays in the title. */
export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/** A time as the reader's locale writes it. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
