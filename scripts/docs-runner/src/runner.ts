/**
 * Runs the shell and console blocks of one page in order, in one shell session, against the
 * local default of switchyard-ingress started by the page's own `start` block.
 *
 * The pages stay literal for readers (ports 4140/4143/9990, `~/.cache/switchyard-ingress`); the
 * runner makes them safe to run beside a reader's own `start` with these substitutions, which
 * docs/contributing.md documents:
 * - the last command of a `start` block gets `--http-port 0 --https-port 0 --admin-port 0` and
 *   `SWITCHYARD_HOME=<temporary directory>`; the ports it binds are read from its banner;
 * - in later blocks, 4140, 4143 and 9990 become those ports and `~/.cache/switchyard-ingress`
 *   becomes the temporary directory;
 * - curl shows no progress meter (as in a terminal, where curl shows none for output to the
 *   screen), and in `sh` blocks it fails on HTTP errors, so an exit code is a check (`.curlrc`);
 * - `pnpm install` runs with `--offline --frozen-lockfile`: the runner works in a clone whose
 *   workspace is installed already (the test run needs it), so the documented install runs for
 *   real against it, but from the local store only and failing if a package.json and the lockfile
 *   disagree — which is what a new user's install would trip on — instead of spending most of the
 *   page's time asking the registry about packages it has.
 *
 * Every block's wall time and CPU time (its processes' user + system, from bash's `times`) is
 * kept and printed when the page closes: the CPU column is what a block costs on an idle machine.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchOutput, parseConsole } from './console.js';
import type { Block } from './markdown.js';
import { type Background, createShell, type Shell } from './shell.js';

/** The ports the pages name, and the state directory they name. */
export const DOC_PORTS = Object.freeze({ http: 4140, https: 4143, admin: 9990 });
export const DOC_STATE_DIR = '~/.cache/switchyard-ingress';
/** What the runner appends to the command of a `start` block. */
export const EPHEMERAL_ARGS = '--http-port 0 --https-port 0 --admin-port 0';

/** Ports of the server a page started. */
export interface Ports {
  readonly http: number;
  readonly https: number;
  readonly admin: number;
}

/** A block that did not do what the page says; the message starts with `file:line`. */
export class DocsMismatch extends Error {
  override readonly name = 'DocsMismatch';
}

/** What the runner adds to a documented `pnpm install` (see the header). */
export const INSTALL_ARGS = '--offline --frozen-lockfile';

/** `pnpm@<version> install` or `pnpm install`, as a whole command or one part of a `&&` list. */
const PNPM_INSTALL = /\b(pnpm(?:@[\w.-]+)? install)(?=\s*(?:&&|;|$))/gm;

/** Replaces the documented ports and state directory with the runner's, and pins installs offline. */
export function substitute(text: string, ports: Ports | undefined, stateDir: string): string {
  let out = text.replaceAll(DOC_STATE_DIR, stateDir).replace(PNPM_INSTALL, `$1 ${INSTALL_ARGS}`);
  for (const key of ['http', 'https', 'admin'] as const) {
    const pattern = new RegExp(`(?<![\\d.])${DOC_PORTS[key]}(?!\\d)`, 'g');
    if (!pattern.test(out)) continue;
    if (ports === undefined) throw new Error(`names port ${DOC_PORTS[key]} before any start block ran`);
    out = out.replace(pattern, String(ports[key]));
  }
  return out;
}

/** The commands of an `sh` block: one per line, `\` continuations joined, comments and blanks dropped. */
export function shellCommands(body: string): string[] {
  const commands: string[] = [];
  let current = '';
  for (const line of body.split('\n')) {
    if (current === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.endsWith('\\')) current += `${line.slice(0, -1)} `;
    else {
      commands.push(current + line);
      current = '';
    }
  }
  if (current !== '') commands.push(current);
  return commands;
}

