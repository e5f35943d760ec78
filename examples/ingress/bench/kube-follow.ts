/**
 * How fast routing follows a Kubernetes change made with kubectl (the 100 ms goal of
 * docs/kubernetes.md): runs the kubectl-driven test (`test/kube-api.test.ts`, local mode with
 * `--kube-api`) `BENCH_ROUNDS` times, each in a fresh binary, and prints per step and over all
 * steps the median and maximum time from the kubectl command's exit to the first answer that
 * shows the change. The test itself asserts only that each change is followed (within 10 s); the
 * speed is judged here, where load can be read next to the figures. Not a test: it asserts
 * nothing. Needs kubectl on PATH.
 *
 *   cd examples/ingress && npm run bench:kube-follow          (BENCH_ROUNDS=5 by default)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GOAL_MS = 100;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-follow-bench-'));
  const report = join(dir, 'measured.ndjson');
  try {
    const loads: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      loads.push(loadavg()[0]!);
      const run = spawnSync(
        process.execPath,
        [
          'node_modules/vitest/vitest.mjs',
          'run',
          'examples/ingress/test/kube-api.test.ts',
          '-t',
          'routes follow Ingresses',
        ],
        { cwd: repoRoot, env: { ...process.env, KUBE_FOLLOW_REPORT: report }, encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`round ${round}: the test failed:\n${run.stdout}${run.stderr}`);
      console.log(`round ${round}/${ROUNDS} done`);
    }
    const rounds = (await readFile(report, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, number>);
    const steps = Object.keys(rounds[0] ?? {});
    console.log(
      `kubectl change → routing follows, ms (node ${process.version}, ${rounds.length} rounds, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})`,
    );
    for (const step of steps) {
      const xs = rounds.map((r) => r[step]!).filter((x) => x !== undefined);
      console.log(
        `${step.padEnd(28)} median ${median(xs).toFixed(1).padStart(7)}   max ${Math.max(...xs)
          .toFixed(1)
          .padStart(7)}`,
      );
    }
    const medians = rounds.map((r) => median(Object.values(r)));
    console.log(
      `median over the steps, per round: ${medians.map((m) => m.toFixed(1)).join(', ')} (goal ≤ ${GOAL_MS} ms: ${medians.filter((m) => m <= GOAL_MS).length}/${medians.length} rounds)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
