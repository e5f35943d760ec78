/**
 * pick() + done() cost per balancer at 3, 100 and 10 000 endpoints. The point is the shape:
 * cost per pick must not grow with n (O(1) or O(log n)), so each size runs the same work.
 * Each vitest task runs a batch of 1000 pick+done pairs; after the tasks, a direct timing loop
 * prints ns/op per balancer and size. Benchmarks never assert speed.
 */
import { afterAll, bench, describe } from 'vitest';
import {
  aperture,
  type Balancer,
  type BalancerEndpoint,
  type BalancerFactory,
  consecutiveFailures,
  failureAccrual,
  heap,
  type Lease,
  mulberry32,
  p2c,
  p2cPeakEwma,
  roundRobin,
} from '../src/index.js';

const sizes = [3, 100, 10_000] as const;
const factories: Record<string, () => BalancerFactory> = {
  p2c: () => p2c({ random: mulberry32(1) }),
  p2cPeakEwma: () => p2cPeakEwma({ random: mulberry32(2) }),
  aperture: () => aperture({ random: mulberry32(3) }),
  heap: () => heap(),
  roundRobin: () => roundRobin(),
};

function make(name: string, n: number, weighted: boolean): Balancer<BalancerEndpoint> {
  const b = factories[name]!()();
  b.update(
    Array.from({ length: n }, (_, i) => ({
      key: `10.0.${i >> 8}.${i & 255}:80`,
      weight: weighted ? 1 + (i % 3) : 1,
    })),
  );
  return b;
}

/** Keeps 16 leases in flight, so loads differ and heaps/EWMAs actually move. */
function batch(
  b: Balancer<BalancerEndpoint>,
  ring: (Lease<BalancerEndpoint> | undefined)[],
  ops: number,
): void {
  for (let i = 0; i < ops; i++) {
    const slot = i & 15;
    ring[slot]?.done({ ok: true, rttNs: 1_000_000 + (i & 7) * 100_000 });
    ring[slot] = b.pick();
  }
}

for (const name of Object.keys(factories)) {
  describe(name, () => {
    for (const n of sizes) {
      const b = make(name, n, false);
      const ring: (Lease<BalancerEndpoint> | undefined)[] = new Array(16);
      bench(`${n} endpoints, 1000 × pick+done`, () => batch(b, ring, 1000));
    }
  });
}

afterAll(() => {
  const rows: string[] = [];
  for (const weighted of [false, true]) {
    for (const name of Object.keys(factories)) {
      const cells: string[] = [];
      for (const n of sizes) {
        const b = make(name, n, weighted);
        const ring: (Lease<BalancerEndpoint> | undefined)[] = new Array(16);
        batch(b, ring, 20_000);
        const ops = 200_000;
        const t0 = process.hrtime.bigint();
        batch(b, ring, ops);
        const ns = Number(process.hrtime.bigint() - t0) / ops;
        cells.push(`${n}: ${ns.toFixed(0)} ns/op`.padEnd(20));
      }
      rows.push(`${(name + (weighted ? ' (weighted)' : '')).padEnd(24)} ${cells.join(' ')}`);
    }
  }
  // With failure accrual wrapping p2c (the router's usual stack).
  for (const n of sizes) {
    const b = failureAccrual(consecutiveFailures())(make('p2c', n, false));
    const ring: (Lease<BalancerEndpoint> | undefined)[] = new Array(16);
    const t0 = process.hrtime.bigint();
    batch(b, ring, 200_000);
    rows.push(
      `p2c + failureAccrual    ${n}: ${(Number(process.hrtime.bigint() - t0) / 200_000).toFixed(0)} ns/op`,
    );
  }
  console.log(`\npick()+done() cost\n${rows.join('\n')}`);
});
