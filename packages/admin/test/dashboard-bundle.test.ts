/** The committed dashboard bundle must be what the client sources build to, and stay small. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildDashboard } from '../scripts/build-dashboard.mjs';
import { DASHBOARD_CSS, DASHBOARD_JS } from '../src/dashboard/bundle.generated.js';

describe('dashboard bundle', () => {
  it('is fresh (run `pnpm --filter @switchyard/admin build:dashboard` after editing src/dashboard/client)', async () => {
    const built = (await buildDashboard()) as { js: string; css: string };
    expect(DASHBOARD_JS === built.js, 'DASHBOARD_JS is stale').toBe(true);
    expect(DASHBOARD_CSS === built.css, 'DASHBOARD_CSS is stale').toBe(true);
  });

  it('is under 150 KB and references nothing external', () => {
    expect(DASHBOARD_JS.length + DASHBOARD_CSS.length).toBeLessThan(150 * 1024);
    expect(DASHBOARD_JS).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(DASHBOARD_CSS).not.toMatch(/url\(|@import/);
  });
});
