/**
 * Log levels of rescued requests in the running ingress: a request no Ingress rule matches is
 * the client's doing and logs at info, never error; a backend that refuses connections is a
 * warning. The real binary's run() on a config file with ephemeral ports, real requests.
 */
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, parseCommand } from '../src/cli.js';
import { routerErrorLevel } from '../src/log.js';
import { run } from '../src/run.js';
import { curl, eventually } from './http-client.js';

interface Line {
  readonly level: string;
  readonly msg: string;
  readonly status?: number;
  readonly code?: string;
  readonly port?: number;
}

describe('log levels of request errors', () => {
  let home: string;
  let stderr = '';
  const signals = new EventEmitter();
  let exited: Promise<number>;
  let port: number;

  const lines = (): Line[] =>
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-levels-'));
    await mkdir(join(home, 'ingresses'));
    await mkdir(join(home, 'disco'));
    // One host rule and no default backend: any other Host is answered 404.
    await writeFile(
      join(home, 'ingresses', 'only-v2.yaml'),
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: only-v2, namespace: default, annotations: {kubernetes.io/ingress.class: linkerd}}
spec:
  rules:
  - host: world.v2
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: world-v2, port: {number: 80}}}}
`,
    );
    await writeFile(
      join(home, 'linker.yaml'),
      `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: disco
routers:
- protocol: http
  identifier: {kind: io.l5d.ingress, ingressDir: ingresses}
  servers:
  - {port: 0, clearContext: true}
  dtab: /svc/*/* => /#/io.l5d.fs
`,
    );
    exited = run(
      parseCommand(['--config', join(home, 'linker.yaml')]),
      {
        stdout: () => undefined,
        stderr: (t) => {
          stderr += t;
        },
      },
      signals,
    );
    await eventually(async () => /"msg":"serving"/.test(stderr), 30_000);
    port = lines().find((l) => l.msg === 'serving')!.port!;
  }, 60_000);

  afterAll(async () => {
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(EXIT.ok);
    await rm(home, { recursive: true, force: true });
  });

  it('logs a request for an unknown host at info, not error', async () => {
    const answer = await curl(`http://127.0.0.1:${port}/`, { host: 'no-such-host.example' });
    expect(answer.status).toBe(404);
    await eventually(async () => lines().some((l) => l.msg === 'router:error'));
    const logged = lines().filter((l) => l.msg === 'router:error');
    expect(logged).toEqual([expect.objectContaining({ level: 'info', status: 404 })]);
    expect(lines().filter((l) => l.level === 'error')).toEqual([]);
  });

  it('maps statuses to levels: client 4xx info, upstream 5xx warn, router faults error', () => {
    expect(routerErrorLevel({ status: 400, code: 'SY_ERR_UNKNOWN_DST' })).toBe('info');
    expect(routerErrorLevel({ status: 502, code: 'ECLIENTGONE' })).toBe('info');
    expect(routerErrorLevel({ status: 502, code: 'SY_ERR_ROUTER_CONNECT_FAILED' })).toBe('warn');
    expect(routerErrorLevel({ status: 503, code: 'SY_ERR_ROUTER_OVERLOADED' })).toBe('warn');
    expect(routerErrorLevel({ status: 502, code: 'unknown' })).toBe('error');
    expect(routerErrorLevel({ status: 500, code: 'SY_ERR_WHATEVER' })).toBe('error');
  });
});
