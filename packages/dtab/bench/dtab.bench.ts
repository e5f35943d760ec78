/**
 * dtab benchmarks: parse, show, and lookup over 1, 100 and 10k dentries — with the prefix trie
 * (frozen dtabs, as `Dtab.read` returns) and with the plain linear scan (an unfrozen copy), so the
 * effect of the index is visible. Run: `pnpm --filter @switchyard/dtab bench`.
 */
import { bench, describe } from 'vitest';
import { Dtab, NameTree, Path } from '../src/index.js';

const INGRESS = `
  /srv         => /#/io.l5d.k8s/default/http ;
  /host        => /srv ;
  /svc         => /host ;
  /host/www    => /srv/web | /srv/fallback ;
  /svc/*/api   => 3 * /srv/api-v1 & 1 * /srv/api-v2 ;
`;

function dtabText(n: number): string {
  const lines = ['/svc => /#/io.l5d.k8s/default/http'];
  for (let i = 1; i < n; i++)
    lines.push(`/svc/name${i} => /#/io.l5d.k8s/ns${i % 17}/http/name${i} | /$/fail`);
  return lines.join(';\n');
}

const sizes = [1, 100, 10_000] as const;
const texts = new Map(sizes.map((n) => [n, dtabText(n)]));
const frozen = new Map(sizes.map((n) => [n, Dtab.read(texts.get(n)!)]));
const thawed = new Map(sizes.map((n) => [n, [...frozen.get(n)!]]));
const hit = (n: number) => Path.read(`/svc/name${Math.max(1, Math.floor(n / 2))}/x/y`);
const miss = Path.read('/other/name/x');

describe('parse', () => {
  bench('Dtab.read — 5-dentry ingress dtab', () => {
    Dtab.read(INGRESS);
  });
  bench('NameTree.read — 2 * /a & /b | (/c | ~) | $', () => {
    NameTree.read('2 * /a & /b | (/c | ~) | $');
  });
  bench('Dtab.read — 10k dentries', () => {
    Dtab.read(texts.get(10_000)!);
  });
  bench('Dtab.show — 10k dentries', () => {
    Dtab.show(frozen.get(10_000)!);
  });
});

for (const n of sizes) {
  describe(`lookup, ${n} dentries`, () => {
    const path = hit(n);
    bench('indexed (frozen dtab), matching path', () => {
      Dtab.lookup(frozen.get(n)!, path);
    });
    bench('linear scan (unfrozen copy), matching path', () => {
      Dtab.lookup(thawed.get(n)!, path);
    });
    bench('indexed (frozen dtab), no match', () => {
      Dtab.lookup(frozen.get(n)!, miss);
    });
    bench('linear scan (unfrozen copy), no match', () => {
      Dtab.lookup(thawed.get(n)!, miss);
    });
  });
}
