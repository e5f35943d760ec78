/**
 * The namers mounted in core's interpreter: `/svc/foo` bound through the dtab
 * `/svc => /#/io.l5d.fs` to the file `foo`, live; and io.l5d.rewrite feeding the dtab again.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoundName, Dispose } from '@switchyard/core';
import { createInterpreter } from '@switchyard/core';
import type { NameTree } from '@switchyard/dtab';
import { Dtab } from '@switchyard/dtab';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsNamer } from '../src/fs.js';
import { createRewriteNamer } from '../src/index.js';
import { waitFor, waitForState } from './helpers.js';

let root: string;
const disposers: Dispose[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sy-interp-'));
});
afterEach(async () => {
  for (const d of disposers.splice(0)) d();
  await rm(root, { recursive: true, force: true });
});

function leafName(tree: NameTree<BoundName>): BoundName {
  if (tree.kind !== 'leaf') throw new Error(`not a leaf: ${tree.kind}`);
  return tree.value;
}

describe('namers in the interpreter', () => {
  it('binds /svc/foo through /svc => /#/io.l5d.fs to the file foo, following edits', async () => {
    await writeFile(join(root, 'foo'), '127.0.0.1 8080\n127.0.0.1 8081 * 2\n');
    const fs = createFsNamer({ rootDir: root });
    const interpreter = createInterpreter({ namers: [{ prefix: ['#', ...fs.prefix], namer: fs }] });
    const dtab = Dtab.read('/svc => /#/io.l5d.fs');

    const bound = interpreter.bind(dtab, ['svc', 'foo', 'bar']);
    disposers.push(bound.states.observe(() => {}));
    const s = await waitForState(bound, (st) => st.kind === 'ok');
    const name = leafName((s as { value: NameTree<BoundName> }).value);
    expect(name.id).toEqual(['#', 'io.l5d.fs', 'foo']);
    expect(name.residual).toEqual(['bar']);
    disposers.push(name.addr.observe(() => {}));
    const addr = await waitFor(name.addr, (a) => a.kind === 'bound');
    expect(addr.kind === 'bound' && addr.addresses.map((a) => [a.port, a.weight])).toEqual([
      [8080, 1],
      [8081, 2],
    ]);

    await writeFile(join(root, 'foo'), '127.0.0.1 9090\n');
    await waitFor(name.addr, (a) => a.kind === 'bound' && a.addresses[0]?.port === 9090);

    await unlink(join(root, 'foo'));
    await waitForState(bound, (st) => st.kind === 'ok' && st.value.kind === 'neg');
  });

  it('an unknown service is neg, so a dtab alternative takes over', async () => {
    await writeFile(join(root, 'fallback'), '127.0.0.1 7000\n');
    const fs = createFsNamer({ rootDir: root });
    const interpreter = createInterpreter({ namers: [{ prefix: ['#', ...fs.prefix], namer: fs }] });
    const dtab = Dtab.read('/svc => /#/io.l5d.fs/fallback | /#/io.l5d.fs/missing; /svc => /#/io.l5d.fs');
    const s = await waitForState(interpreter.bind(dtab, ['svc', 'missing']), (st) => st.kind === 'ok');
    expect(leafName((s as { value: NameTree<BoundName> }).value).id).toEqual(['#', 'io.l5d.fs', 'fallback']);
  });

  it('io.l5d.rewrite output is bound again through the dtab', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const fs = createFsNamer({ rootDir: root });
    const rw = createRewriteNamer({ prefix: '/rw', pattern: '/{host}/*', name: '/files/{host}' });
    const interpreter = createInterpreter({
      namers: [
        { prefix: ['#', ...fs.prefix], namer: fs },
        { prefix: ['#', ...rw.prefix], namer: rw },
      ],
    });
    const dtab = Dtab.read('/files => /#/io.l5d.fs; /svc => /#/rw');
    const s = await waitForState(interpreter.bind(dtab, ['svc', 'web', 'v1']), (st) => st.kind === 'ok');
    expect(leafName((s as { value: NameTree<BoundName> }).value).id).toEqual(['#', 'io.l5d.fs', 'web']);
  });
});
