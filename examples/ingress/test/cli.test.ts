/** The command line: help, version, --check verdicts and exit codes, usage errors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, parseCommand } from '../src/cli.js';
import { run } from '../src/run.js';

const configDir = fileURLToPath(new URL('../config/', import.meta.url));

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(parseCommand(argv), {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

describe('switchyard-ingress command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints a help that fits on a screen', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('--config FILE');
    expect(stdout.split('\n').length).toBeLessThanOrEqual(30);
  });

  it('validates the example configs with --check', async () => {
    for (const file of [
      'linkerd-ingress-controller.yaml',
      'linkerd-tls-ingress-controller.yaml',
      'cookie-canary.yaml',
    ]) {
      const { code, stdout } = await runCli(['--check', '--config', join(configDir, file)]);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toContain('configuration is valid');
    }
  });

  it('rejects an invalid config with exit 78 and file:line:column, field and hint', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'routers:\n- protocol: http\n  servers:\n  - port: 80\n    clearContxt: true\n');
    const { code, stderr } = await runCli(['--check', '--config', file]);
    expect(code).toBe(EXIT.config);
    const line = JSON.parse(stderr.trim().split('\n').at(-1)!) as { level: string; issues: string[] };
    expect(line.level).toBe('error');
    expect(line.issues).toEqual([
      `${file}:5:5: routers[0].servers[0].clearContxt: unknown option "clearContxt" (did you mean "clearContext"?)`,
    ]);
  });

  it('reports an unreadable config as a config error', async () => {
    const { code, stderr } = await runCli(['--check', '--config', join(dir, 'missing.yaml')]);
    expect(code).toBe(EXIT.config);
    expect(stderr).toContain('cannot read the config file (ENOENT)');
  });

  it('answers usage errors with exit 2', async () => {
    expect((await runCli(['--bogus'])).code).toBe(EXIT.usage);
    expect((await runCli(['--check'])).code).toBe(EXIT.usage);
    expect((await runCli(['--http-port', 'eighty'])).code).toBe(EXIT.usage);
  });
});
