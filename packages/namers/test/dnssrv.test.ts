/**
 * io.l5d.dnssrv with a fake resolver and a fake clock: SRV records to weighted addresses,
 * refresh on the interval, NXDOMAIN as neg, transient errors keeping the last good set.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Addr, BoundName, Dispose, Name } from '@switchyard/core';
import type { NameTree } from '@switchyard/dtab';
import { fakeClock, eventually as until } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDnsSrvNamer,
  DNSSRV_ERROR_CHANNEL,
  DnsSrvLookupError,
  DnsSrvNamerConfigError,
  type SrvRecord,
} from '../src/dnssrv.js';
import { waitFor, waitForState } from './helpers.js';

const disposers: Dispose[] = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});

function dnsError(code: string): Error {
  return Object.assign(new Error(`querySrv ${code}`), { code });
}

/** A resolver whose answers the test changes; counts queries. */
function fakeResolver(initial: Record<string, readonly SrvRecord[] | Error>) {
  const answers = new Map(Object.entries(initial));
  let queries = 0;
  return {
    answers,
    queries: () => queries,
    resolver: {
      async resolveSrv(name: string): Promise<readonly SrvRecord[]> {
        queries++;
        const a = answers.get(name) ?? dnsError('ENOTFOUND');
        if (a instanceof Error) throw a;
        return a;
      },
    },
  };
}

const hosts: Record<string, readonly string[]> = {
  'a.example.': ['10.0.0.1'],
  'b.example.': ['10.0.0.2', '10.0.0.3'],
};
const lookup = async (host: string) => {
  const ips = hosts[host];
  if (ips === undefined) throw dnsError('ENOTFOUND');
  return ips;
};

function summary(addr: Addr): string[] {
  if (addr.kind !== 'bound') return [addr.kind];
  return addr.addresses.map((a) => `${a.host}:${a.port}*${a.weight}`);
}

const SRV = '_http._tcp.web.example';

