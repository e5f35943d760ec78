import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Relative import: testkit depends on dtab, so dtab cannot declare testkit as a dependency.
import { arbLabel, arbPath } from '../../testkit/src/arbitraries.js';
import { Path } from './index.js';

describe('Path laws', () => {
  it('read(show(p)) equals p', () => {
    fc.assert(
      fc.property(arbPath(), (p) => {
        expect(Path.read(Path.show(p))).toEqual(p);
      }),
    );
  });

  it('show is canonical: show(read(show(p))) equals show(p)', () => {
    fc.assert(
      fc.property(arbPath(), (p) => {
        const shown = Path.show(p);
        expect(Path.show(Path.read(shown))).toBe(shown);
      }),
    );
  });

  it('a label is shown verbatim or entirely as lowercase \\xHH escapes', () => {
    fc.assert(
      fc.property(arbLabel(), (label) => {
        const shown = Path.showLabel(label);
        if (shown !== label) expect(shown).toMatch(new RegExp(`^(\\\\x[0-9a-f]{2}){${label.length}}$`));
        else expect(label).toMatch(/^[0-9A-Za-z_:.#$%-]+$/);
      }),
    );
  });

  it('concat(a, b) starts with a and has length a + b', () => {
    fc.assert(
      fc.property(arbPath(), arbPath(), (a, b) => {
        const ab = Path.concat(a, b);
        expect(Path.startsWith(ab, a)).toBe(true);
        expect(ab.length).toBe(a.length + b.length);
        expect(Path.show(ab)).toBe(
          a.length === 0 ? Path.show(b) : b.length === 0 ? Path.show(a) : Path.show(a) + Path.show(b),
        );
      }),
    );
  });
});
