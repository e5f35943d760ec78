/**
 * `pnpm faults`: runs the fault scenarios one after another against the reference binary, prints
 * one count line per scenario, a summary table, and finally `N passed, N failed`. Exits 1 when any
 * scenario failed.
 */
import { randomInt } from 'node:crypto';
import { killChildrenOnExit } from './children.js';
import { HELP, parseFaultsCommand } from './cli.js';
import { countsLine, type Outcome, runScenario, summary } from './harness.js';
import { scenarios } from './scenarios/index.js';

async function main(): Promise<number> {
  const command = parseFaultsCommand(process.argv.slice(2), () => randomInt(0, 2 ** 32 - 1));
  switch (command.kind) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'list':
      for (const s of scenarios) process.stdout.write(`${s.name.padEnd(20)} ${s.description}\n`);
      return 0;
    case 'usageError':
      process.stderr.write(`faults: ${command.message}\nTry --help.\n`);
      return 2;
    case 'run':
      break;
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
  const unknown = command.only.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `faults: unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  const selected =
    command.only.length > 0 ? scenarios.filter((s) => command.only.includes(s.name)) : scenarios;
  killChildrenOnExit();
  process.stdout.write(`faults: ${selected.length} scenario(s), seed ${command.seed}\n`);
  const outcomes: Outcome[] = [];
  for (const scenario of selected) {
    const outcome = await runScenario(scenario, command.seed);
    outcomes.push(outcome);
    const verdict = outcome.passed ? 'PASS' : 'FAIL';
    const line = outcome.counts ? countsLine(scenario.name, outcome.counts) : `${scenario.name}: no counts`;
    process.stdout.write(`${line} ${outcome.seconds.toFixed(1)}s ${verdict}\n`);
    for (const note of outcome.counts?.notes ?? []) process.stdout.write(`    note: ${note}\n`);
    for (const reason of outcome.reasons) process.stdout.write(`    fail: ${reason}\n`);
    for (const line of outcome.evidence) process.stdout.write(`    log: ${line}\n`);
  }
  process.stdout.write(`\n${summary(outcomes)}\n`);
  return outcomes.every((o) => o.passed) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`faults: crashed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exitCode = 1;
  },
);
