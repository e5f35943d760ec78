import { Dtab, NameTree, Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Activity, type ActivityState } from './activity.js';
import { Addr, address } from './addr.js';
import { hasErrorCode } from './errors.js';
import { ADDR_WEIGHT_KEY, createInterpreter } from './interpreter.js';
import { type BoundName, Name } from './name.js';
import type { Namer } from './namer.js';

const p = Path.read;
const d = Dtab.read;

/** A bound tree shown with ids: `/#/fake/a`, `(/x & /y)`... */
function show(t: NameTree<BoundName>): string {
  switch (t.kind) {
    case 'leaf':
      return Path.show(t.value.id) + (t.value.residual.length > 0 ? `+${Path.show(t.value.residual)}` : '');
    case 'alt':
      return `(${t.trees.map(show).join(' | ')})`;
    case 'union':
      return `(${t.trees.map((w) => `${w.weight}*${show(w.tree)}`).join(' & ')})`;
    case 'neg':
      return '~';
    case 'fail':
      return '!';
    case 'empty':
      return '$';
  }
}

function shown(s: ActivityState<NameTree<BoundName>>): string {
  return s.kind === 'ok' ? show(s.value) : s.kind === 'failed' ? `failed:${s.error.message}` : 'pending';
}

function setup() {
  const { namer, witness } = fakeNamer();
  for (const n of ['a', 'b', 'c', 'web']) witness.setAddr(n, Addr.bound([address('127.0.0.1', 8080)]));
  const interpreter = createInterpreter({ namers: [{ prefix: ['#', 'fake'], namer }] });
  return { interpreter, witness };
}

async function bindShown(dtab: string, path: string, i = setup().interpreter): Promise<string> {
  return show(await Activity.toPromise(i.bind(d(dtab), p(path))));
}

