import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCookies } from './cookies.js';

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const OCTETS: string[] = [];
for (let c = 0x21; c <= 0x7e; c++)
  if (![0x22, 0x2c, 0x3b, 0x5c].includes(c)) OCTETS.push(String.fromCharCode(c));

const arbName = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
const arbValue = fc.string({ unit: fc.constantFrom(...OCTETS), maxLength: 16 });
/** Well-formed pairs with distinct names. */
const arbPairs = fc.uniqueArray(fc.tuple(arbName, arbValue, fc.boolean()), {
  selector: ([name]) => name,
  maxLength: 8,
});
/** Pairs RFC 6265 does not allow: no `=`, a non-token name, a value with a forbidden octet. */
const arbMalformed = fc.oneof(
  arbName, // no '='
  fc.tuple(fc.constantFrom('', ' a b', 'na(me', 'x"y', 'é'), arbValue).map(([n, v]) => `${n}=${v}`),
  fc
    .tuple(arbName, arbValue, fc.constantFrom('"', ',', '\\', ' ', '\x01', 'é'))
    .map(([n, v, bad]) => `${n}=a${v}${bad}b`),
);

describe('parseCookies (RFC 6265)', () => {
  it('never throws, and only yields token names and cookie-octet values', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        for (const [name, value] of parseCookies(header)) {
          expect(name).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
          expect(value).toMatch(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips well-formed pairs (quoted or not)', () => {
    fc.assert(
      fc.property(arbPairs, (pairs) => {
        const header = pairs.map(([n, v, quoted]) => `${n}=${quoted ? `"${v}"` : v}`).join('; ');
        expect([...parseCookies(header)]).toEqual(pairs.map(([n, v]) => [n, v]));
      }),
    );
  });

  it('skips malformed pairs and keeps the well-formed ones around them', () => {
    fc.assert(
      fc.property(
        arbPairs,
        fc.array(arbMalformed, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (pairs, bad, seed) => {
          const good = pairs.map(([n, v]) => `${n}=${v}`);
          const all = [...good];
          for (const [i, b] of bad.entries()) all.splice((seed + i * 7) % (all.length + 1), 0, b);
          expect([...parseCookies(all.join('; '))]).toEqual(pairs.map(([n, v]) => [n, v]));
        },
      ),
    );
  });

  it('takes the first of repeated names and tolerates missing or extra spaces', () => {
    expect([...parseCookies('a=1;b=2;  a=3 ;c="q"')]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', 'q'],
    ]);
    expect(parseCookies('').size).toBe(0);
    expect(parseCookies(';;=;').size).toBe(0);
  });
});