/** Reads the ports of the local default from its banner (run.ts prints them). */
export function portsFromBanner(banner: string): Ports {
  const find = (pattern: RegExp, what: string) => {
    const match = pattern.exec(banner);
    if (!match) throw new Error(`the banner names no ${what} port:\n${banner}`);
    return Number(match[1]);
  };
  return {
    http: find(/curl http:\/\/localhost:(\d+)\//, 'HTTP'),
    https: find(/https:\/\/localhost:(\d+)\//, 'TLS'),
    admin: find(/Admin dashboard: http:\/\/[\d.]+:(\d+)\//, 'admin'),
  };
}

/** How long one command of a block took: wall time, and CPU time when measurable. */
export interface Timing {
  readonly where: string;
  readonly command: string;
  readonly wallMs: number;
  readonly cpuMs: number | undefined;
}

/** One page's session: run its blocks in order, then close (stops the server, removes temp files). */
export interface PageSession {
  runBlock(block: Block): Promise<void>;
  /** Every command run so far, in order. */
  readonly timings: readonly Timing[];
  close(): Promise<void>;
}

/** The timings as a table, with totals: what `describePage` prints when a page closes. */
export function formatTimings(page: string, timings: readonly Timing[]): string {
  const sec = (ms: number | undefined) => (ms === undefined ? '     -' : (ms / 1000).toFixed(1).padStart(6));
  const rows = timings.map(
    (t) =>
      `${sec(t.wallMs)} ${sec(t.cpuMs)}  ${t.where}  ${t.command.length > 70 ? `${t.command.slice(0, 67)}...` : t.command}`,
  );
  const wall = timings.reduce((a, t) => a + t.wallMs, 0);
  const cpu = timings.reduce((a, t) => a + (t.cpuMs ?? 0), 0);
  return [
    `docs-runner timings, ${page} (seconds):`,
    '  wall    cpu  block',
    ...rows,
    `${sec(wall)} ${sec(cpu)}  total`,
  ].join('\n');
}

/** Opens a session in `repoRoot` (the pages' commands run from a clone's root). */
export async function openPage(repoRoot: string): Promise<PageSession> {
  const dir = await mkdtemp(join(tmpdir(), 'sy-docs-'));
  const stateDir = join(dir, 'home');
  // CURL_HOME/.curlrc: quiet like a terminal everywhere; failing on HTTP errors in sh blocks.
  const curlQuiet = join(dir, 'curl-console');
  const curlFail = join(dir, 'curl-sh');
  await Promise.all([mkdir(stateDir), mkdir(curlQuiet), mkdir(curlFail)]);
  await writeFile(join(curlQuiet, '.curlrc'), 'silent\nshow-error\n');
  await writeFile(join(curlFail, '.curlrc'), 'fail\nsilent\nshow-error\n');
  const shell: Shell = await createShell(repoRoot, dir, { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' });
  let server: Background | undefined;
  let ports: Ports | undefined;
  const timings: Timing[] = [];
  const timed = async (block: Block, command: string, options: Parameters<Shell['run']>[1]) => {
    const outcome = await shell.run(command, options);
    timings.push({
      where: `${block.file}:${block.line}`,
      command,
      wallMs: outcome.wallMs,
      cpuMs: outcome.cpuMs,
    });
    return outcome;
  };

  const fail = (block: Block, text: string): never => {
    throw new DocsMismatch(`${block.file}:${block.line}: ${text}`);
  };
  const prepare = (block: Block, text: string) => {
    try {
      return substitute(text, ports, stateDir);
    } catch (error) {
      return fail(block, (error as Error).message);
    }
  };
  const expectExit = (block: Block, command: string, code: number | null, want: number, output: string) => {
    if (code !== want)
      fail(block, `$ ${command}\nexited with ${code}, the page expects ${want}; output:\n${output}`);
  };

  return {
    timings,
    async runBlock(block) {
      const marker = block.marker;
      if (marker === undefined)
        return fail(block, `a ${block.lang} block has no <!-- docs-runner: … --> marker`);
      switch (marker.kind) {
        case 'skip':
          return;
        case 'start': {
          if (server !== undefined) return fail(block, 'a second start block (one server per page)');
          const commands = shellCommands(block.body);
          for (const command of commands.slice(0, -1)) {
            const { code, output } = await timed(block, prepare(block, command), { timeoutMs: 120_000 });
            expectExit(block, command, code, 0, output);
          }
          const command = `${prepare(block, commands.at(-1)!)} ${EPHEMERAL_ARGS}`;
          const started = performance.now();
          server = shell.background(command, { SWITCHYARD_HOME: stateDir });
          ports = portsFromBanner(await server.waitFor(/Press Ctrl-C to stop/, 60_000));
          // Until the banner; a background server's CPU is not measured.
          timings.push({
            where: `${block.file}:${block.line}`,
            command: `${command} (until its banner)`,
            wallMs: Math.round(performance.now() - started),
            cpuMs: undefined,
          });
          return;
        }
        case 'run': {
          if (block.lang === 'console') {
            const steps = parseConsole(block.body, `${block.file}:${block.line}`);
            for (const [i, step] of steps.entries()) {
              const { code, output } = await timed(block, prepare(block, step.command), {
                env: { CURL_HOME: curlQuiet },
              });
              expectExit(block, step.command, code, i === steps.length - 1 ? marker.exit : 0, output);
              const expected = step.expected.map((line) => prepare(block, line));
              const missing = matchOutput(expected, output);
              if (missing !== undefined)
                fail(block, `$ ${step.command}\nexpected "${missing}"; the output was:\n${output}`);
            }
            return;
          }
          const commands = shellCommands(block.body);
          for (const [i, command] of commands.entries()) {
            const { code, output } = await timed(block, prepare(block, command), {
              env: { CURL_HOME: curlFail },
            });
            expectExit(block, command, code, i === commands.length - 1 ? marker.exit : 0, output);
          }
          return;
        }
        default:
          return assertNever(marker);
      }
    },
    async close() {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected marker ${JSON.stringify(value)}`);
}
