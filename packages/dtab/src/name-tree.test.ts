import { describe, expect, it } from 'vitest';
import { DtabParseError } from './errors.js';
import { NameTree, Path } from './index.js';

const leaf = (text: string) => NameTree.leaf(Path.read(text));
const w = NameTree.weighted;

describe('NameTree.read (finagle NameTreeParsersTest "parseNameTree")', () => {
  it('parses the finagle examples', () => {
    expect(NameTree.read('! | ~ | $')).toEqual(NameTree.alt(NameTree.fail, NameTree.neg, NameTree.empty));
    expect(NameTree.read('/foo/bar')).toEqual(leaf('/foo/bar'));
    expect(NameTree.read('  /foo & /bar  ')).toEqual(NameTree.union(w(1, leaf('/foo')), w(1, leaf('/bar'))));
    expect(NameTree.read('  /foo | /bar  ')).toEqual(NameTree.alt(leaf('/foo'), leaf('/bar')));
    expect(NameTree.read('/foo & /bar | /bar & /baz')).toEqual(
      NameTree.alt(
        NameTree.union(w(1, leaf('/foo')), w(1, leaf('/bar'))),
        NameTree.union(w(1, leaf('/bar')), w(1, leaf('/baz'))),
      ),
    );
    expect(NameTree.read('1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz')).toEqual(
      NameTree.alt(
        NameTree.union(w(1, leaf('/foo')), w(2, leaf('/bar'))),
        NameTree.union(w(0.5, leaf('/bar')), w(0.5, leaf('/baz'))),
      ),
    );
  });

  it('the NameTree.read scaladoc example: /foo & /bar | /baz | $', () => {
    expect(NameTree.read('/foo & /bar | /baz | $')).toEqual(
      NameTree.alt(NameTree.union(w(1, leaf('/foo')), w(1, leaf('/bar'))), leaf('/baz'), NameTree.empty),
    );
  });

  it('keeps parenthesised nesting, and drops the weight of a lone member', () => {
    expect(NameTree.read('(/a)')).toEqual(leaf('/a'));
    expect(NameTree.read('2 * /a')).toEqual(leaf('/a'));
    expect(NameTree.read('(/a | /b) | /c')).toEqual(
      NameTree.alt(NameTree.alt(leaf('/a'), leaf('/b')), leaf('/c')),
    );
    expect(NameTree.read('(/a & /b) & /c')).toEqual(
      NameTree.union(w(1, NameTree.union(w(1, leaf('/a')), w(1, leaf('/b')))), w(1, leaf('/c'))),
    );
    expect(NameTree.read('5. * /a & 0 * /b')).toEqual(NameTree.union(w(5, leaf('/a')), w(0, leaf('/b'))));
  });

  it('allows whitespace and comments between tokens', () => {
    expect(NameTree.read('/a # first\n | # second\n /b')).toEqual(NameTree.alt(leaf('/a'), leaf('/b')));
    expect(NameTree.read('\t3\n*\u2003/a\r\n&/b')).toEqual(
      NameTree.union(w(3, leaf('/a')), w(1, leaf('/b'))),
    );
  });

  it.each([
    '',
    '#',
    '/foo &',
    '/foo & 0.1.2 * /bar',
    '/foo & . * /bar',
    '/a |',
    '(/a',
    '/a)',
    '2 /a',
    '\u00a0/a',
  ])('rejects %j', (text) => {
    expect(() => NameTree.read(text)).toThrow(DtabParseError);
  });
});

describe('NameTree.show (finagle NameTree.show/show1/showSimple)', () => {
  const cases: [string, string][] = [
    ['/foo', '/foo'],
    ['! | ~ | $', '! | ~ | $'],
    ['/a&/b|/c', '/a & /b | /c'],
    ['(/a | /b) & /c', '(/a | /b) & /c'],
    ['(/a & /b) & /c', '(/a & /b) & /c'],
    ['(/a | /b) | /c', '(/a | /b) | /c'],
    ['/a | (/b & /c)', '/a | /b & /c'],
    ['1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz', '/foo & 2.00*/bar | 0.50*/bar & 0.50*/baz'],
    ['0.125 * /a & 1.005 * /b & 0.001 * /c & 0.005 * /d', '0.13*/a & 1.01*/b & 0.00*/c & 0.01*/d'],
    ['3 * (/a | /b) & 1.0 * /c', '3.00*(/a | /b) & /c'],
    ['((/a))', '/a'],
  ];
  it.each(cases)('show(read(%j)) is %j', (text, shown) => {
    expect(NameTree.show(NameTree.read(text))).toBe(shown);
  });

  it('prints single-branch alts and unions as their branch, dropping the weight', () => {
    expect(NameTree.show(NameTree.union(w(3, leaf('/a'))))).toBe('/a');
    expect(NameTree.show(NameTree.union(w(1, NameTree.alt(leaf('/a'))), w(2, leaf('/b'))))).toBe(
      '/a & 2.00*/b',
    );
  });

  it('prints empty alts and unions as finagle does (not parseable)', () => {
    expect(NameTree.show(NameTree.alt())).toBe('');
    expect(NameTree.show(NameTree.union())).toBe('');
    expect(NameTree.show(NameTree.union(w(1, NameTree.alt()), w(1, leaf('/a'))))).toBe('() & /a');
  });

  it('formats weights like Java %.2f', () => {
    const show = (weight: number) => NameTree.show(NameTree.union(w(weight, leaf('/a')), w(1, leaf('/b'))));
    expect(show(0)).toBe('0.00*/a & /b');
    expect(show(-0)).toBe('-0.00*/a & /b');
    expect(show(10)).toBe('10.00*/a & /b');
    expect(show(0.999)).toBe('1.00*/a & /b');
    expect(show(1e21)).toBe('1000000000000000000000.00*/a & /b');
    expect(show(Number.POSITIVE_INFINITY)).toBe('Infinity*/a & /b');
    expect(show(Number.NaN)).toBe('NaN*/a & /b');
  });

  it('shows other leaf types with a given function', () => {
    expect(NameTree.show(NameTree.alt(NameTree.leaf(1), NameTree.leaf(2)), String)).toBe('1 | 2');
  });
});

