import { Activity, Addr, address, createInterpreter } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { fakeNamer } from './fake-namer.js';

describe('fakeNamer', () => {
  it('answers neg for unknown paths and records lookups', () => {
    const { namer, witness } = fakeNamer();
    expect(Activity.sample(namer.lookup(['x']))).toEqual({ kind: 'neg' });
    expect(witness.lookups()).toEqual([['x']]);
    expect(fakeNamer({ unknown: 'pending' }).namer.lookup(['x']).states.sample().kind).toBe('pending');
  });

  it('drives a binding: address changes, failures, pending, observer counts', () => {
    const { namer, witness } = fakeNamer({ idPrefix: ['#', 'io.l5d.fake'] });
    const interpreter = createInterpreter({ namers: [{ prefix: ['#', 'io.l5d.fake'], namer }] });
    const bound = witness.setAddr('web', Addr.bound([address('127.0.0.1', 1)]));
    expect(bound.id).toEqual(['#', 'io.l5d.fake', 'web']);
    const kinds: string[] = [];
    const stop = interpreter
      .bind(Dtab.read('/svc=>/#/io.l5d.fake'), Path.read('/svc/web'))
      .states.observe((s) => kinds.push(s.kind));
    expect(witness.observers('/web')).toBe(1);
    // an address change does not change the tree
    expect(witness.setAddr('web', Addr.neg)).toBe(bound);
    expect(bound.addr.sample()).toBe(Addr.neg);
    witness.fail('web', new Error('down'));
    witness.pending('web');
    witness.set('web', { kind: 'empty' });
    stop();
    expect(kinds).toEqual(['ok', 'failed', 'pending', 'ok']);
    expect(witness.observers('web')).toBe(0);
  });
});
