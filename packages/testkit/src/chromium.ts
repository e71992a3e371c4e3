import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, chromium } from 'playwright-core';

/**
 * Flags that keep a headless Chromium from reaching the network on its own (update checks,
 * sync, field trials): tests must only talk to servers on loopback.
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--no-default-browser-check',
];

/** Debian's chromium package, or CHROMIUM_PATH. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
}

/**
 * Returns the Chromium path. Without Chromium the test is skipped on a developer machine, but
 * fails under CI (CI=true), where `.ci/run` installs it: a browser test must never pass silently
 * by not running.
 */
export function requireChromium(t: TestContext): string | undefined {
  const path = findChromium();
  if (path) return path;
  const hint = 'Chromium not found: install Debian\'s "chromium" package (.ci/run does) or set CHROMIUM_PATH';
  if (process.env.CI) throw new Error(hint);
  t.skip(hint);
  return undefined;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}
