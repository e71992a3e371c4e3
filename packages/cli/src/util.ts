import { InvalidArgumentError, Option } from 'commander';

/**
 * An expected failure of a command: main prints "error: <message>" (and `hint` lines, if any) on
 * stderr and exits with `exitCode`, never with a stack trace.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string | undefined } = {}) {
    super(message);
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
  }
}

export const jsonOption = () => new Option('--json', 'print machine-readable JSON');

/** Prints `data` as JSON, or `text`, on stdout. */
export function print(json: boolean, data: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

/** An argParser for integers in [min, max]. */
export function integerIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} is an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** An argParser for an option that may be repeated: collects every value in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Lays out rows as aligned columns; `right` lists the columns aligned to the right (numbers). */
export function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
