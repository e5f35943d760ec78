/**
 * The validate phase that `--check` and `Linker.start` share: configs that used to pass the
 * schema and then fail (or start half-broken) are rejected before anything binds, each problem
 * at the file:line:column of the field; bind failures at start-up name the field too.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, Linker, parseLinkerConfig, validateLinker } from '../src/index.js';
import { get } from './http.js';

const kinds = createDefaultKinds();

let dir: string;
let pki: TestPki;
let good: { certPath: string; keyPath: string };
let otherKeyPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-validate-'));
  await mkdir(join(dir, 'disco'));
  pki = await createTestPki();
  good = await pki.leaf('edge', { cn: 'localhost', dns: ['localhost'] });
  otherKeyPath = (await pki.key('other', 'ec-sec1')).keyPath;
});

afterAll(async () => {
  await pki.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** The problems of `text`, as `line:col path: message`, from the validate phase. */
async function problems(text: string, options: { admin?: { port?: number } } = {}): Promise<string[]> {
  const loaded = parseLinkerConfig(text, 'linker.yaml', kinds);
  const issues = await validateLinker(loaded, { kinds, baseDir: dir, ...options });
  return issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
}

/** What `Linker.start` says about `text`: the same problems, or it starts. */
async function startProblems(text: string): Promise<string[]> {
  try {
    const linker = await Linker.start(parseLinkerConfig(text, 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
    await linker.close();
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
  }
}

function tlsConfig(certPath: string, keyPath: string): string {
  return `routers:
- protocol: http
  servers:
  - port: 0
    tls:
      certPath: ${certPath}
      keyPath: ${keyPath}
`;
}

describe('the validate phase', () => {
  it('accepts a config whose files and ports are all fine', async () => {
    expect(await problems(tlsConfig(good.certPath, good.keyPath))).toEqual([]);
  });

  it('rejects missing certificate and key files at their fields, and start-up agrees', async () => {
    const text = tlsConfig('missing.crt', 'missing.key');
    const expected = [
      `6:17 routers[0].servers[0].tls.certPath: cannot read ${join(dir, 'missing.crt')} (ENOENT)`,
      `7:16 routers[0].servers[0].tls.keyPath: cannot read ${join(dir, 'missing.key')} (ENOENT)`,
    ];
    expect(await problems(text)).toEqual(expected);
    expect(await startProblems(text)).toEqual(expected);
  });

  it('rejects a certificate that does not match its key', async () => {
    expect(await problems(tlsConfig(good.certPath, otherKeyPath))).toEqual([
      `7:16 routers[0].servers[0].tls.keyPath: the private key in ${otherKeyPath} does not match the certificate in ${good.certPath}`,
    ]);
  });

  it('rejects a file that is not PEM', async () => {
    const [problem] = await problems(tlsConfig(good.keyPath, good.keyPath));
    expect(problem).toMatch(/^6:17 routers\[0\]\.servers\[0\]\.tls\.certPath: .* holds no PEM certificate/);
  });

  it('rejects the same ip:port twice across routers', async () => {
    const text = `routers:
- protocol: http
  label: a
  servers:
  - port: 18080
- protocol: http
  label: b
  servers:
  - port: 4141
    ip: 0.0.0.0
  - port: 18080
    ip: 0.0.0.0
`;
    expect(await problems(text)).toEqual([
      '11:11 routers[1].servers[1].port: routers[1].servers[1] cannot listen on 0.0.0.0:18080: routers[0].servers[0] listens on 127.0.0.1:18080',
    ]);
  });

  it('rejects an admin port equal to a router port (or its --admin-port override)', async () => {
    const text = 'admin:\n  port: 18080\nrouters:\n- protocol: http\n  servers:\n  - port: 18080\n';
    expect(await problems(text)).toEqual([
      '2:9 admin.port: admin cannot listen on 127.0.0.1:18080: routers[0].servers[0] listens on 127.0.0.1:18080',
    ]);
    const overridden = 'routers:\n- protocol: http\n  servers:\n  - port: 18080\n';
    expect(await problems(overridden, { admin: { port: 18080 } })).toHaveLength(1);
    expect(await problems(overridden, { admin: { port: 0 } })).toEqual([]);
  });

  it('rejects a probe port equal to the admin port', async () => {
    const text =
      'admin:\n  port: 19990\n  probe:\n    port: 19990\nrouters:\n- protocol: http\n  servers:\n  - port: 0\n';
    expect(await problems(text)).toEqual([
      '4:11 admin.probe.port: admin.probe cannot listen on 0.0.0.0:19990: admin listens on 127.0.0.1:19990',
    ]);
  });

  it('rejects a missing io.l5d.fs rootDir instead of starting with no services', async () => {
    const text = `namers:
- kind: io.l5d.fs
  rootDir: nowhere
routers:
- protocol: http
  servers:
  - port: 0
`;
    const expected = [`3:12 namers[0].rootDir: directory ${join(dir, 'nowhere')} cannot be read (ENOENT)`];
    expect(await problems(text)).toEqual(expected);
    expect(await startProblems(text)).toEqual(expected);
    expect(await problems(text.replace('nowhere', 'disco'))).toEqual([]);
  });

  it('rejects duplicate router labels at the second one', async () => {
    const text =
      'routers:\n- protocol: http\n  servers:\n  - port: 0\n- protocol: http\n  servers:\n  - port: 0\n';
    expect(await problems(text)).toEqual([
      '5:13 routers[1].protocol: router label "http" is already used by routers[0]',
    ]);
  });
});

describe('start-up failures name the field', () => {
  let holder: Server;
  let taken: number;
  beforeAll(async () => {
    holder = createServer();
    taken = await new Promise<number>((resolve) =>
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)),
    );
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('reports a port in use as SY_ERR_CONFIG_START at the port field', async () => {
    const text = `routers:\n- protocol: http\n  servers:\n  - port: 0\n  - port: ${taken}\n`;
    const error = await Linker.start(parseLinkerConfig(text, 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SY_ERR_CONFIG_START');
    expect(
      (error as ConfigError).issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`),
    ).toEqual([
      `linker.yaml:5:11 routers[0].servers[1].port: cannot listen on 127.0.0.1:${taken} (EADDRINUSE)`,
    ]);
  });
});

describe('the admin probe listener', () => {
  it('serves ping and ready on its own port, and nothing else of the admin', async () => {
    const text = `admin:
  ip: 127.0.0.1
  port: 0
  probe:
    ip: 127.0.0.1
    port: 0
routers:
- protocol: http
  servers:
  - port: 0
`;
    const linker = await Linker.start(parseLinkerConfig(text, 'linker.yaml', kinds), { kinds, baseDir: dir });
    try {
      const probe = linker.probeAddress!.port;
      expect(probe).not.toBe(linker.admin!.address!.port);
      expect(await get(probe, { path: '/admin/ping' })).toMatchObject({ status: 200, body: 'pong\n' });
      expect(await get(probe, { path: '/admin/ready' })).toMatchObject({ status: 200, body: 'ready\n' });
      for (const path of ['/admin/metrics.json', '/config.json', '/delegator.json', '/']) {
        expect((await get(probe, { path })).status).toBe(404);
      }
      // The full admin still answers on its own (loopback) port.
      expect((await get(linker.admin!.address!.port, { path: '/config.json' })).status).toBe(200);
    } finally {
      await linker.close();
    }
  });
});

describe('reload runs the identifier checks', () => {
  it('rejects an identifier whose ingressDir is missing, and keeps the running config', async () => {
    const text = 'routers:\n- protocol: http\n  servers:\n  - port: 0\n';
    const linker = await Linker.start(parseLinkerConfig(text, 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
    try {
      const next = `${text}  identifier:\n    kind: io.l5d.ingress\n    ingressDir: no-ingresses\n`;
      const error = await linker.reload(parseLinkerConfig(next, 'linker.yaml', kinds)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect(
        (error as ConfigError).issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`),
      ).toEqual([
        `7:17 routers[0].identifier.ingressDir: directory ${join(dir, 'no-ingresses')} cannot be read (ENOENT)`,
      ]);
      expect(linker.config.routers[0]!.identifier).toBeUndefined();
    } finally {
      await linker.close();
    }
  });
});

describe('admin control security', () => {
  const admin = (security: string) =>
    `admin:\n  ip: 127.0.0.1\n  port: 0\n  security:\n${security}routers:\n- protocol: http\n  servers:\n  - port: 0\n`;

  /** Problems of the schema (thrown by the parse) or of the validate phase, as `--check` shows both. */
  async function checkProblems(text: string): Promise<string[]> {
    try {
      return await problems(text);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
    }
  }

  it('refuses control without a token, and a token file it cannot read, at the field', async () => {
    expect(await checkProblems(admin('    controlEnabled: true\n'))).toEqual([
      '5:21 admin.security.controlEnabled: control endpoints need a bearer token',
    ]);
    expect(await problems(admin('    controlEnabled: true\n    controlTokenPath: missing-token\n'))).toEqual([
      expect.stringMatching(
        /^6:23 admin\.security\.controlTokenPath: cannot read .*missing-token \(ENOENT\)$/,
      ),
    ]);
    expect(await checkProblems(admin('    controlToken: short\n'))).toEqual([
      '5:19 admin.security.controlToken: the control token must be at least 16 characters',
    ]);
  });

  it('serves POST /admin/shutdown only with the bearer token from the file', async () => {
    const token = 'a-token-of-32-characters-0123456';
    await writeFile(join(dir, 'admin-token'), `${token}\n`);
    let shutdowns = 0;
    const text = admin('    controlEnabled: true\n    controlTokenPath: admin-token\n');
    const linker = await Linker.start(parseLinkerConfig(text, 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      onShutdown: () => {
        shutdowns++;
      },
    });
    try {
      const port = linker.admin!.address!.port;
      const post = (headers: Record<string, string>) => send(port, 'POST', '/admin/shutdown', headers);
      expect((await post({})).status).toBe(401);
      expect((await post({ authorization: 'Bearer not-the-token-at-all-00000' })).status).toBe(401);
      expect(shutdowns).toBe(0);
      expect((await post({ authorization: `Bearer ${token}` })).status).toBe(202);
      expect(shutdowns).toBe(1);
    } finally {
      await linker.close();
    }
  });

  it('keeps control off by default: POST /admin/shutdown is 404', async () => {
    const text = 'admin:\n  ip: 127.0.0.1\n  port: 0\nrouters:\n- protocol: http\n  servers:\n  - port: 0\n';
    const linker = await Linker.start(parseLinkerConfig(text, 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      onShutdown: () => {
        throw new Error('must not shut down');
      },
    });
    try {
      expect((await send(linker.admin!.address!.port, 'POST', '/admin/shutdown', {})).status).toBe(404);
    } finally {
      await linker.close();
    }
  });
});

/** One request with a method; resolves with the status. */
function send(port: number, method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode! }));
    });
    req.on('error', reject);
    req.end();
  });
}
