/** The command line: help, version, --check verdicts and exit codes, usage errors. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, parseCommand } from '../src/cli.js';
import { run } from '../src/run.js';
import { listenHasReusePort, parseWorkersListenFlag } from '../src/workers/count.js';

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

  it("validates the post's config and the cookie example with --check", async () => {
    for (const file of ['linkerd-ingress-controller.yaml', 'cookie-canary.yaml', 'dogfood.yaml']) {
      const { code, stdout } = await runCli(['--check', '--config', join(configDir, file)]);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toContain('configuration is valid');
    }
  });

  it('checks what start-up checks: the TLS post config is invalid where its Secret is not mounted', async () => {
    const file = join(configDir, 'linkerd-tls-ingress-controller.yaml');
    const { code, stderr } = await runCli(['--check', '--config', file]);
    expect(code).toBe(EXIT.config);
    expect(stderr.trim().split('\n')).toEqual([
      `${file}:14:21: routers[0].servers[0].tls.certPath: cannot read /io.buoyant/linkerd/certs/tls.crt (ENOENT)`,
      `${file}:15:20: routers[0].servers[0].tls.keyPath: cannot read /io.buoyant/linkerd/certs/tls.key (ENOENT)`,
    ]);
  });

  it('prints an invalid config as file:line:column lines on stderr, exit 78', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'routers:\n- protocol: http\n  servers:\n  - port: 80\n    clearContxt: true\n');
    const { code, stdout, stderr } = await runCli(['--check', '--config', file]);
    expect(code).toBe(EXIT.config);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `${file}:5:5: routers[0].servers[0].clearContxt: unknown option "clearContxt" (did you mean "clearContext"?)\n`,
    );
  });

  it('rejects at --check what would fail to start: timeouts, ports, directories', async () => {
    const file = join(dir, 'unstartable.yaml');
    await writeFile(
      file,
      `admin:
  port: 8080
namers:
- kind: io.l5d.fs
  rootDir: no-such-dir
routers:
- protocol: http
  servers:
  - port: 8080
    ip: 0.0.0.0
    requestTimeoutMs: 5000
    headersTimeoutMs: 6000
`,
    );
    const first = await runCli(['--check', '--config', file]);
    expect(first.code).toBe(EXIT.config);
    // The schema runs first: the timeouts are reported before files and ports are looked at.
    expect(first.stderr).toBe(
      `${file}:12:23: routers[0].servers[0].headersTimeoutMs: headersTimeoutMs (6000) must be ≤ requestTimeoutMs (5000): the head is part of the request (lower headersTimeoutMs or raise requestTimeoutMs)\n`,
    );
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('headersTimeoutMs: 6000', 'headersTimeoutMs: 4000'),
    );
    const second = await runCli(['--check', '--config', file]);
    expect(second.code).toBe(EXIT.config);
    expect(second.stderr.trim().split('\n')).toEqual([
      `${file}:2:9: admin.port: admin cannot listen on 127.0.0.1:8080: routers[0].servers[0] listens on 0.0.0.0:8080 (every listener needs its own port (a 0.0.0.0 listener takes the port on every address))`,
      `${file}:5:12: namers[0].rootDir: directory ${join(dir, 'no-such-dir')} cannot be read (ENOENT)`,
    ]);
  });

  it('rejects at --check a status election whose timings client-go would refuse', async () => {
    const file = join(dir, 'election.yaml');
    await writeFile(
      file,
      `routers:
- protocol: http
  identifier:
    kind: io.l5d.ingress
    host: 127.0.0.1
    statusAddress: { ip: 127.0.0.1 }
    statusLeaderElection: { leaseDurationMs: 2000, renewDeadlineMs: 3000 }
  servers: [{ port: 0 }]
  dtab: /svc => /#/io.l5d.k8s
`,
    );
    const { code, stderr } = await runCli(['--check', '--config', file]);
    expect(code).toBe(EXIT.config);
    expect(stderr).toContain(
      'routers[0].identifier.statusLeaderElection.renewDeadlineMs: must be less than leaseDurationMs (2000), got 3000',
    );
  });

  it('checks the access log format at --check', async () => {
    const file = join(dir, 'access-log.yaml');
    await writeFile(
      file,
      'routers:\n- protocol: http\n  servers: [{port: 0}]\n  httpAccessLog: a.log\n  httpAccessLogFormat: CLF\n',
    );
    const bad = await runCli(['--check', '--config', file]);
    expect(bad.code).toBe(EXIT.config);
    expect(bad.stderr).toBe(
      `${file}:5:24: routers[0].httpAccessLogFormat: expected one of "linkerd", "json", "clf", got "CLF" (did you mean "clf"?)\n`,
    );
    await writeFile(file, (await readFile(file, 'utf8')).replace('CLF', 'clf'));
    expect((await runCli(['--check', '--config', file])).code).toBe(EXIT.ok);
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
    expect((await runCli(['--kube-api', '70000'])).stderr).toContain(
      '--kube-api expects a port number, got "70000"',
    );
    const withConfig = await runCli([
      '--kube-api',
      '0',
      '--config',
      join(configDir, 'linkerd-ingress-controller.yaml'),
    ]);
    expect(withConfig.code).toBe(EXIT.usage);
    expect(withConfig.stderr).toContain('--kube-api is for the local demo');
    expect(parseCommand(['--kube-api', '0'])).toMatchObject({ kind: 'run', kubeApiPort: 0 });
  });

  it('reads --workers as a whole number or auto, and names the flag when it is neither', async () => {
    expect(parseCommand(['--workers', '4'])).toMatchObject({ kind: 'run', workers: 4 });
    expect(parseCommand(['--workers', 'auto'])).toMatchObject({ kind: 'run', workers: 'auto' });
    expect(parseCommand([])).toMatchObject({ kind: 'run', workers: undefined });
    for (const bad of ['0', '1.5', 'many', '2000']) {
      const answer = await runCli(['--workers', bad]);
      expect(answer.code).toBe(EXIT.usage);
      expect(answer.stderr).toContain(`--workers expects a whole number 1–1024 or "auto", got "${bad}"`);
    }
  });

  it('checks the workers field at --check, naming file:line:column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-cli-workers-'));
    const file = join(dir, 'linker.yaml');
    const routers =
      'routers:\n- protocol: http\n  servers: [{port: 0}]\n  dtab: /svc => /$/inet/127.0.0.1/1\n';
    await writeFile(file, `workers: lots\n${routers}`);
    const bad = await runCli(['--check', '--config', file]);
    expect(bad.code).toBe(EXIT.config);
    expect(bad.stderr).toContain(
      `${file}:1:10: workers: expected a whole number 1–1024 or "auto", got "lots"`,
    );
    await writeFile(file, `workers: auto\n${routers}`);
    expect((await runCli(['--check', '--config', file])).code).toBe(EXIT.ok);
    await rm(dir, { recursive: true, force: true });
  });

  // Both answers are tested across CI's Node 20 (refused) and 22/24 (accepted).
  const hasReusePort = listenHasReusePort();

  it('checks workers.listen at --check: reusePort refused at file:line:column on Node < 22.12, a typo named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-cli-listen-'));
    const file = join(dir, 'linker.yaml');
    const routers =
      'routers:\n- protocol: http\n  servers: [{port: 0}]\n  dtab: /svc => /$/inet/127.0.0.1/1\n';
    await writeFile(
      file,
      `workers:\n  count: 2\n  listen: reusePort\n${routers.replace('port: 0', 'port: 18080')}`,
    );
    const answer = await runCli(['--check', '--config', file]);
    if (hasReusePort) expect(answer.code).toBe(EXIT.ok);
    else {
      expect(answer.code).toBe(EXIT.config);
      expect(answer.stderr).toContain(
        `${file}:3:11: workers.listen: reusePort needs Node >= 22.12 (server.listen has no reusePort option before), this is ${process.versions.node}`,
      );
    }
    await writeFile(file, `workers: {count: 2, listen: reuseport}\n${routers}`);
    const typo = await runCli(['--check', '--config', file]);
    expect(typo.code).toBe(EXIT.config);
    expect(typo.stderr).toContain(
      `${file}:1:29: workers.listen: expected "cluster" or "reusePort", got "reuseport"`,
    );
    await writeFile(file, `workers: {count: 0, listen: cluster, mode: x}\n${routers}`);
    const both = await runCli(['--check', '--config', file]);
    expect(both.code).toBe(EXIT.config);
    expect(both.stderr).toContain('workers.count: expected a whole number 1–1024 or "auto", got 0');
    expect(both.stderr).toContain('workers.mode: unknown field mode');
    await writeFile(file, `workers: {count: auto, listen: cluster}\n${routers}`);
    expect((await runCli(['--check', '--config', file])).code).toBe(EXIT.ok);
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasReusePort)(
    `refuses port 0 under reusePort at --check, from the config or the flag, naming the port's file:line:column${hasReusePort ? '' : ' (skipped: Node < 22.12 refuses reusePort itself)'}`,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sy-cli-port0-'));
      const file = join(dir, 'linker.yaml');
      const routers =
        'routers:\n- protocol: http\n  servers:\n  - {port: 18080}\n  - {port: 0}\n  dtab: /svc => /$/inet/127.0.0.1/1\n';
      const refusal =
        'routers[0].servers[1].port: port 0 cannot be used under workers.listen: reusePort (each worker binds its own socket, so each would get a different ephemeral port) (give the server a fixed port, or use workers.listen: cluster)';
      await writeFile(file, `workers: {count: 2, listen: reusePort}\n${routers}`);
      const fromConfig = await runCli(['--check', '--config', file]);
      expect(fromConfig.code).toBe(EXIT.config);
      expect(fromConfig.stderr.trim().split('\n')).toEqual([`${file}:6:12: ${refusal}`]);
      await writeFile(file, `workers: 2\n${routers}`);
      expect((await runCli(['--check', '--config', file])).code).toBe(EXIT.ok);
      const fromFlag = await runCli(['--check', '--config', file, '--workers-listen', 'reusePort']);
      expect(fromFlag.code).toBe(EXIT.config);
      expect(fromFlag.stderr.trim().split('\n')).toEqual([`${file}:6:12: ${refusal}`]);
      // Running, the primary refuses it before forking: one config error, exit 78.
      const running = await runCli(['--config', file, '--workers-listen', 'reusePort']);
      expect(running.code).toBe(EXIT.config);
      expect(running.stderr.split('port 0 cannot be used').length - 1).toBe(1);
      await rm(dir, { recursive: true, force: true });
    },
  );

  it('reads --workers-listen cluster|reusePort, refusing reusePort on Node < 22.12 and naming the flag', async () => {
    expect(parseCommand(['--workers-listen', 'cluster'])).toMatchObject({
      kind: 'run',
      workersListen: 'cluster',
    });
    expect(parseCommand([])).toMatchObject({ kind: 'run', workersListen: undefined });
    const bad = await runCli(['--workers-listen', 'fork']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--workers-listen expects "cluster" or "reusePort", got "fork"');
    if (hasReusePort)
      expect(parseCommand(['--workers-listen', 'reusePort'])).toMatchObject({ workersListen: 'reusePort' });
    else {
      const old = await runCli(['--workers-listen', 'reusePort']);
      expect(old.code).toBe(EXIT.usage);
      expect(old.stderr).toContain(`--workers-listen reusePort needs Node >= 22.12`);
    }
    expect(parseWorkersListenFlag('reusePort', '22.11.0')).toMatch(/needs Node >= 22.12.*this is 22.11.0/);
    expect(parseWorkersListenFlag('reusePort', '22.12.0')).toEqual({ listen: 'reusePort' });
    expect(parseWorkersListenFlag('reusePort', '23.0.0')).toMatch(/needs Node >= 22.12/);
    expect(parseWorkersListenFlag('reusePort', '23.1.0')).toEqual({ listen: 'reusePort' });
    expect(parseWorkersListenFlag('reusePort', '20.20.2')).toMatch(/needs Node >= 22.12/);
  });
});
