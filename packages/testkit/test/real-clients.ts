/**
 * Helpers for the tests that drive the test API server with real Kubernetes clients (kubectl, the
 * Python client) as child processes: a kubeconfig in a temporary directory, and an async runner
 * (the server lives in the test process, so a synchronous spawn would block it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary home with a kubeconfig pointing at `server` (namespace `default`, token auth). */
export interface KubeHome {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function kubeHome(server: string, token?: string): KubeHome {
  const dir = mkdtempSync(join(tmpdir(), 'sy-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: ${server}`,
      'contexts:',
      '- name: test',
      '  context: {cluster: test, user: test, namespace: default}',
      'current-context: test',
      'users:',
      '- name: test',
      token ? `  user: {token: ${token}}` : '  user: {}',
      '',
    ].join('\n'),
  );
  // HOME isolates kubectl's discovery/http cache (~/.kube/cache) per test.
  const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig, NO_PROXY: '*', no_proxy: '*' };
  return { dir, kubeconfig, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Result of a finished child process. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Why `cmd --version`-like probe fails, or undefined when the tool is usable. */
export function missing(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${cmd} not available (${r.error.message})`;
  if (r.status !== 0) return `${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().slice(0, 200)}`;
  return undefined;
}
