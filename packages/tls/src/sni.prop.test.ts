/**
 * SNI matching against an independent model over random tables and names drawn from a tiny
 * alphabet (so that names collide): an exact name beats a wildcard, a wildcard covers exactly one
 * label, the earlier entry wins a tie, and matching ignores case and a trailing dot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSniIndex, selectSni } from './sni.js';

const arbLabel = fc.constantFrom('a', 'b', 'api', 'www', 'example', 'com');
const arbHost = fc.array(arbLabel, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));

/** The same name as a client or a certificate might spell it: any case, maybe a trailing dot. */
function respell(name: string, upper: readonly boolean[], dot: boolean): string {
  const cased = [...name]
    .map((c, i) => (upper[i % Math.max(upper.length, 1)] ? c.toUpperCase() : c))
    .join('');
  return dot ? `${cased}.` : cased;
}
const arbSpelling = fc.tuple(fc.array(fc.boolean(), { maxLength: 8 }), fc.boolean());

const arbName = fc.tuple(fc.boolean(), arbHost).map(([wild, host]) => (wild ? `*.${host}` : host));
const arbEntries = fc.array(
  fc.record({ names: fc.array(fc.tuple(arbName, arbSpelling), { maxLength: 3 }), value: fc.nat(1000) }),
  { maxLength: 6 },
);

type Entries = readonly { readonly names: readonly string[]; readonly value: number }[];

/** The rules written out plainly: first exact claimant, else first one-label wildcard, else default. */
function model(entries: Entries, fallback: number | undefined, servername: string) {
  const canon = (n: string) => n.toLowerCase().replace(/\.$/, '');
  const name = canon(servername);
  for (const e of entries)
    if (e.names.some((n) => canon(n) === name)) return { kind: 'exact', value: e.value };
  const labels = name.split('.');
  if (labels.length >= 2 && labels[0] !== '') {
    const wild = `*.${labels.slice(1).join('.')}`;
    for (const e of entries)
      if (e.names.some((n) => canon(n) === wild)) return { kind: 'wildcard', value: e.value };
  }
  return fallback === undefined ? { kind: 'none' } : { kind: 'default', value: fallback };
}

describe('selectSni (properties)', () => {
  it('agrees with the model: exact beats wildcard, a wildcard covers one label, the first claimant wins', () => {
    fc.assert(
      fc.property(
        arbEntries,
        fc.option(fc.nat(1000), { nil: undefined }),
        arbHost,
        arbSpelling,
        (raw, fallback, host, [upper, dot]) => {
          const entries = raw.map((e) => ({
            value: e.value,
            names: e.names.map(([n, [u, d]]) => respell(n, u, d)),
          }));
          const match = selectSni(buildSniIndex(entries, fallback), respell(host, upper, dot));
          const expected = model(entries, fallback, host);
          expect({ kind: match.kind, value: (match as { value?: number }).value }).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a wildcard never matches its own suffix nor a name two labels deeper', () => {
    fc.assert(
      fc.property(arbHost, arbLabel, arbLabel, (suffix, x, y) => {
        const index = buildSniIndex([{ names: [`*.${suffix}`], value: 1 }], undefined);
        expect(selectSni(index, `${x}.${suffix}`)).toMatchObject({ kind: 'wildcard', value: 1 });
        expect(selectSni(index, suffix).kind).toBe('none');
        expect(selectSni(index, `${y}.${x}.${suffix}`).kind).toBe('none');
      }),
    );
  });

  it('answers the same for any spelling of the server name', () => {
    fc.assert(
      fc.property(arbEntries, arbHost, arbSpelling, arbSpelling, (raw, host, a, b) => {
        const entries = raw.map((e) => ({
          value: e.value,
          names: e.names.map(([n, [u, d]]) => respell(n, u, d)),
        }));
        const index = buildSniIndex(entries, 0);
        expect(selectSni(index, respell(host, ...a))).toEqual(selectSni(index, respell(host, ...b)));
      }),
    );
  });
});