describe('NameTree.eval and simplify (finagle NameTreeTest "NameTree.eval/simplified")', () => {
  const cases: [string, string[] | undefined][] = [
    ['~', undefined],
    ['/ok', ['/ok']],
    ['/ok & /ok1', ['/ok', '/ok1']],
    ['/ok & ~ & /blah & $', ['/ok', '/blah']],
    ['$ & $ & $', []],
    ['~ & ~ & (~ | ~)', undefined],
    ['~ | /foo | /bar', ['/foo']],
    ['~ | $ | /blah', []],
    ['~ | (~ | $) | /blah', []],
    ['(~|$|/foo) & (/bar|/blah) & ~ & /FOO', ['/bar', '/FOO']],
    ['! | /ok', undefined],
    ['/ok & !', ['/ok']],
    ['! & ! & !', undefined],
    ['~ | /ok | !', ['/ok']],
  ];
  it.each(cases)('eval(%j) and eval(simplify(…)) are %j', (text, expected) => {
    const want = expected?.map((p) => Path.read(p));
    const tree = NameTree.read(text);
    expect(NameTree.eval(tree)).toEqual(want);
    expect(NameTree.eval(NameTree.simplify(tree))).toEqual(want);
  });

  it('a one-branch union is its branch, so a lone fail fails (finagle eval)', () => {
    expect(NameTree.eval(NameTree.alt(NameTree.union(w(0, NameTree.fail)), leaf('/a')))).toBeUndefined();
    expect(
      NameTree.eval(NameTree.alt(NameTree.union(w(1, NameTree.fail), w(1, NameTree.fail)), leaf('/a'))),
    ).toEqual([['a']]);
  });

  it('de-duplicates paths by their labels', () => {
    expect(NameTree.eval(NameTree.read('/a & /b & /a'))).toEqual([['a'], ['b']]);
  });

  it('simplifies like finagle', () => {
    const s = (text: string) => NameTree.show(NameTree.simplify(NameTree.read(text)));
    expect(s('~ | /a | ! | /b')).toBe('/a | !');
    expect(s('/a & ~ & ! & 2*/b')).toBe('/a & 2.00*/b');
    expect(s('~ & !')).toBe('~');
    expect(s('(~ | /a) & 3*(/b | ~)')).toBe('/a & 3.00*/b');
    expect(s('$ & /a')).toBe('$ & /a');
    expect(NameTree.simplify(NameTree.alt())).toBe(NameTree.neg);
    expect(NameTree.simplify(NameTree.union())).toBe(NameTree.neg);
    expect(NameTree.simplify(NameTree.union(w(7, leaf('/a'))))).toEqual(leaf('/a'));
  });
});

describe('NameTree.map and constructors', () => {
  it('maps leaves and keeps weights and structure', () => {
    const tree = NameTree.read('/a & 2 * (/b | ~) | ! | $');
    const mapped = NameTree.map(tree, (p) => p.length);
    expect(NameTree.show(mapped, String)).toBe('1 & 2.00*(1 | ~) | ! | $');
  });

  it('has frozen singletons and frozen nodes', () => {
    expect(Object.isFrozen(NameTree.neg)).toBe(true);
    expect(NameTree.neg).toEqual({ kind: 'neg' });
    expect(NameTree.fail).toEqual({ kind: 'fail' });
    expect(NameTree.empty).toEqual({ kind: 'empty' });
    expect(Object.isFrozen(NameTree.read('/a | /b'))).toBe(true);
    expect(Object.isFrozen(NameTree)).toBe(true);
  });
});
