/** refusedChanges' `workers` rule: a new count is the binary's to apply, a new listen mode is refused. */
import { listenHasReusePort } from '@switchyard/router';
import { describe, expect, it } from 'vitest';
import { createDefaultKinds } from './default-kinds.js';
import { parseLinkerConfig } from './load.js';
import { refusedChanges } from './reload-plan.js';

const kinds = createDefaultKinds();
const ROUTERS =
  'routers:\n- protocol: http\n  servers: [{port: 18082}]\n  dtab: /svc => /$/inet/127.0.0.1/1\n';
const load = (workers: string) => parseLinkerConfig(`workers: ${workers}\n${ROUTERS}`, 'linker.yaml', kinds);

describe('refusedChanges: workers', () => {
  it('lets the count change (N → M, auto, short and long form): the primary starts or drains workers', () => {
    for (const [from, to] of [
      ['2', '3'],
      ['3', '1'],
      ['2', 'auto'],
      ['2', '{count: 4, listen: cluster}'],
      ['{count: auto}', '1'],
    ] as const) {
      expect(refusedChanges(load(from).config, load(to)), `${from} → ${to}`).toEqual([]);
    }
  });

  it.skipIf(!listenHasReusePort())(
    `refuses a listen change at file:line:col with the kernel's reason${listenHasReusePort() ? '' : ' (skipped: Node < 22.12 refuses reusePort itself)'}`,
    () => {
      const [issue, ...rest] = refusedChanges(load('2').config, load('{count: 2, listen: reusePort}'));
      expect(rest).toEqual([]);
      expect([issue?.line, issue?.column, issue?.path]).toEqual([1, 29, 'workers.listen']);
      expect(issue?.message).toMatch(
        /^changing workers.listen \(cluster to reusePort\) needs a restart: the kernel lets a port be shared only by sockets that all set SO_REUSEPORT/,
      );
      const back = refusedChanges(load('{count: 2, listen: reusePort}').config, load('2'));
      expect(back.map((i) => [i.path, i.column])).toEqual([['workers', 10]]);
    },
  );
});
