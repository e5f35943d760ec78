import { describe, expect, it } from 'vitest';
import { DtabParseError } from './errors.js';
import { Path } from './index.js';

describe('Path.read (finagle NameTreeParsersTest "parsePath")', () => {
  it('parses the empty path, labels, surrounding whitespace and escapes', () => {
    expect(Path.read('/')).toEqual([]);
    expect(Path.read('  /foo/bar  ')).toEqual(['foo', 'bar']);
    expect(Path.read('/\\x66\\x6f\\x6F')).toEqual(['foo']);
    expect(Path.read('/#/io.l5d.k8s/default/http')).toEqual(['#', 'io.l5d.k8s', 'default', 'http']);
    expect(Path.read('/$/inet/127.0.0.1/8080')).toEqual(['$', 'inet', '127.0.0.1', '8080']);
    expect(Path.read('/a_b:c%d-e')).toEqual(['a_b:c%d-e']);
  });

  it('decodes each \\xHH escape to one byte-char', () => {
    expect(Path.read('/\\x00\\xff\\x2F')).toEqual(['\u0000\u00ff/']);
  });

  it('allows # comments where whitespace may appear', () => {
    expect(Path.read('# leading\n/foo/bar # trailing')).toEqual(['foo', 'bar']);
  });

  it.each(['', '/foo/bar/', '/{}', '/\\?', '/\\x?', '/\\x0?', '/a//b', 'foo', '/a b', '/\\X41'])(
    'rejects %j with a DtabParseError',
    (text) => {
      expect(() => Path.read(text)).toThrow(DtabParseError);
    },
  );

  it('returns frozen arrays', () => {
    expect(Object.isFrozen(Path.read('/a/b'))).toBe(true);
  });
});

describe('Path.show (finagle PathTest, Path.showElem)', () => {
  it('shows labels verbatim when every char is showable', () => {
    expect(Path.show(Path.read('/foo/bar'))).toBe('/foo/bar');
    expect(Path.show([])).toBe('/');
    expect(Path.show(['#', 'io.l5d.k8s'])).toBe('/#/io.l5d.k8s');
  });

  it('escapes EVERY byte of a label that has one unshowable byte, in lowercase hex', () => {
    expect(Path.show(['a b', 'ok'])).toBe('/\\x61\\x20\\x62/ok');
    expect(Path.show(['\u00ff'])).toBe('/\\xff');
    expect(Path.show(['*'])).toBe('/\\x2a');
    expect(Path.show(Path.read('/\\x66\\x6f\\x6F'))).toBe('/foo');
  });

  it('writes characters above U+00FF (outside the contract) as their UTF-8 bytes', () => {
    expect(Path.show(['\u0101'])).toBe('/\\xc4\\x81');
    expect(Path.show(['é'])).toBe('/\\xe9');
    expect(Path.show(Path.utf8('café'))).toBe('/\\x63\\x61\\x66\\xc3\\xa9');
    expect(Path.utf8('café')).toEqual(['caf\u00c3\u00a9']);
  });
});

describe('Path helpers', () => {
  it('startsWith, concat, equals', () => {
    const p = Path.read('/a/b/c');
    expect(Path.startsWith(p, Path.read('/a/b'))).toBe(true);
    expect(Path.startsWith(p, Path.empty)).toBe(true);
    expect(Path.startsWith(p, Path.read('/a/c'))).toBe(false);
    expect(Path.startsWith(Path.read('/a'), p)).toBe(false);
    expect(Path.concat(Path.read('/a'), Path.read('/b/c'))).toEqual(['a', 'b', 'c']);
    expect(Path.concat(p, Path.empty)).toBe(p);
    expect(Path.concat(Path.empty, p)).toBe(p);
    expect(Path.equals(p, ['a', 'b', 'c'])).toBe(true);
    expect(Path.equals(p, ['a', 'b'])).toBe(false);
  });
});
