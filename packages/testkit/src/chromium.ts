/**
 * How the browser tests start Debian's chromium (driven by playwright-core, which the tests
 * depend on; testkit does not): headless, no sandbox (CI containers), nothing fetched in the
 * background, one fixed viewport so screenshots and layouts compare. One home for the options
 * the admin and config dashboard tests had each written, and the page-error collection they share.
 */
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package installs the browser. */
const CHROMIUM_PATH = '/usr/bin/chromium';

/** Options for playwright's `chromium.launchPersistentContext(profileDir, options)`. */
export interface ChromiumLaunchOptions {
  readonly executablePath: string;
  readonly headless: true;
  readonly args: string[];
  readonly viewport: { readonly width: number; readonly height: number };
}

/**
 * The launch options for Debian's chromium; throws an error saying how to install it when it
 * is missing (the browser tests fail rather than skip).
 */
export function chromiumLaunchOptions(): ChromiumLaunchOptions {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium`);
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1100 },
  };
}

/** The part of playwright's `Page` that {@link collectPageErrors} listens on. */
export interface PageErrorEvents {
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): unknown;
  on(event: 'pageerror', listener: (error: Error) => void): unknown;
}

/**
 * Records what `page` logs with `console.error` and every uncaught error it throws, as text, into
 * `into` (returned), so a test can assert the page ran clean.
 */
export function collectPageErrors(page: PageErrorEvents, into: string[] = []): string[] {
  page.on('console', (message) => {
    if (message.type() === 'error') into.push(message.text());
  });
  page.on('pageerror', (error) => into.push(String(error)));
  return into;
}
