/**
 * The probe listener over real sockets: on a routable address it serves only ping and ready
 * (and Prometheus when asked), while the main listener and its dashboard, delegator, config and
 * control endpoints stay on loopback, unreachable from the pod IP.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type AdminServer, type AdminServerOptions, createAdminServer } from '../src/index.js';
import { raw, testRouter } from './fixtures.js';

/** This machine's first non-loopback IPv4 address: the "pod IP". */
const podIp = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

const TOKEN = 'k3y-0123456789abcdef';
let server: AdminServer | undefined;
let ready = false;

async function start(options: Partial<AdminServerOptions> = {}): Promise<AdminServer> {
  ready = false;
  server = createAdminServer({
    port: 0,
    probe: { ip: podIp ?? '0.0.0.0', port: 0 },
    readiness: [{ name: 'k8s ingress watch', ready: () => ready }],
    routers: [testRouter('http', '/svc => /$/inet/127.0.0.1/8080')],
    config: { admin: { port: 19990 } },
    control: { enabled: true, token: TOKEN },
    ...options,
  });
  await server.listen();
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('probe listener', () => {
  it('serves ping and ready on the probe address, with the Host kubelet sends', async () => {
    const s = await start();
    const probe = s.probeUrl;
    const host = new URL(probe).host;
    expect((await raw(probe, '/admin/ping', { headers: { host } })).body).toBe('pong\n');
    const notReady = await raw(probe, '/admin/ready', { headers: { host } });
    expect(notReady.status).toBe(503);
    expect(notReady.body).toBe('not ready: k8s ingress watch\n');
    ready = true;
    expect((await raw(probe, '/admin/ready', { headers: { host } })).status).toBe(200);
    expect((await raw(probe, '/admin/ready', { method: 'HEAD', headers: { host } })).status).toBe(200);
  });

  it('serves nothing else there: dashboard, delegator, config, metrics and control are 404', async () => {
    const s = await start();
    const probe = s.probeUrl;
    for (const path of [
      '/',
      '/admin',
      '/admin/metrics.json',
      '/admin/metrics/prometheus',
      '/admin/dashboard.json',
      '/admin/requests.json',
      '/admin/server_info',
      '/config.json',
      '/admin/config.json',
      '/delegator.json?path=/svc/a',
      '/dashboard.js',
    ]) {
      const res = await raw(probe, path);
      expect(res.status, path).toBe(404);
    }
    const post = await raw(probe, '/admin/shutdown', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(post.status).toBe(404);
    const delegator = await raw(probe, '/delegator.json', { method: 'POST', body: '{"path":"/svc/a"}' });
    expect(delegator.status).toBe(404);
    // The main listener still serves all of it.
    expect((await raw(s.url, '/config.json')).status).toBe(200);
    expect((await raw(s.url, '/admin/ping')).status).toBe(200);
  });

  it('serves /admin/metrics/prometheus too with probe.metrics', async () => {
    const s = await start({ probe: { ip: podIp ?? '0.0.0.0', port: 0, metrics: true } });
    const res = await raw(s.probeUrl, '/admin/metrics/prometheus');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('\nprocess_rss_bytes ');
    expect((await raw(s.probeUrl, '/admin/metrics.json')).status).toBe(404);
  });

  it.skipIf(podIp === undefined)(
    'keeps the main listener off the pod IP (default loopback bind)',
    async () => {
      const s = await start();
      expect(s.address?.address).toBe('127.0.0.1');
      expect(s.probeAddress?.address).toBe(podIp);
      expect(await refused(podIp as string, s.address?.port as number)).toBe(true);
    },
  );

  it('a probe port that is taken fails listen() and releases the main port', async () => {
    const first = await start();
    const taken = first.probeAddress?.port as number;
    const second = createAdminServer({ port: 0, probe: { ip: podIp ?? '0.0.0.0', port: taken } });
    await expect(second.listen()).rejects.toMatchObject({
      code: 'SY_ERR_ADMIN_LIFECYCLE',
      message: expect.stringContaining(
        `admin probe listener could not listen on ${podIp ?? '0.0.0.0'}:${taken}`,
      ),
    });
    expect(second.address).toBeUndefined();
    expect(() => second.probeUrl).toThrow(/not listening/);
  });

  it('checks probe options at construction', () => {
    expect(() => createAdminServer({ probe: { ip: '', port: 9991 } })).toThrow(/probe\.ip is required/);
    expect(() => createAdminServer({ probe: { ip: '0.0.0.0', port: 70000 } })).toThrow(
      'probe.port must be a port number, got 70000',
    );
  });

  it('close() stops both listeners', async () => {
    const s = await start();
    const probe = s.probeAddress as { address: string; port: number };
    const main = s.address as { address: string; port: number };
    await s.close();
    server = undefined;
    expect(await refused(probe.address, probe.port)).toBe(true);
    expect(await refused(main.address, main.port)).toBe(true);
  });
});
