/** The reference binary as a child process on a config file, for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { httpGet } from '@switchyard/testkit';

const ingressDir = fileURLToPath(new URL('../', import.meta.url));

/** A running `switchyard-ingress`: its first server's port and everything it logged so far. */
export interface RunningBinary {
  readonly child: ChildProcess;
  readonly port: number;
  /** The JSON log lines written to stderr up to now. */
  stderr(): string;
  /** SIGTERM, resolved once the process exited. */
  stop(): Promise<void>;
}

/**
 * Starts the binary from source on `configPath` (plus `args`); resolves once it logs its first
 * server's port. `env` is added to this process's environment (e.g. the variables a pod spec sets).
 */
export async function startBinary(
  configPath: string,
  options: { readonly env?: Readonly<Record<string, string>>; readonly args?: readonly string[] } = {},
): Promise<RunningBinary> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=switchyard:source',
      'src/main.ts',
      '--config',
      configPath,
      ...(options.args ?? []),
    ],
    {
      cwd: ingressDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    },
  );
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"msg":"serving".*?"port":(\d+)/.exec(stderr);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return {
    child,
    port,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One worker of a pod as `/admin/workers.json` lists it. */
export interface WorkerRow {
  readonly slot: number;
  readonly pid: number;
  readonly state: string;
  readonly restarts: number;
  readonly requests: number;
  readonly connections: number;
  readonly rssBytes: number;
}

/** A running pod (`--workers N` or `workers:`): the binary, the primary's admin URL, its workers. */
export interface RunningPod extends RunningBinary {
  /** The primary's admin, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly admin: string;
  /** `/admin/workers.json`'s rows, slot order. */
  workers(): Promise<WorkerRow[]>;
}

const ADMIN_LINE = /"msg":"admin".*?"url":"(http:[^"]+)\/"/;

/**
 * Starts the binary as a pod (pass `--workers N` in `args`, or set `workers:` in the config) and
 * resolves once the primary's admin serves, i.e. every worker is ready.
 */
export async function startPod(
  configPath: string,
  options: Parameters<typeof startBinary>[1] = {},
): Promise<RunningPod> {
  const binary = await startBinary(configPath, options);
  const deadline = Date.now() + 60_000;
  while (!ADMIN_LINE.test(binary.stderr())) {
    if (Date.now() > deadline || binary.child.exitCode !== null) {
      await binary.stop();
      throw new Error(`the pod's admin did not start: ${binary.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const admin = ADMIN_LINE.exec(binary.stderr())![1]!;
  return {
    ...binary,
    stderr: binary.stderr,
    admin,
    workers: async () => JSON.parse((await httpGet(`${admin}/admin/workers.json`)).body).workers,
  };
}
