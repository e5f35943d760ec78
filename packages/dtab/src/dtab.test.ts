import { describe, expect, it } from 'vitest';
import { DtabParseError } from './errors.js';
import { Dentry, Dtab, NameTree, Path } from './index.js';

const P = Dentry.Prefix;

describe('Dentry.read (finagle NameTreeParsersTest "parseDentry")', () => {
  it('parses the finagle examples', () => {
    expect(Dentry.read('/=>!')).toEqual({ prefix: [], dst: NameTree.fail });
    expect(Dentry.read('/ => !')).toEqual({ prefix: [], dst: NameTree.fail });
    expect(Dentry.read('/foo/*/bar => !')).toEqual({
      prefix: [P.label('foo'), P.any, P.label('bar')],
      dst: NameTree.fail,
    });
    expect(Dentry.read('/foo/bar/baz => !')).toEqual({
      prefix: P.fromPath(['foo', 'bar', 'baz']),
      dst: NameTree.fail,
    });
  });

  it.each(['/foo/*bar/baz => !', '/&!', '/a = > /b', '/a => ', '/a/ => /b', '/a => /b;'])(
    'rejects %j',
    (text) => {
      expect(() => Dentry.read(text)).toThrow(DtabParseError);
    },
  );

  it('shows prefix=>tree with no spaces', () => {
    expect(Dentry.show(Dentry.read('/svc/*/x  =>  /a | /b'))).toBe('/svc/*/x=>/a | /b');
    expect(Dentry.show(Dentry.of([], NameTree.fail))).toBe('/=>!');
    expect(Dentry.show(Dentry.of(['*'], NameTree.leaf(['*'])))).toBe('/\\x2a=>/\\x2a');
  });
});

describe('Dentry.Prefix', () => {
  it('reads, shows and matches', () => {
    const prefix = P.read('/a/*/c');
    expect(P.show(prefix)).toBe('/a/*/c');
    expect(P.show(P.empty)).toBe('/');
    expect(P.matches(prefix, ['a', 'b', 'c'])).toBe(true);
    expect(P.matches(prefix, ['a', 'x', 'c', 'd'])).toBe(true);
    expect(P.matches(prefix, ['a', 'b'])).toBe(false);
    expect(P.matches(prefix, ['b', 'b', 'c'])).toBe(false);
    expect(P.matches(P.empty, [])).toBe(true);
  });
});

describe('Dtab.read (finagle NameTreeParsersTest "parseDtab", DtabTest)', () => {
  it('parses the finagle examples', () => {
    expect(Dtab.read('')).toEqual(Dtab.empty);
    expect(Dtab.read('  /=>!  ')).toEqual([{ prefix: [], dst: NameTree.fail }]);
    expect(Dtab.read('/=>!;')).toEqual([{ prefix: [], dst: NameTree.fail }]);
    expect(Dtab.read('/=>!;/foo=>/bar')).toEqual([
      { prefix: [], dst: NameTree.fail },
      { prefix: [P.label('foo')], dst: NameTree.leaf(['bar']) },
    ]);
  });

  it('allows one trailing semicolon (DtabTest "Allows trailing semicolon")', () => {
    expect(Dtab.read('\n          /b => /c;\n          /a => /b;\n          ')).toHaveLength(2);
    expect(() => Dtab.read('/a=>/b;;')).toThrow(DtabParseError);
    expect(() => Dtab.read(';')).toThrow(DtabParseError);
  });

  it('allows # comments to end of line', () => {
    const dtab = Dtab.read(`
      # the services
      /svc => /#/io.l5d.k8s/default/http ; # k8s
      /host/* => /svc # any one host label
    `);
    expect(Dtab.show(dtab)).toBe('/svc=>/#/io.l5d.k8s/default/http;/host/*=>/svc');
  });

  it('d1 ++ d2 (DtabTest)', () => {
    const d1 = Dtab.read('/foo => /bar');
    const d2 = Dtab.read('/foo=>/biz;/biz=>/$/inet/0/8080;/bar=>/$/inet/0/9090');
    expect(Dtab.concat(d1, d2)).toEqual(
      Dtab.read(`
      /foo=>/bar;
      /foo=>/biz;
      /biz=>/$/inet/0/8080;
      /bar=>/$/inet/0/9090
    `),
    );
    expect(Dtab.concat(d1, Dtab.empty)).toBe(d1);
  });

  it('shows dentries joined by ;', () => {
    expect(Dtab.show(Dtab.read('/a => /b ; /c => 2*/d & /e'))).toBe('/a=>/b;/c=>2.00*/d & /e');
    expect(Dtab.show(Dtab.empty)).toBe('');
  });
});

