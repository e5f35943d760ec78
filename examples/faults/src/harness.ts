/**
 * The fault-suite harness: a scenario is `{ name, run(ctx) → counts }`; the harness gives each one
 * a temp dir, a deadline and a cleanup list, and turns its counts into pass/fail. Kept apart from
 * the scenarios so that every scenario is judged by the same rule: any lost request, any request
 * at the wrong backend, any byte that reached a backend when none should, or any named problem
 * fails it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a scenario measured. Every scenario reports the same columns. */
export interface Counts {
  /** Requests (or raw connections) sent. */
  readonly sent: number;
  /** Requests that did not get the expected answer (lost, wrong status, error, timeout). */
  readonly failed: number;
  /** Answers that came from a backend the request must not reach. */
  readonly wrongBackend: number;
  /** Bytes backends received for requests that must never arrive. */
  readonly leakedBytes: number;
  /** VmRSS of the router process at the end, KiB (0 when it is gone). */
  readonly rssKb: number;
  /** Highest VmRSS seen while the scenario ran, KiB. */
  readonly peakRssKb: number;
  /** Other violated expectations, one sentence each; any entry fails the scenario. */
  readonly problems: readonly string[];
  /** Extra facts worth printing (timings, RSS growth); never fail the scenario. */
  readonly notes?: readonly string[];
}

/** What the harness hands a scenario. */
export interface ScenarioContext {
  /** A fresh temp directory, removed afterwards. */
  readonly dir: string;
  /** Seed for every random choice the scenario makes (printed, so a failure can be replayed). */
  readonly seed: number;
  /** Aborted when the scenario's time is up; long loops should watch it. */
  readonly signal: AbortSignal;
  /** Registers a cleanup; cleanups run last-registered first, whatever the outcome. */
  defer(cleanup: () => unknown): void;
  /** Registers extra lines (e.g. the router's last warnings) to print if the scenario fails. */
  explainFailure(lines: () => readonly string[]): void;
}

/** One fault scenario. */
export interface Scenario {
  readonly name: string;
  /** One line: what is done and what must hold. */
  readonly description: string;
  /** Hard limit; the scenario fails when it is exceeded. */
  readonly timeoutMs: number;
  run(ctx: ScenarioContext): Promise<Counts>;
}

/** A scenario's outcome. */
export interface Outcome {
  readonly name: string;
  readonly passed: boolean;
  readonly seconds: number;
  readonly counts: Counts | undefined;
  /** Why it failed: the problems, the counts that are not zero, or the error thrown. */
  readonly reasons: readonly string[];
  /** Context for a failure (router log lines); empty when it passed. */
  readonly evidence: readonly string[];
}

/** Zero counts, for scenarios that build theirs up. */
export const NO_COUNTS: Counts = Object.freeze({
  sent: 0,
  failed: 0,
  wrongBackend: 0,
  leakedBytes: 0,
  rssKb: 0,
  peakRssKb: 0,
  problems: Object.freeze([]),
});

/** Adds counts field by field (RSS: the latest and the highest). */
export function addCounts(a: Counts, b: Partial<Counts>): Counts {
  return {
    sent: a.sent + (b.sent ?? 0),
    failed: a.failed + (b.failed ?? 0),
    wrongBackend: a.wrongBackend + (b.wrongBackend ?? 0),
    leakedBytes: a.leakedBytes + (b.leakedBytes ?? 0),
    rssKb: b.rssKb ?? a.rssKb,
    peakRssKb: Math.max(a.peakRssKb, b.peakRssKb ?? 0, b.rssKb ?? 0),
    problems: [...a.problems, ...(b.problems ?? [])],
    notes: [...(a.notes ?? []), ...(b.notes ?? [])],
  };
}

/** The reasons counts fail a scenario; empty when they pass. */
export function failures(counts: Counts): string[] {
  const reasons: string[] = [];
  if (counts.failed > 0) reasons.push(`${counts.failed} request(s) failed`);
  if (counts.wrongBackend > 0) reasons.push(`${counts.wrongBackend} answer(s) from the wrong backend`);
  if (counts.leakedBytes > 0)
    reasons.push(`backends received ${counts.leakedBytes} byte(s) they must never see`);
  return [...reasons, ...counts.problems];
}

function mib(kb: number): string {
  return `${(kb / 1024).toFixed(1)}MiB`;
}

/** The one-line count summary every scenario prints. */
export function countsLine(name: string, counts: Counts): string {
  return `${name}: sent=${counts.sent} failed=${counts.failed} wrong_backend=${counts.wrongBackend} leaked_bytes=${counts.leakedBytes} rss=${mib(counts.rssKb)} peak_rss=${mib(counts.peakRssKb)}`;
}

/** Runs one scenario with its deadline and cleanups; never throws. */
export async function runScenario(scenario: Scenario, seed: number): Promise<Outcome> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), `sy-faults-${scenario.name}-`));
  const cleanups: (() => unknown)[] = [];
  const explainers: (() => readonly string[])[] = [];
  const controller = new AbortController();
  const ctx: ScenarioContext = {
    dir,
    seed,
    signal: controller.signal,
    defer: (cleanup) => cleanups.push(cleanup),
    explainFailure: (lines) => explainers.push(lines),
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${scenario.timeoutMs} ms`));
    }, scenario.timeoutMs);
  });
  let counts: Counts | undefined;
  let reasons: string[];
  try {
    counts = await Promise.race([scenario.run(ctx), deadline]);
    reasons = failures(counts);
  } catch (error) {
    reasons = [`error: ${(error as Error)?.message ?? String(error)}`];
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  const evidence = reasons.length > 0 ? explainers.flatMap((explain) => explain()) : [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      reasons.push(`cleanup failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  return {
    name: scenario.name,
    passed: reasons.length === 0,
    seconds: (performance.now() - started) / 1000,
    counts,
    reasons,
    evidence,
  };
}

/** The summary table and the final `N passed, N failed` line CI parses. */
export function summary(outcomes: readonly Outcome[]): string {
  const header = ['scenario', 'result', 'secs', 'sent', 'failed', 'wrong', 'leaked', 'peak rss'];
  const rows = outcomes.map((o) => [
    o.name,
    o.passed ? 'PASS' : 'FAIL',
    o.seconds.toFixed(1),
    String(o.counts?.sent ?? '-'),
    String(o.counts?.failed ?? '-'),
    String(o.counts?.wrongBackend ?? '-'),
    String(o.counts?.leakedBytes ?? '-'),
    o.counts ? mib(o.counts.peakRssKb) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const passed = outcomes.filter((o) => o.passed).length;
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${passed} passed, ${outcomes.length - passed} failed`,
  ].join('\n');
}
