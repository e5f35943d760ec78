/**
 * Naming benchmarks: dtab parse, lookup at 1 / 100 / 10k dentries, a full bind through an
 * in-memory namer, and re-resolution of an already-bound name through the binding cache (the
 * per-request cost). Run with `pnpm bench` in this package. Never asserts speed.
 */
import { Dtab, Path } from '@switchyard/dtab';
import { bench, describe } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Activity } from '../src/activity.js';
import { Addr, address } from '../src/addr.js';
import { createInterpreter } from '../src/interpreter.js';

const ingressDtab = `
  /srv        => /#/io.l5d.k8s/default/http ;
  /host       => /srv ;
  /tmp        => /srv ;
  /svc        => /host ;
  /host/world => /srv/world-v1 ;
  /http/*/*   => /host ;
`;

function dtabOf(n: number): Dtab {
  const text: string[] = [];
  for (let i = 0; i < n - 1; i++) text.push(`/svc/s${i} => /#/io.l5d.k8s/default/http/s${i}`);
  text.push('/svc => /#/io.l5d.k8s/default/http');
  return Dtab.read(text.join(';'));
}

describe('dtab', () => {
  bench('Dtab.read (6 dentries, the ingress post)', () => {
    Dtab.read(ingressDtab);
  });
  for (const n of [1, 100, 10_000]) {
    const dtab = dtabOf(n);
    const hit = Path.read(n > 1 ? `/svc/s${Math.floor(n / 2)}/x` : '/svc/web');
    bench(`Dtab.lookup, ${n} dentries`, () => {
      Dtab.lookup(dtab, hit);
    });
  }
});

describe('bind', () => {
  const { namer, witness } = fakeNamer({ idPrefix: ['#', 'io.l5d.k8s'] });
  witness.setAddr('default/http/world-v1', Addr.bound([address('10.0.0.1', 8080)]));
  const interpreter = createInterpreter({ namers: [{ prefix: ['#', 'io.l5d.k8s'], namer }] });
  const dtab = Dtab.read(ingressDtab);
  const path = Path.read('/svc/world');

  bench('full bind /svc/world through 4 rewrites and an in-memory namer', () => {
    const s = interpreter.bind(dtab, path).states.sample();
    if (s.kind !== 'ok') throw new Error('not bound');
  });

  // Kept observed, as the router's binding cache keeps its bindings: sampling is then a read.
  const bound = interpreter.bind(dtab, path);
  bound.states.observe(() => {});
  bench('sample an already-bound Activity', () => {
    Activity.sample(bound);
  });
});