describe('Dtab.lookup (finagle DtabBase.lookup)', () => {
  const lookup = (dtab: string, path: string) => NameTree.show(Dtab.lookup(Dtab.read(dtab), Path.read(path)));

  it('is neg when nothing matches', () => {
    expect(Dtab.lookup(Dtab.empty, Path.read('/a'))).toBe(NameTree.neg);
    expect(lookup('/a => /b', '/c')).toBe('~');
    expect(lookup('/a/b => /c', '/a')).toBe('~');
  });

  it('appends the unmatched suffix to every leaf', () => {
    expect(lookup('/a => /b & /c | /d', '/a/x/y')).toBe('/b/x/y & /c/x/y | /d/x/y');
    expect(lookup('/ => /root', '/x')).toBe('/root/x');
    expect(lookup('/a => /', '/a/b')).toBe('/b');
  });

  it('combines matches as an alt, later dentries first', () => {
    expect(lookup('/a => /one; /a/b => /two; /x => /no; /a => /three', '/a/b/c')).toBe(
      '/three/b/c | /two/c | /one/b/c',
    );
  });

  it('matches * against exactly one label', () => {
    expect(lookup('/host/* => /svc', '/host/web/x')).toBe('/svc/x');
    expect(lookup('/host/* => /svc', '/host')).toBe('~');
    expect(lookup('/*/*/c => /z', '/a/b/c/d')).toBe('/z/d');
  });

  it('keeps the linkerd ingress example', () => {
    const dtab = Dtab.read(`
      /srv         => /#/io.l5d.k8s/default/http ;
      /host        => /srv ;
      /svc         => /host ;
      /host/www    => /srv/web ;
    `);
    expect(NameTree.show(Dtab.lookup(dtab, Path.read('/svc/www')))).toBe('/host/www');
    expect(NameTree.show(Dtab.lookup(dtab, Path.read('/host/www/a')))).toBe('/srv/web/a | /srv/www/a');
  });

  it('gives the same answer with and without the index on a large dtab', () => {
    const dentries = [];
    for (let i = 0; i < 200; i++)
      dentries.push(`/svc/s${i % 50}/${i % 3 === 0 ? '*' : `p${i % 7}`} => /d${i}`);
    dentries.push('/ => /root', '/svc => /all', '/*/s1 => /star');
    const frozen = Dtab.read(dentries.join(';'));
    const thawed = [...frozen];
    for (const text of ['/svc/s1/p1/x', '/svc/s3/q', '/svc', '/', '/other/s1', '/svc/s49/p6', '/svc/s0/p0']) {
      const path = Path.read(text);
      expect(Dtab.lookup(frozen, path)).toEqual(Dtab.lookup(thawed, path));
    }
    expect(NameTree.show(Dtab.lookup(frozen, Path.read('/svc/s1/p1')))).toContain('/star/p1');
  });

  it('simplify drops neg destinations and simplifies the rest', () => {
    expect(Dtab.show(Dtab.simplify(Dtab.read('/a => ~ | ~; /b => ~ | /c; /d => (/e)')))).toBe(
      '/b=>/c;/d=>/e',
    );
  });
});
