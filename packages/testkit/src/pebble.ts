/**
 * A real ACME CA for tests: Debian's `pebble` with `pebble-challtestsrv` as its DNS (every
 * name resolves to 127.0.0.1), on loopback. Pebble and challtestsrv cannot report a port they
 * chose, so their ports are found by binding port 0 and releasing it just before they start.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from './pki.js';

/** Why the pebble tests cannot run here, or `undefined` when they can. */
export function pebbleMissing(): string | undefined {
  for (const bin of ['pebble', 'pebble-challtestsrv']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`]);
    if (r.status !== 0) return `${bin} is not installed (apt-get install pebble; see .ci/acme-deps.sh)`;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PebbleOptions {
  /** Port pebble's VA connects to for HTTP-01. */
  readonly httpPort: number;
  /** Port pebble's VA connects to for TLS-ALPN-01. */
  readonly tlsPort: number;
  /** `PEBBLE_WFE_NONCEREJECT` percentage; default 0. */
  readonly nonceReject?: number;
  /**
   * Pebble's random validation delay: its VA waits a random 0–N s before each validation
   * (`PEBBLE_VA_SLEEPTIME`). Default: none (`PEBBLE_VA_NOSLEEP`), validation at once.
   */
  readonly vaSleepSeconds?: number;
  /** `PEBBLE_AUTHZREUSE` percentage (pebble's coin toss on reusing a valid authorization); default 0. */
  readonly authzReuse?: number;
  /** Certificate lifetime in seconds; default pebble's (years). */
  readonly validitySeconds?: number;
}

export interface Pebble {
  readonly directoryUrl: string;
  /** PEM of the CA that signed pebble's HTTPS certificate. */
  readonly directoryCa: string;
  /** PEM of the root that issued certificates chain to. */
  rootPem(): Promise<string>;
  /** Kills pebble (challtestsrv keeps running); `restart` brings it back on the same ports. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${out}`));
    });
  });
}

async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

function getText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: new Agent({ ca }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function retry<T>(f: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await f();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function startPebble(o: PebbleOptions): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pebble-'));
  const pki = await createTestPki();
  const wfe = await pki.leaf('pebble-wfe', { cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'] });
  const [listen, management, dns, dnsManagement] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const configPath = join(dir, 'pebble.json');
  await writeFile(
    configPath,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: wfe.certPath,
        privateKey: wfe.keyPath,
        httpPort: o.httpPort,
        tlsPort: o.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(o.validitySeconds === undefined ? {} : { certificateValidityPeriod: o.validitySeconds }),
      },
    }),
  );
  const dnsSrv = spawn(
    'pebble-challtestsrv',
    [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      `127.0.0.1:${dns}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${dnsManagement}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForLine(dnsSrv, /Starting challenge servers/, 'pebble-challtestsrv');
  let pebble: ChildProcess | undefined;
  const launch = async () => {
    pebble = spawn('pebble', ['-config', configPath, '-dnsserver', `127.0.0.1:${dns}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(o.vaSleepSeconds === undefined
          ? { PEBBLE_VA_NOSLEEP: '1' }
          : { PEBBLE_VA_SLEEPTIME: String(o.vaSleepSeconds) }),
        PEBBLE_WFE_NONCEREJECT: String(o.nonceReject ?? 0),
        // Fresh authorizations every order by default, so each test really performs its challenge.
        PEBBLE_AUTHZREUSE: String(o.authzReuse ?? 0),
      },
    });
    await waitForLine(pebble, /Listening on: /, 'pebble');
    // Pebble logs before its listeners accept: wait until both answer.
    await retry(() => getText(`https://127.0.0.1:${listen}/dir`, pki.ca.certPem));
    await retry(() => getText(`https://127.0.0.1:${management}/roots/0`, pki.ca.certPem));
  };
  await launch();
  return {
    directoryUrl: `https://127.0.0.1:${listen}/dir`,
    directoryCa: pki.ca.certPem,
    rootPem: () => getText(`https://127.0.0.1:${management}/roots/0`, pki.ca.certPem),
    kill: () => killChild(pebble),
    restart: launch,
    async stop() {
      await killChild(pebble);
      await killChild(dnsSrv);
      await pki.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
