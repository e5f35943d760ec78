import { Dtab, Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Activity } from './activity.js';
import { Addr, address } from './addr.js';
import type { DelegateTree } from './delegate-tree.js';
import { createInterpreter } from './interpreter.js';

// The dtab and expectations of Linkerd's admin DelegatorTest.
const dtab = Dtab.read(`
  /bah/humbug => /$/inet/127.1/8080 ;
  /foo => /bah | /$/fail ;
  /foo => /bar ;
  /boo => /foo ;
  /meh => /heh ;
`);

function setup() {
  const { namer, witness } = fakeNamer({ idPrefix: ['#', 'namer'] });
  const interpreter = createInterpreter({
    namers: [{ prefix: ['#', 'namer'], namer }],
    dnsLookup: async (host) => (host === '127.1' ? ['127.0.0.1'] : []),
  });
  return { interpreter, witness };
}

async function delegate(dtabText: Dtab, path: string, i = setup().interpreter): Promise<DelegateTree> {
  return Activity.toPromise(i.delegate(dtabText, Path.read(path)));
}

describe('createInterpreter().delegate', () => {
  it('explains a neg delegation', async () => {
    expect(await delegate(dtab, '/nope')).toEqual({ type: 'neg', path: '/nope', dentry: null });
  });

  it('explains a delegation to a neg', async () => {
    expect(await delegate(dtab, '/meh/hey')).toEqual({
      type: 'delegate',
      path: '/meh/hey',
      dentry: null,
      delegate: { type: 'neg', path: '/heh/hey', dentry: { prefix: '/meh', dst: '/heh' } },
    });
  });

  it('explains an alt delegation, every alternative shown', async () => {
    expect(await delegate(dtab, '/boo/lol')).toEqual({
      type: 'delegate',
      path: '/boo/lol',
      dentry: null,
      delegate: {
        type: 'alt',
        path: '/foo/lol',
        dentry: { prefix: '/boo', dst: '/foo' },
        alt: [
          { type: 'neg', path: '/bar/lol', dentry: { prefix: '/foo', dst: '/bar' } },
          { type: 'neg', path: '/bah/lol', dentry: { prefix: '/foo', dst: '/bah | /$/fail' } },
          { type: 'fail', path: '/$/fail/lol', dentry: { prefix: '/foo', dst: '/bah | /$/fail' } },
        ],
      },
    });
  });

  it('explains a bound delegation with the leaf address', async () => {
    const tree = await delegate(dtab, '/boo/humbug/ya');
    expect(tree).toEqual({
      type: 'delegate',
      path: '/boo/humbug/ya',
      dentry: null,
      delegate: {
        type: 'alt',
        path: '/foo/humbug/ya',
        dentry: { prefix: '/boo', dst: '/foo' },
        alt: [
          { type: 'neg', path: '/bar/humbug/ya', dentry: { prefix: '/foo', dst: '/bar' } },
          {
            type: 'delegate',
            path: '/bah/humbug/ya',
            dentry: { prefix: '/foo', dst: '/bah | /$/fail' },
            delegate: {
              type: 'leaf',
              path: '/$/inet/127.1/8080/ya',
              dentry: { prefix: '/bah/humbug', dst: '/$/inet/127.1/8080' },
              bound: { addr: { type: 'pending' }, id: '/$/inet/127.1/8080', path: '/ya' },
            },
          },
          { type: 'fail', path: '/$/fail/humbug/ya', dentry: { prefix: '/foo', dst: '/bah | /$/fail' } },
        ],
      },
    });
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
  });

  it('leaf addresses follow the namer and serialise like Linkerd', async () => {
    const { interpreter, witness } = setup();
    witness.setAddr(
      'bro',
      Addr.bound([
        address('10.0.0.1', 80, { meta: { nodeName: 'n1' } }),
        address('10.0.0.2', 80, { weight: 2 }),
      ]),
    );
    const dt = Dtab.read('/nah=>/#/namer');
    const tree = await delegate(dt, '/nah/bro', interpreter);
    expect(tree).toEqual({
      type: 'delegate',
      path: '/nah/bro',
      dentry: null,
      delegate: {
        type: 'leaf',
        path: '/#/namer/bro',
        dentry: { prefix: '/nah', dst: '/#/namer' },
        bound: {
          addr: {
            type: 'bound',
            addrs: [
              { ip: '10.0.0.1', port: 80, meta: { nodeName: 'n1' } },
              { ip: '10.0.0.2', port: 80, meta: { endpoint_addr_weight: 2 } },
            ],
            meta: {},
          },
          id: '/#/namer/bro',
          path: '/',
        },
      },
    });
    const seen: string[] = [];
    const stop = interpreter.delegate(dt, Path.read('/nah/bro')).states.observe((s) => {
      if (s.kind === 'ok' && s.value.type === 'delegate' && s.value.delegate.type === 'leaf') {
        seen.push(s.value.delegate.bound.addr.type);
      }
    });
    witness.setAddr('bro', Addr.failed(new Error('watch broke')));
    witness.setAddr('bro', Addr.neg);
    stop();
    expect(seen).toEqual(['bound', 'failed', 'neg']);
  });

  it('explains unions with weights, empty, and ~ destinations', async () => {
    const dt = Dtab.read('/s => 3 * /$/nil & /x; /x => ~');
    // A delegate whose child explains the same path collapses into the child (Linkerd's simplify).
    const dentry = { prefix: '/s', dst: '3.00*/$/nil & /x' };
    expect(await delegate(dt, '/s')).toEqual({
      type: 'union',
      path: '/s',
      dentry: null,
      union: [
        { weight: 3, tree: { type: 'empty', path: '/$/nil', dentry } },
        {
          weight: 1,
          tree: {
            type: 'delegate',
            path: '/x',
            dentry,
            delegate: { type: 'neg', path: '~', dentry: { prefix: '/x', dst: '~' } },
          },
        },
      ],
    });
  });

  it("shows a namer failure as an exception node with the namer's own message", async () => {
    const { interpreter, witness } = setup();
    witness.fail('down', new Error('api unreachable'));
    const tree = await delegate(Dtab.read('/s=>/#/namer'), '/s/down', interpreter);
    expect(tree).toMatchObject({
      type: 'delegate',
      delegate: { type: 'exception', path: '/#/namer/down', dentry: { prefix: '/s', dst: '/#/namer' } },
    });
    expect((tree as { delegate: { message: string } }).delegate.message).toBe('api unreachable');
  });

  it('fails with SY_ERR_CORE_BIND_DEPTH on a rewrite loop', async () => {
    await expect(delegate(Dtab.read('/a=>/b;/b=>/a'), '/a')).rejects.toMatchObject({
      code: 'SY_ERR_CORE_BIND_DEPTH',
      message: 'Max recursion level: 100 reached in Namer lookup',
    });
  });
});