describe('createInterpreter().bind', () => {
  it('follows rewrite chains to a namer', async () => {
    expect(await bindShown('/svc=>/srv; /srv=>/#/fake', '/svc/web')).toBe('/#/fake/web');
  });

  it('a later dentry wins, falling back to earlier ones where it is neg', async () => {
    expect(await bindShown('/svc=>/#/fake; /svc=>/nowhere', '/svc/a')).toBe('/#/fake/a');
    expect(await bindShown('/svc=>/#/fake/a; /svc=>/#/fake/b', '/svc')).toBe('/#/fake/b');
  });

  it('alt falls through neg branches, stops at fail', async () => {
    expect(await bindShown('/svc=>/#/fake/missing | ~ | /#/fake/b', '/svc')).toBe('/#/fake/b');
    expect(await bindShown('/svc=>/#/fake/missing | ! | /#/fake/b', '/svc')).toBe('!');
    expect(await bindShown('/svc=>/#/fake/missing', '/svc')).toBe('~');
  });

  it('binds unions, keeping weights and dropping neg branches', async () => {
    expect(await bindShown('/svc=>3*/#/fake/a & 1*/#/fake/b & /#/fake/missing', '/svc')).toBe(
      '(3*/#/fake/a & 1*/#/fake/b)',
    );
    expect(await bindShown('/svc=>/#/fake/a & /#/fake/missing', '/svc')).toBe('/#/fake/a');
  });

  it('paths nothing rewrites are neg', async () => {
    expect(await bindShown('', '/nothing/here')).toBe('~');
  });

  it('binds /$/inet with host, bare port and residual', async () => {
    const i = createInterpreter();
    const t = await Activity.toPromise(i.bind(d('/svc=>/$/inet/127.0.0.1/8080'), p('/svc/rest/of')));
    expect(show(t)).toBe('/$/inet/127.0.0.1/8080+/rest/of');
    const leaf = t as Extract<NameTree<BoundName>, { kind: 'leaf' }>;
    expect(leaf.value.addr.sample()).toEqual(Addr.bound([address('127.0.0.1', 8080)]));
    const bare = await Activity.toPromise(i.bind(Dtab.empty, p('/$/inet/4141/x')));
    expect(show(bare)).toBe('/$/inet/4141+/x');
    // finagle: "no host provided means localhost" (the loopback address).
    expect((bare as typeof leaf).value.addr.sample()).toEqual(Addr.bound([address('127.0.0.1', 4141)]));
    // host/port is tried before port/residual.
    expect(show(await Activity.toPromise(i.bind(Dtab.empty, p('/$/inet/localhost/4141/x'))))).toBe(
      '/$/inet/localhost/4141+/x',
    );
    const fixed = await Activity.toPromise(i.bind(d('/svc=>/$/fixedinet/127.0.0.1/8080'), p('/svc/y')));
    expect(show(fixed)).toBe('/$/fixedinet/127.0.0.1/8080+/y');
    expect((fixed as typeof leaf).value.addr.sample()).toEqual(Addr.bound([address('127.0.0.1', 8080)]));
    const bad = await Activity.toPromise(i.bind(Dtab.empty, p('/$/inet/127.0.0.1/99999')));
    expect((bad as typeof leaf).value.addr.sample().kind).toBe('failed');
  });

  it('resolves /$/inet host names through the injected lookup, ENOTFOUND is neg', async () => {
    const asked: string[] = [];
    const i = createInterpreter({
      dnsLookup: async (host) => {
        asked.push(host);
        if (host === 'web.local') return ['127.0.0.2', '127.0.0.3'];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });
    const t = (await Activity.toPromise(i.bind(Dtab.empty, p('/$/inet/web.local/80')))) as Extract<
      NameTree<BoundName>,
      { kind: 'leaf' }
    >;
    const addrs: Addr[] = [];
    await new Promise<void>((resolve) => {
      const stop = t.value.addr.observe((a) => {
        addrs.push(a);
        if (a.kind !== 'pending') {
          queueMicrotask(() => stop());
          resolve();
        }
      });
    });
    expect(addrs).toEqual([Addr.pending, Addr.bound([address('127.0.0.2', 80), address('127.0.0.3', 80)])]);
    const missing = (await Activity.toPromise(i.bind(Dtab.empty, p('/$/inet/nope.invalid/80')))) as typeof t;
    const final = await new Promise<Addr>((resolve) => {
      missing.value.addr.observe((a) => a.kind !== 'pending' && resolve(a));
    });
    expect(final).toBe(Addr.neg);
    expect(asked).toEqual(['web.local', 'nope.invalid']);
  });

  it('/$/fail fails, /$/nil is empty, unknown /$/ and /#/ kinds fail with NAMER_NOT_FOUND', async () => {
    expect(await bindShown('/svc=>/$/fail', '/svc/x')).toBe('!');
    expect(await bindShown('/svc=>/$/nil', '/svc/x')).toBe('$');
    for (const path of ['/$/com.example.Namer/x', '/#/io.l5d.nope/x']) {
      const s = createInterpreter().bind(Dtab.empty, p(path)).states.sample();
      expect(s.kind).toBe('failed');
      expect(hasErrorCode((s as { error: unknown }).error, 'SY_ERR_CORE_NAMER_NOT_FOUND')).toBe(true);
    }
  });

  it('fails with SY_ERR_CORE_BIND_DEPTH on a rewrite loop instead of throwing', async () => {
    const i = createInterpreter();
    const s = i.bind(d('/a=>/b; /b=>/a'), p('/a')).states.sample();
    expect(s.kind).toBe('failed');
    expect(hasErrorCode((s as { error: unknown }).error, 'SY_ERR_CORE_BIND_DEPTH')).toBe(true);
    // maxDepth counts lookups after the first, as finagle does: /a, /b, /c, /$/nil is depth 4
    const chain = d('/a=>/b; /b=>/c; /c=>/$/nil');
    expect(createInterpreter({ maxDepth: 3 }).bind(chain, p('/a')).states.sample().kind).toBe('failed');
    expect(shown(createInterpreter({ maxDepth: 4 }).bind(chain, p('/a')).states.sample())).toBe('$');
  });

  it("says what finagle's depth error says", () => {
    // finagle's NamerTest: namerMaxDepth 2, /s => /s/srv, resolving /s/foo/bar
    const s = createInterpreter({ maxDepth: 2 }).bind(d('/s=>/s/srv'), p('/s/foo/bar')).states.sample();
    expect(s.kind === 'failed' && s.error.message).toBe('Max recursion level: 2 reached in Namer lookup');
  });

  it('propagates namer updates into the bound tree', () => {
    const { interpreter, witness } = setup();
    const seen: string[] = [];
    const stop = interpreter
      .bind(d('/svc=>/#/fake/new | /#/fake/a'), p('/svc'))
      .states.observe((s) => seen.push(shown(s)));
    witness.setAddr('new', Addr.pending);
    witness.pending('new');
    witness.set('new', { kind: 'neg' });
    stop();
    expect(seen).toEqual(['/#/fake/a', '/#/fake/new', 'pending', '/#/fake/a']);
    expect(witness.observers('new')).toBe(0);
  });

  it("a namer failure is a failed state with SY_ERR_CORE_BIND_FAILED and the namer's own message", () => {
    const { interpreter, witness } = setup();
    const cause = new Error('api unreachable');
    witness.fail('down', cause);
    const s = interpreter.bind(d('/svc=>/#/fake'), p('/svc/down')).states.sample();
    expect(s.kind).toBe('failed');
    const err = (s as { error: Error }).error;
    expect(hasErrorCode(err, 'SY_ERR_CORE_BIND_FAILED')).toBe(true);
    expect(err.message).toBe('api unreachable');
    expect(err.cause).toBe(cause);
  });

  it('a namer that throws (breaking its contract) still yields a failed state', () => {
    const i = createInterpreter({
      namers: [
        {
          prefix: ['#', 'io.l5d.bad'],
          namer: {
            lookup() {
              throw new Error('thrown');
            },
          },
        },
      ],
    });
    const s = i.bind(Dtab.empty, p('/#/io.l5d.bad/x')).states.sample();
    expect(s.kind).toBe('failed');
  });

  it('namer prefixes match literally (no # is added); a namer neg passes to the next matching namer', () => {
    const plain = fakeNamer({ idPrefix: ['plain'] });
    const first = fakeNamer({ idPrefix: ['#', 'one'] });
    const second = fakeNamer({ idPrefix: ['#', 'two'] });
    plain.witness.setAddr('x', Addr.neg);
    second.witness.setAddr('x', Addr.neg);
    const i = createInterpreter({
      namers: [
        { prefix: ['ns'], namer: plain.namer },
        { prefix: ['#', 'ns'], namer: first.namer },
        { prefix: ['#', 'ns'], namer: second.namer },
      ],
    });
    expect(shown(i.bind(Dtab.empty, p('/ns/x')).states.sample())).toBe('/plain/x');
    expect(shown(i.bind(Dtab.empty, p('/#/ns/x')).states.sample())).toBe('/#/two/x');
    expect(shown(i.bind(Dtab.empty, p('/#/ns/y')).states.sample())).toBe('~');
    expect(plain.witness.lookups()).toEqual([['x']]);
    expect(first.witness.lookups()).toEqual([['x'], ['y']]);
  });

  it('re-binds namer results that are paths', () => {
    const { namer, witness } = fakeNamer();
    witness.set('alias', { kind: 'leaf', value: { kind: 'path', path: p('/svc/target') } });
    witness.setAddr('target', Addr.neg);
    const i = createInterpreter({ namers: [{ prefix: ['#', 'fake'], namer }] });
    expect(shown(i.bind(d('/svc=>/#/fake'), p('/svc/alias')).states.sample())).toBe('/#/fake/target');
  });
});

describe('unions (finagle bindUnion)', () => {
  const leafPath = (path: string): NameTree<Name> => ({ kind: 'leaf', value: Name.path(p(path)) });

  it("follows finagle's NamerTest union sequence: bound branches win over failed and pending ones", () => {
    const { namer, witness } = fakeNamer({ unknown: 'pending' });
    const i = createInterpreter({ namers: [{ prefix: ['#', 't'], namer }] });
    const res = i.bind(Dtab.empty, p('/#/t/0')).states;
    const stop = res.observe(() => {});
    const boom = new Error('boom');
    witness.set('0', NameTree.map(NameTree.read('/#/t/1 & /#/t/2'), Name.path));
    witness.set('1', leafPath('/#/t/3'));
    expect(shown(res.sample())).toBe('pending');
    witness.set('2', leafPath('/$/inet/1'));
    expect(shown(res.sample())).toBe('/$/inet/1'); // Ok(Bound) & Pending
    witness.fail('2', boom);
    expect(shown(res.sample())).toBe('failed:boom'); // Failed & Pending
    witness.set('2', leafPath('/$/inet/1'));
    witness.set('3', leafPath('/$/inet/2'));
    expect(shown(res.sample())).toBe('(1*/$/inet/2 & 1*/$/inet/1)'); // Ok & Ok
    witness.set('3', { kind: 'neg' });
    expect(shown(res.sample())).toBe('/$/inet/1'); // Ok(Bound) & Ok(Neg)
    witness.fail('3', boom);
    expect(shown(res.sample())).toBe('/$/inet/1'); // Failed & Ok(Bound): the failure is dropped
    witness.fail('2', new Error('second'));
    expect(shown(res.sample())).toBe('failed:boom'); // Failed & Failed: the first in branch order
    witness.set('2', { kind: 'neg' });
    witness.set('3', { kind: 'neg' });
    expect(shown(res.sample())).toBe('~');
    witness.set('3', { kind: 'empty' });
    expect(shown(res.sample())).toBe('$');
    stop();
  });

  it('a failing namer does not take down a weighted split', async () => {
    const { namer, witness } = fakeNamer();
    witness.setAddr('stable', Addr.bound([address('127.0.0.1', 8080)]));
    const broken: Namer = { lookup: () => Activity.exception(new Error('k8s API unreachable')) };
    const i = createInterpreter({
      namers: [
        { prefix: ['#', 'fake'], namer },
        { prefix: ['#', 'broken'], namer: broken },
      ],
    });
    const dtab = d('/svc => 9 * /#/fake/stable & 1 * /#/broken/canary');
    expect(shown(i.bind(dtab, p('/svc')).states.sample())).toBe('/#/fake/stable');
  });

  it("records the union weight in every bound leaf's Addr metadata, innermost union winning", async () => {
    const { interpreter } = setup();
    const meta = (t: NameTree<BoundName>) => {
      const out: Record<string, unknown> = {};
      const walk = (n: NameTree<BoundName>): void => {
        if (n.kind === 'leaf') {
          const a = n.value.addr.sample();
          out[Path.show(n.value.id)] = a.kind === 'bound' ? a.meta[ADDR_WEIGHT_KEY] : a.kind;
        } else if (n.kind === 'alt') n.trees.forEach(walk);
        else if (n.kind === 'union') for (const w of n.trees) walk(w.tree);
      };
      walk(t);
      return out;
    };
    const bind = async (dtab: string) => Activity.toPromise(interpreter.bind(d(dtab), p('/svc')));
    // a union left with one bound branch is that branch, and the branch keeps its weight
    const lone = await bind('/svc => 3 * /#/fake/a & 1 * /#/fake/missing');
    expect(show(lone)).toBe('/#/fake/a');
    expect(meta(lone)).toEqual({ '/#/fake/a': 3 });
    expect(meta(await bind('/svc => 3 * /#/fake/a & /#/fake/b'))).toEqual({ '/#/fake/a': 3, '/#/fake/b': 1 });
    expect(meta(await bind('/svc => 2 * (5 * /#/fake/a & /#/fake/b) & /#/fake/c'))).toEqual({
      '/#/fake/a': 5,
      '/#/fake/b': 1,
      '/#/fake/c': 1,
    });
    // outside any union nothing is recorded; weights pass through alts and rewrites
    expect(meta(await bind('/svc => /#/fake/a'))).toEqual({ '/#/fake/a': undefined });
    expect(meta(await bind('/x => /#/fake/b; /svc => 4 * (/#/fake/missing | /x) & /#/fake/c'))).toEqual({
      '/#/fake/b': 4,
      '/#/fake/c': 1,
    });
  });
});
