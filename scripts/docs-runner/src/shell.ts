/**
 * A shell session for the docs runner: each command runs in its own `bash -c`, like a line typed
 * at a prompt, and variables it exports carry over to the next (the pages `export HTTP=…` once and
 * use `$HTTP` later). Output is stdout and stderr merged, in the order the command wrote them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A command's exit code and merged output, and how long it took. */
export interface Outcome {
  readonly code: number | null;
  readonly output: string;
  readonly wallMs: number;
  /**
   * CPU time (user + system) of the command's shell and every process it waited for, from bash's
   * `times`: what the command costs whatever else the machine is doing. Undefined if unreadable.
   */
  readonly cpuMs: number | undefined;
}

/** bash `times` output (`0m0.010s 0m0.004s` for the shell, then its children) → total ms. */
export function parseTimes(text: string): number | undefined {
  const values = [...text.matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000,
  );
  return values.length === 4 ? Math.round(values.reduce((a, b) => a + b, 0)) : undefined;
}

/** A process started in the background (its own process group), and how to stop the group. */
export interface Background {
  readonly child: ChildProcess;
  /** Resolves with the stdout seen so far once `pattern` appears; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM to the whole group (SIGKILL after `graceMs`); resolves when the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A session: a working directory, an environment, and a file the exported variables live in. */
export interface Shell {
  run(
    command: string,
    options?: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number },
  ): Promise<Outcome>;
  background(command: string, env?: NodeJS.ProcessEnv): Background;
}

/** Starts a session in `cwd`; `stateDir` holds the exported-variables file. */
export async function createShell(cwd: string, stateDir: string, env: NodeJS.ProcessEnv): Promise<Shell> {
  const exports = join(stateDir, 'exports.sh');
  const timesFile = join(stateDir, 'times.txt');
  await writeFile(exports, '');
  const script = (command: string) =>
    `exec 2>&1\n. ${JSON.stringify(exports)}\n${command}\n__rc=$?\nexport -p > ${JSON.stringify(exports)}\ntimes > ${JSON.stringify(timesFile)}\nexit $__rc\n`;
  return {
    run: (command, options = {}) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        // A command killed before `times` ran must not report the previous command's.
        rmSync(timesFile, { force: true });
        const child = spawn('bash', ['--noprofile', '--norc', '-c', script(command)], {
          cwd,
          env: { ...env, ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        let output = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        const timer = setTimeout(() => {
          process.kill(-child.pid!, 'SIGKILL');
          reject(new Error(`timed out after ${options.timeoutMs ?? 60_000} ms: ${command}\n${output}`));
        }, options.timeoutMs ?? 60_000);
        child.once('error', reject);
        child.once('close', (code) => {
          clearTimeout(timer);
          const wallMs = Math.round(performance.now() - started);
          readFile(timesFile, 'utf8').then(
            (times) => resolve({ code, output, wallMs, cpuMs: parseTimes(times) }),
            () => resolve({ code, output, wallMs, cpuMs: undefined }),
          );
        });
      }),
    background: (command, extraEnv = {}) => {
      const child = spawn(
        'bash',
        ['--noprofile', '--norc', '-c', `. ${JSON.stringify(exports)}\n${command}`],
        {
          cwd,
          env: { ...env, ...extraEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return {
        child,
        waitFor: (pattern, timeoutMs) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(
              () =>
                reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
              timeoutMs,
            );
            const check = () => {
              if (!pattern.test(stdout)) return;
              clearTimeout(timer);
              resolve(stdout);
            };
            child.stdout!.on('data', check);
            child.once('exit', (code) => {
              clearTimeout(timer);
              reject(
                new Error(`exited with ${code} before ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
              );
            });
            check();
          }),
        stop: async (graceMs = 20_000) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const kill = (signal: NodeJS.Signals) => {
            try {
              process.kill(-child.pid!, signal);
            } catch {
              // the group is gone already
            }
          };
          kill('SIGTERM');
          const timer = setTimeout(() => kill('SIGKILL'), graceMs);
          await exited;
          // The leader (bash) can exit before the server it started has drained: wait for the group.
          while (groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 50));
          clearTimeout(timer);
        },
      };
    },
  };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
