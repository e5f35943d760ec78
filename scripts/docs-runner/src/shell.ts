/**
 * A shell session for the docs runner: each command runs in its own `bash -c`, like a line typed
 * at a prompt, and variables it exports carry over to the next (the pages `export HTTP=…` once and
 * use `$HTTP` later). Output is stdout and stderr merged, in the order the command wrote them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A command's exit code and merged output. */
export interface Outcome {
  readonly code: number | null;
  readonly output: string;
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
  await writeFile(exports, '');
  const script = (command: string) =>
    `exec 2>&1\n. ${JSON.stringify(exports)}\n${command}\n__rc=$?\nexport -p > ${JSON.stringify(exports)}\nexit $__rc\n`;
  return {
    run: (command, options = {}) =>
      new Promise((resolve, reject) => {
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
          resolve({ code, output });
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
