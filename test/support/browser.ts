// The real browser of the browser tests: Debian's Chromium (or CHROMIUM_PATH), driven by playwright-core.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser is there. When it is not: under CI=true the test file fails at once (never a silent
 * skip); elsewhere it is skipped with a loud warning naming `what` could not run.
 */
export function browserAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `No browser at ${CHROMIUM}: ${what} cannot run (apt-get install chromium, or set CHROMIUM_PATH).`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
