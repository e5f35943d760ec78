/** `/$/inet` and `/$/fixedinet` against finagle's `Namer.global` (`InetPath`) and its resolvers. */
import type { NameTree } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeClock } from '../../testkit/src/fake-clock.js';
import { Activity } from './activity.js';
import { Addr, address } from './addr.js';
import { createFixedInetNamer, createInetNamer, type DnsLookup, parseInetInteger } from './inet.js';
import type { BoundName, Name } from './name.js';
import type { Var } from './var.js';

function bound(tree: NameTree<Name>): BoundName {
  if (tree.kind !== 'leaf' || tree.value.kind !== 'bound')
    throw new Error(`not bound: ${JSON.stringify(tree)}`);
  return tree.value;
}

/** Observes `v` until `pred` holds, then stops observing. */
function until<T>(v: Var<T>, pred: (x: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const stop = v.observe((x) => {
      if (pred(x)) {
        queueMicrotask(() => stop());
        resolve(x);
      }
    });
  });
}

/** A lookup answering from `table` (a missing host is ENOTFOUND) and counting queries. */
function scriptedLookup(table: Map<string, readonly string[] | Error>): {
  lookup: DnsLookup;
  asked: string[];
} {
  const asked: string[] = [];
  return {
    asked,
    lookup: async (host) => {
      asked.push(host);
      const answer = table.get(host);
      if (answer === undefined) throw Object.assign(new Error(`${host} not found`), { code: 'ENOTFOUND' });
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe.each([
  ['inet', createInetNamer],
  ['fixedinet', createFixedInetNamer],
] as const)('/$/%s paths (finagle InetPath)', (kind, create) => {
  it('reads host/port before port/residual: /1234/5678 is host 1234, port 5678', () => {
    const name = bound(
      Activity.sample(create({ lookup: async () => ['0.0.4.210'] }).lookup(['1234', '5678'])),
    );
    expect(name.id).toEqual(['$', kind, '1234', '5678']);
    expect(name.residual).toEqual([]);
  });

  it('a bare port is the loopback address, the rest is the residual', () => {
    const name = bound(Activity.sample(create().lookup(['1234', 'foobar', '9'])));
    expect(name.id).toEqual(['$', kind, '1234']);
    expect(name.residual).toEqual(['foobar', '9']);
    expect(name.addr.sample()).toEqual(Addr.bound([address('127.0.0.1', 1234)]));
  });

  it('host/port keeps the residual; localhost is the loopback without DNS', () => {
    const { lookup, asked } = scriptedLookup(new Map());
    const name = bound(Activity.sample(create({ lookup }).lookup(['localhost', '80', 'a', 'b'])));
    expect(name.id).toEqual(['$', kind, 'localhost', '80']);
    expect(name.residual).toEqual(['a', 'b']);
    expect(name.addr.sample()).toEqual(Addr.bound([address('127.0.0.1', 80)]));
    expect(asked).toEqual([]);
  });

  it('ports are Scala toInt: sign and leading zeros accepted, out of range is a failed Addr', () => {
    expect(bound(Activity.sample(create().lookup(['127.0.0.1', '+0080']))).addr.sample()).toEqual(
      Addr.bound([address('127.0.0.1', 80)]),
    );
    const neg = bound(Activity.sample(create().lookup(['127.0.0.1', '-1']))).addr.sample();
    expect(neg.kind === 'failed' && neg.error.message).toBe('port out of range:-1');
    expect(bound(Activity.sample(create().lookup(['70000']))).addr.sample().kind).toBe('failed');
  });

  it('anything else is neg (the interpreter then reports an unknown namer)', () => {
    for (const path of [[], ['host'], ['host', 'http'], ['2147483648'], ['+'], [' 80']]) {
      expect(Activity.sample(create().lookup(path))).toEqual({ kind: 'neg' });
    }
  });

  it('resolves host names: found is bound, ENOTFOUND neg, other errors failed, nothing found an empty set', async () => {
    const { lookup } = scriptedLookup(
      new Map<string, readonly string[] | Error>([
        ['web', ['10.0.0.1', '10.0.0.2']],
        ['broken', Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })],
        ['none', []],
      ]),
    );
    const namer = create({ lookup });
    const addr = (host: string) => bound(Activity.sample(namer.lookup([host, '80']))).addr;
    expect(await until(addr('web'), (a) => a.kind !== 'pending')).toEqual(
      Addr.bound([address('10.0.0.1', 80), address('10.0.0.2', 80)]),
    );
    expect(await until(addr('ghost'), (a) => a.kind !== 'pending')).toBe(Addr.neg);
    const failed = await until(addr('broken'), (a) => a.kind !== 'pending');
    expect(failed.kind === 'failed' && failed.error).toMatchObject({ code: 'SY_ERR_CORE_DNS' });
    expect(await until(addr('none'), (a) => a.kind !== 'pending')).toEqual(Addr.bound([]));
  });
});

it('a lookup that throws instead of rejecting is a failed Addr', async () => {
  const namer = createInetNamer({
    lookup: () => {
      throw new Error('resolver misconfigured');
    },
  });
  const addr = bound(Activity.sample(namer.lookup(['web', '80']))).addr;
  const a = await until(addr, (x) => x.kind !== 'pending');
  expect(a.kind === 'failed' && a.error).toMatchObject({ code: 'SY_ERR_CORE_DNS' });
});

describe('parseInetInteger (Java Integer.parseInt)', () => {
  it('accepts what parseInt accepts', () => {
    expect(parseInetInteger('8080')).toBe(8080);
    expect(parseInetInteger('-0')).toBe(0);
    expect(parseInetInteger('000000000000080')).toBe(80);
    expect(parseInetInteger('2147483647')).toBe(2147483647);
    expect(parseInetInteger('-2147483648')).toBe(-2147483648);
    // Character.digit accepts every Unicode decimal digit, e.g. Arabic-Indic ٨٠ (80).
    expect(parseInetInteger('\u0668\u0660')).toBe(80);
  });

  it('rejects what parseInt rejects', () => {
    for (const s of ['', '+', '-', '2147483648', '-2147483649', '1e3', '0x50', '80 ', '8_0', '\u00b2']) {
      expect(parseInetInteger(s)).toBeUndefined();
    }
  });
});

describe('re-resolution', () => {
  it('/$/inet re-resolves a host name every 5 s while observed, and stops when unobserved', async () => {
    const table = new Map<string, readonly string[]>([['web', ['10.0.0.1']]]);
    const { lookup, asked } = scriptedLookup(table);
    const clock = fakeClock();
    const addr = bound(Activity.sample(createInetNamer({ lookup, clock }).lookup(['web', '80']))).addr;
    const seen: Addr[] = [];
    const stop = addr.observe((a) => seen.push(a));
    await flush();
    expect(seen).toEqual([Addr.pending, Addr.bound([address('10.0.0.1', 80)])]);
    clock.advance(5000);
    await flush();
    // the same answer again is not a change
    expect(asked).toEqual(['web', 'web']);
    expect(seen).toHaveLength(2);
    table.set('web', ['10.0.0.2']);
    clock.advance(4999);
    await flush();
    expect(asked).toEqual(['web', 'web']);
    clock.advance(1);
    await flush();
    expect(asked).toEqual(['web', 'web', 'web']);
    expect(seen.at(-1)).toEqual(Addr.bound([address('10.0.0.2', 80)]));
    stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('/$/fixedinet resolves a host name once and keeps the answer; a failure is asked again', async () => {
    const table = new Map<string, readonly string[] | Error>([
      ['web', ['10.0.0.1']],
      ['flaky', Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })],
    ]);
    const { lookup, asked } = scriptedLookup(table);
    const namer = createFixedInetNamer({ lookup });
    const addr = (host: string) => bound(Activity.sample(namer.lookup([host, '80']))).addr;
    expect(await until(addr('web'), (a) => a.kind !== 'pending')).toEqual(
      Addr.bound([address('10.0.0.1', 80)]),
    );
    table.set('web', ['10.0.0.2']);
    expect(await until(addr('web'), (a) => a.kind !== 'pending')).toEqual(
      Addr.bound([address('10.0.0.1', 80)]),
    );
    expect((await until(addr('flaky'), (a) => a.kind !== 'pending')).kind).toBe('failed');
    table.set('flaky', ['10.0.0.9']);
    expect(await until(addr('flaky'), (a) => a.kind !== 'pending')).toEqual(
      Addr.bound([address('10.0.0.9', 80)]),
    );
    expect(asked).toEqual(['web', 'flaky', 'flaky']);
  });
});
