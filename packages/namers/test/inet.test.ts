/** The standalone /$/inet namer: literals bind at once, names resolve while observed. */
import type { BoundName, Name } from '@switchyard/core';
import { Activity } from '@switchyard/core';
import type { NameTree } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { createFixedInetNamer, createInetNamer } from '../src/inet.js';
import { waitFor } from './helpers.js';

function bound(tree: NameTree<Name>): BoundName {
  if (tree.kind !== 'leaf' || tree.value.kind !== 'bound')
    throw new Error(`not bound: ${JSON.stringify(tree)}`);
  return tree.value;
}

describe('/$/inet namer', () => {
  it('binds an IP literal and port, keeping the residual', () => {
    const name = bound(Activity.sample(createInetNamer().lookup(['127.0.0.1', '8080', 'a', 'b'])));
    expect(name.id).toEqual(['$', 'inet', '127.0.0.1', '8080']);
    expect(name.residual).toEqual(['a', 'b']);
    expect(name.addr.sample()).toMatchObject({
      kind: 'bound',
      addresses: [{ host: '127.0.0.1', port: 8080 }],
    });
  });

  it('binds a bare port to the loopback address, as finagle does', () => {
    const name = bound(Activity.sample(createInetNamer().lookup(['4140'])));
    expect(name.addr.sample()).toMatchObject({
      kind: 'bound',
      addresses: [{ host: '127.0.0.1', port: 4140 }],
    });
  });

  it('re-exports /$/fixedinet', () => {
    const name = bound(Activity.sample(createFixedInetNamer().lookup(['127.0.0.1', '8080', 'a'])));
    expect(name.id).toEqual(['$', 'fixedinet', '127.0.0.1', '8080']);
    expect(name.residual).toEqual(['a']);
  });

  it('resolves host names through the lookup; unknown names are neg', async () => {
    const namer = createInetNamer({
      lookup: async (host) => {
        if (host === 'web.local') return ['10.0.0.7', '::1'];
        throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      },
    });
    const web = bound(Activity.sample(namer.lookup(['web.local', '80'])));
    const addr = await waitFor(web.addr, (a) => a.kind === 'bound');
    expect(addr.kind === 'bound' && addr.addresses.map((a) => `${a.host}:${a.port}`)).toEqual([
      '10.0.0.7:80',
      '::1:80',
    ]);
    const ghost = bound(Activity.sample(namer.lookup(['ghost', '80'])));
    await waitFor(ghost.addr, (a) => a.kind === 'neg');
  });

  it('anything else is neg', () => {
    for (const path of [[], ['host'], ['host', 'http']]) {
      expect(Activity.sample(createInetNamer().lookup(path))).toEqual({ kind: 'neg' });
    }
  });

  it('binds a port outside 0–65535 to a failed address, as finagle does', () => {
    const name = bound(Activity.sample(createInetNamer().lookup(['host', '70000'])));
    expect(name.addr.sample()).toMatchObject({ kind: 'failed' });
  });
});