describe('io.l5d.dnssrv', () => {
  it('binds /<srv-name>/<residual> to the resolved targets, weighted by SRV weight', async () => {
    const dns = fakeResolver({
      [SRV]: [
        { name: 'a.example.', port: 8080, priority: 10, weight: 5 },
        { name: 'b.example.', port: 9090, priority: 10, weight: 1 },
      ],
    });
    const namer = createDnsSrvNamer({ dnsResolver: dns.resolver, lookup, clock: fakeClock() });
    const activity = namer.lookup([SRV, 'rest']);
    const s = await waitForState(activity, (st) => st.kind === 'ok');
    const tree = (s as { value: NameTree<Name> }).value;
    expect(tree.kind).toBe('leaf');
    const name = (tree as { value: BoundName }).value;
    expect(name.id).toEqual(['#', 'io.l5d.dnssrv', SRV]);
    expect(name.residual).toEqual(['rest']);
    const addr = await waitFor(name.addr, (a) => a.kind === 'bound');
    expect(summary(addr)).toEqual(['10.0.0.1:8080*5', '10.0.0.2:9090*1', '10.0.0.3:9090*1']);
    expect(addr.kind === 'bound' && addr.addresses[0]!.meta).toEqual({ priority: 10, target: 'a.example.' });
  });

  it('all-zero weights mean no preference: every address weighs 1', async () => {
    const dns = fakeResolver({ [SRV]: [{ name: 'a.example.', port: 1, priority: 0, weight: 0 }] });
    const namer = createDnsSrvNamer({ dnsResolver: dns.resolver, lookup, clock: fakeClock() });
    const s = await waitForState(namer.lookup([SRV]), (st) => st.kind === 'ok');
    const name = ((s as { value: NameTree<Name> }).value as { value: BoundName }).value;
    expect(summary(await waitFor(name.addr, (a) => a.kind === 'bound'))).toEqual(['10.0.0.1:1*1']);
  });

  it('NXDOMAIN, no records and no resolvable target are neg', async () => {
    const dns = fakeResolver({
      empty: [],
      nodata: dnsError('ENODATA'),
      ghost: [{ name: 'ghost.example.', port: 1, priority: 0, weight: 1 }],
    });
    const namer = createDnsSrvNamer({ dnsResolver: dns.resolver, lookup, clock: fakeClock() });
    for (const name of ['missing', 'empty', 'nodata', 'ghost']) {
      const s = await waitForState(namer.lookup([name]), (st) => st.kind !== 'pending');
      expect(s).toEqual({ kind: 'ok', value: { kind: 'neg' } });
    }
    const s = await waitForState(namer.lookup([]), (st) => st.kind !== 'pending');
    expect(s).toEqual({ kind: 'ok', value: { kind: 'neg' } });
  });

  it('refreshes every refreshIntervalSeconds while observed, and stops when unobserved', async () => {
    const clock = fakeClock();
    const dns = fakeResolver({ [SRV]: [{ name: 'a.example.', port: 8080, priority: 0, weight: 1 }] });
    const namer = createDnsSrvNamer({ dnsResolver: dns.resolver, lookup, clock, refreshIntervalSeconds: 30 });
    const activity = namer.lookup([SRV]);
    const s = await waitForState(activity, (st) => st.kind === 'ok');
    const name = ((s as { value: NameTree<Name> }).value as { value: BoundName }).value;
    const seen: string[][] = [];
    const stop = name.addr.observe((a) => seen.push(summary(a)));
    await waitFor(name.addr, (a) => a.kind === 'bound');
    await until(() => clock.pendingTimers() === 1); // the next refresh is scheduled
    const before = dns.queries();

    dns.answers.set(SRV, [{ name: 'b.example.', port: 7070, priority: 0, weight: 2 }]);
    clock.advance(29_999);
    expect(dns.queries()).toBe(before);
    clock.advance(1);
    await waitFor(name.addr, (a) => summary(a).join() === '10.0.0.2:7070*2,10.0.0.3:7070*2');
    expect(dns.queries()).toBe(before + 1);

    // An unchanged answer does not re-emit.
    await until(() => clock.pendingTimers() === 1);
    const emitted = seen.length;
    clock.advance(30_000);
    await until(() => dns.queries() === before + 2 && clock.pendingTimers() === 1);
    expect(seen.length).toBe(emitted);

    stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a transient failure keeps the last good set and is published', async () => {
    const clock = fakeClock();
    const errors: unknown[] = [];
    const onError = (m: unknown) => errors.push(m);
    subscribe(DNSSRV_ERROR_CHANNEL, onError);
    disposers.push(() => unsubscribe(DNSSRV_ERROR_CHANNEL, onError));
    const dns = fakeResolver({ [SRV]: [{ name: 'a.example.', port: 8080, priority: 0, weight: 1 }] });
    const namer = createDnsSrvNamer({ dnsResolver: dns.resolver, lookup, clock });
    const s = await waitForState(namer.lookup([SRV]), (st) => st.kind === 'ok');
    const name = ((s as { value: NameTree<Name> }).value as { value: BoundName }).value;
    disposers.push(name.addr.observe(() => {}));
    await waitFor(name.addr, (a) => a.kind === 'bound');
    await until(() => clock.pendingTimers() === 1);

    dns.answers.set(SRV, dnsError('ETIMEOUT'));
    clock.advance(5000);
    await until(() => errors.length > 0 && clock.pendingTimers() === 1);
    expect(summary(name.addr.sample())).toEqual(['10.0.0.1:8080*1']);
    expect(errors[0]).toMatchObject({ name: SRV });

    // NXDOMAIN is an answer, not a failure: the name goes away.
    dns.answers.set(SRV, dnsError('ENOTFOUND'));
    clock.advance(5000);
    await waitFor(name.addr, (a) => a.kind === 'neg');
  });

  it('a failure before any good answer is a failed state', async () => {
    const dns = fakeResolver({ [SRV]: dnsError('ESERVFAIL') });
    const namer = createDnsSrvNamer({ dnsResolver: dns.resolver, lookup, clock: fakeClock() });
    const s = await waitForState(namer.lookup([SRV]), (st) => st.kind !== 'pending');
    expect(s.kind).toBe('failed');
    const error = (s as { error: Error }).error;
    expect(error).toBeInstanceOf(DnsSrvLookupError);
    expect(error.message).toBe(`SRV lookup of ${SRV} failed: querySrv ESERVFAIL`);
  });

  it('rejects bad options', () => {
    expect(() => createDnsSrvNamer({ refreshIntervalSeconds: 0 })).toThrow(DnsSrvNamerConfigError);
    expect(() => createDnsSrvNamer({ prefix: 'x' })).toThrow(/io\.l5d\.dnssrv: prefix:/);
    expect(() => createDnsSrvNamer({ dnsHosts: ['not an ip'] })).toThrow(/dnsHosts/);
    expect(createDnsSrvNamer({ prefix: '/srv' }).prefix).toEqual(['srv']);
  });
});
