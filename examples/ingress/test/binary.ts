/** The reference binary as a child process on a config file, for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
