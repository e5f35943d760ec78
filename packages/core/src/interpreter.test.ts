import { Dtab, type NameTree, Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Activity, type ActivityState } from './activity.js';
import { Addr, address } from './addr.js';
import { hasErrorCode } from './errors.js';
import { createInterpreter } from './interpreter.js';
import type { BoundName } from './name.js';

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
    expect((bare as typeof leaf).value.addr.sample()).toEqual(Addr.bound([address('0.0.0.0', 4141)]));
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

  it('a namer failure is a failed state with SY_ERR_CORE_BIND_FAILED naming the namer', () => {
    const { interpreter, witness } = setup();
    witness.fail('down', new Error('api unreachable'));
    const s = interpreter.bind(d('/svc=>/#/fake'), p('/svc/down')).states.sample();
    expect(s.kind).toBe('failed');
    const err = (s as { error: Error }).error;
    expect(hasErrorCode(err, 'SY_ERR_CORE_BIND_FAILED')).toBe(true);
    expect(err.message).toContain('/#/fake');
    expect(err.message).toContain('/down');
    expect((err.cause as Error).message).toBe('api unreachable');
  });

  it('a namer that throws (breaking its contract) still yields a failed state', () => {
    const i = createInterpreter({
      namers: [
        {
          prefix: ['io.l5d.bad'],
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

  it('namer prefixes may be given without the leading #; a namer neg passes to the next matching namer', () => {
    const first = fakeNamer({ idPrefix: ['#', 'one'] });
    const second = fakeNamer({ idPrefix: ['#', 'two'] });
    second.witness.setAddr('x', Addr.neg);
    const i = createInterpreter({
      namers: [
        { prefix: ['ns'], namer: first.namer },
        { prefix: ['#', 'ns'], namer: second.namer },
      ],
    });
    expect(shown(i.bind(Dtab.empty, p('/#/ns/x')).states.sample())).toBe('/#/two/x');
    expect(shown(i.bind(Dtab.empty, p('/#/ns/y')).states.sample())).toBe('~');
    expect(first.witness.lookups()).toEqual([['x'], ['y']]);
  });

  it('re-binds namer results that are paths', () => {
    const { namer, witness } = fakeNamer();
    witness.set('alias', { kind: 'leaf', value: { kind: 'path', path: p('/svc/target') } });
    witness.setAddr('target', Addr.neg);
    const i = createInterpreter({ namers: [{ prefix: ['fake'], namer }] });
    expect(shown(i.bind(d('/svc=>/#/fake'), p('/svc/alias')).states.sample())).toBe('/#/fake/target');
  });
});
