import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Identification, RequestHead } from '@switchyard/core';
import { createMetricsRegistry, identified, unidentified } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { fakeClock } from '@switchyard/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  DTAB_OVERRIDE_CHANNEL,
  DTAB_OVERRIDE_REJECTED_CHANNEL,
  dtabOverridesApplied,
  withDtabOverrides,
} from './dtab-overrides.js';
import { IdentifierConfigError } from './errors.js';
import { mintSignedOverride } from './signed-override.js';

function req(headers: Record<string, string | string[]> = {}): RequestHead {
  return {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    headers,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

const world = Path.read('/svc/world');
const base = async (r: RequestHead): Promise<Identification<RequestHead>> =>
  r.url === '/none' ? unidentified('no') : identified(world, r);

function dtabOf(id: Identification<RequestHead>): string | undefined {
  return id.kind === 'identified' && id.dtab !== undefined ? Dtab.show(id.dtab) : undefined;
}

function counters(stats: ReturnType<typeof createMetricsRegistry>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of stats.snapshot()) if (s.kind === 'counter' && s.value > 0) out[s.name.join('/')] = s.value;
  return out;
}

const events: { channel: string; message: unknown }[] = [];
const listeners = [DTAB_OVERRIDE_CHANNEL, DTAB_OVERRIDE_REJECTED_CHANNEL].map((name) => {
  const f = (message: unknown) => events.push({ channel: name, message });
  subscribe(name, f);
  return () => unsubscribe(name, f);
});
afterEach(() => {
  events.length = 0;
});
afterAll(() => {
  for (const stop of listeners) stop();
});

describe('withDtabOverrides', () => {
  const overrides = [
    {
      label: 'dogfood',
      when: { kind: 'cookie' as const, name: 'dogfood', match: 'yes|1' },
      dtab: '/svc/world => /svc/world-v2',
    },
    {
      label: 'beta',
      when: { kind: 'header' as const, name: 'X-Beta' },
      dtab: '/svc/hello => /svc/hello-beta',
    },
  ];

  it('appends the dentries of matching overrides, in order, and counts each', async () => {
    const stats = createMetricsRegistry();
    const identify = withDtabOverrides(base, { overrides, stats });
    expect(dtabOf(await identify(req()))).toBeUndefined();
    expect(dtabOf(await identify(req({ cookie: 'a=b; dogfood=yes' })))).toBe('/svc/world=>/svc/world-v2');
    expect(dtabOf(await identify(req({ cookie: 'dogfood=no' })))).toBeUndefined();
    expect(dtabOf(await identify(req({ cookie: 'dogfood=yes2' })))).toBeUndefined();
    expect(dtabOf(await identify(req({ 'x-beta': '1', cookie: 'dogfood=1' })))).toBe(
      '/svc/world=>/svc/world-v2;/svc/hello=>/svc/hello-beta',
    );
    expect((await identify({ ...req({ cookie: 'dogfood=1' }), url: '/none' })).kind).toBe('unidentified');
    expect(counters(stats)).toEqual({
      'dtab_overrides/dogfood/applied': 2,
      'dtab_overrides/beta/applied': 1,
    });
    expect(events.filter((e) => e.channel === DTAB_OVERRIDE_CHANNEL).map((e) => e.message)).toEqual([
      {
        overrides: ['dogfood'],
        dtab: '/svc/world=>/svc/world-v2',
        path: '/svc/world',
        remoteAddress: '127.0.0.1',
      },
      {
        overrides: ['dogfood', 'beta'],
        dtab: '/svc/world=>/svc/world-v2;/svc/hello=>/svc/hello-beta',
        path: '/svc/world',
        remoteAddress: '127.0.0.1',
      },
    ]);
  });

  it("goes after the identification's own dtab and yields one Dtab object per combination", async () => {
    const own = Dtab.read('/svc/world => /svc/a');
    const identify = withDtabOverrides(async (r) => identified(world, r, own), { overrides });
    const a = await identify(req({ cookie: 'dogfood=yes' }));
    const b = await identify(req({ cookie: 'dogfood=1' }));
    expect(dtabOf(a)).toBe('/svc/world=>/svc/a;/svc/world=>/svc/world-v2');
    expect(a.kind === 'identified' && b.kind === 'identified' && a.dtab === b.dtab).toBe(true);
    const c = await identify(req());
    expect(c.kind === 'identified' && c.dtab).toBe(own);
  });

  it('ignores a malformed override cookie with an event and a counter, routing as without it', async () => {
    const stats = createMetricsRegistry();
    const identify = withDtabOverrides(base, { overrides, stats });
    const id = await identify(req({ cookie: 'dogfood=y e s; other=a b' }));
    expect(id.kind).toBe('identified');
    expect(dtabOf(id)).toBeUndefined();
    expect(counters(stats)).toEqual({ 'dtab_overrides/malformed_cookie': 1 });
    expect(events).toEqual([
      {
        channel: DTAB_OVERRIDE_REJECTED_CHANNEL,
        message: { reason: 'malformedCookie', cookie: 'dogfood', remoteAddress: '127.0.0.1' },
      },
    ]);
  });

  it('honours a signed cookie only with a valid signature from a held key, before it expires', async () => {
    const k1 = { id: 'k1', secret: randomBytes(32) };
    const k2 = { id: 'k2', secret: randomBytes(32) };
    const stats = createMetricsRegistry();
    const clock = fakeClock(1_000_000_000_000);
    const now = clock.now();
    const identify = withDtabOverrides(base, {
      overrides,
      signed: { cookie: 'l5d-override', keys: [k2, k1] },
      stats,
      clock,
    });
    const good = mintSignedOverride({
      dtab: '/svc/world => /svc/world-v3',
      key: k1,
      expiresAt: now + 60_000,
    });
    const forged = mintSignedOverride({
      dtab: '/svc/world => /svc/evil',
      key: { id: 'k1', secret: randomBytes(32) },
      expiresAt: now + 60_000,
    });
    const r = await identify(req({ cookie: `dogfood=1; l5d-override=${good}` }));
    expect(dtabOf(r)).toBe('/svc/world=>/svc/world-v2;/svc/world=>/svc/world-v3');
    const again = await identify(req({ cookie: `l5d-override=${good}` }));
    const again2 = await identify(req({ cookie: `l5d-override=${good}` }));
    expect(again.kind === 'identified' && again2.kind === 'identified' && again.dtab === again2.dtab).toBe(
      true,
    );
    expect(dtabOf(await identify(req({ cookie: `l5d-override=${forged}` })))).toBeUndefined();
    clock.advance(60_000);
    expect(dtabOf(await identify(req({ cookie: `l5d-override=${good}` })))).toBeUndefined();
    expect(counters(stats)).toEqual({
      'dtab_overrides/dogfood/applied': 1,
      'dtab_overrides/signed/applied': 3,
      'dtab_overrides/signed/rejected/badSignature': 1,
      'dtab_overrides/signed/rejected/expired': 1,
    });
    expect(events.filter((e) => e.channel === DTAB_OVERRIDE_REJECTED_CHANNEL).map((e) => e.message)).toEqual([
      { reason: 'badSignature', cookie: 'l5d-override', keyId: 'k1', remoteAddress: '127.0.0.1' },
      { reason: 'expired', cookie: 'l5d-override', keyId: 'k1', remoteAddress: '127.0.0.1' },
    ]);
    expect(events[0]!.message).toMatchObject({ signed: { cookie: 'l5d-override', keyId: 'k1' } });
  });

  it('records per request head which overrides applied (labels, signed key id, never the value)', async () => {
    const k1 = { id: 'k1', secret: randomBytes(32) };
    const wrapped = withDtabOverrides(base, {
      overrides,
      signed: { cookie: 'l5d-override', keys: [k1] },
    });
    const value = mintSignedOverride({ dtab: '/svc/a => /svc/b', key: k1, expiresAt: Date.now() + 60_000 });
    const plain = req({ cookie: 'other=1' });
    const cookie = req({ cookie: 'dogfood=yes' });
    const both = req({ cookie: `dogfood=1; l5d-override=${value}` });
    const forged = req({ cookie: `l5d-override=${value}x` });
    for (const r of [plain, cookie, both, forged]) await wrapped(r);
    expect(dtabOverridesApplied(plain)).toBeUndefined();
    expect(dtabOverridesApplied(cookie)).toEqual({ overrides: ['dogfood'] });
    expect(dtabOverridesApplied(both)).toEqual({
      overrides: ['dogfood'],
      signed: { cookie: 'l5d-override', keyId: 'k1' },
    });
    expect(JSON.stringify(dtabOverridesApplied(both))).not.toContain(value);
    expect(dtabOverridesApplied(forged)).toBeUndefined();
  });

  it('returns the identifier itself when nothing is configured, and names the field of a bad override', () => {
    expect(withDtabOverrides(base, {})).toBe(base);
    const bad = (o: object) => () => withDtabOverrides(base, { overrides: [o as never] });
    expect(bad({ when: { kind: 'cookie', name: 'a b' }, dtab: '/a=>/b' })).toThrow(
      /dtabOverrides: \[0\]\.when\.cookie\.name/,
    );
    expect(bad({ when: { kind: 'header', name: 'x', match: '(' }, dtab: '/a=>/b' })).toThrow(
      /\[0\]\.when\.header\.match/,
    );
    expect(bad({ when: { kind: 'cookie', name: 'x' }, dtab: '/a=>' })).toThrow(/\[0\]\.dtab: /);
    expect(bad({ when: { kind: 'cookie', name: 'x' }, dtab: '' })).toThrow(/\[0\]\.dtab: no dentries/);
    expect(bad({ when: { kind: 'cookie', name: 'x' }, dtab: '/a=>/b', label: 'a/b' })).toThrow(
      IdentifierConfigError,
    );
  });
});
