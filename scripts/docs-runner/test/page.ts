/**
 * One page's blocks as tests, in page order, against the local default started by the page's
 * own `start` block (ephemeral ports; see src/runner.ts for the substitutions). Every shell and
 * console block carries a docs-runner marker; a block that cannot run here says why.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBlocks } from '../src/markdown.js';
import { formatTimings, openPage, type PageSession } from '../src/runner.js';

/** The repository root: the pages' commands run from a clone's root. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const SHELL = new Set(['sh', 'console', 'bash', 'shell']);

/** Declares the tests of `page` (a path from the repository root). */
export function describePage(page: string): void {
  const blocks = extractBlocks(readFileSync(`${repoRoot}${page}`, 'utf8'), page).filter((b) =>
    SHELL.has(b.lang),
  );

  describe.sequential(page, () => {
    let session: PageSession;
    beforeAll(async () => {
      session = await openPage(repoRoot);
    });
    afterAll(async () => {
      if (session) console.log(formatTimings(page, session.timings));
      await session?.close();
    });

    it('marks every shell and console block (run, start, or skip with a reason)', () => {
      const unmarked = blocks.filter((b) => b.marker === undefined).map((b) => `${b.file}:${b.line}`);
      expect(unmarked).toEqual([]);
      expect(blocks.filter((b) => b.marker?.kind === 'start')).toHaveLength(1);
    });

    for (const block of blocks) {
      const name = `${page}:${block.line} ${block.lang} ${block.body.split('\n')[0]!.slice(0, 60)}`;
      if (block.marker?.kind === 'skip') it.skip(`${name} — skipped: ${block.marker.reason}`, () => {});
      else it(name, () => session.runBlock(block), 150_000);
    }
  });
}
