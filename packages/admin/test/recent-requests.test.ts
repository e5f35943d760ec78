/**
 * The dashboard's recent-requests feed end to end over real sockets: a proxy-shaped HTTP server
 * runs `requestLogServerLayer` around a handler that behaves as the router's stack does (fills
 * in the request record as it identifies `dst`, binds a client, picks an endpoint, answers), and
 * `/admin/dashboard.json` must show the client and endpoint columns filled.
 */
import { systemClock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import {
  createRecentRequests,
  createTracer,
  type RecentRequest,
  type RecentRequests,
  requestLogServerLayer,
  tracingServerLayer,
} from '@switchyard/telemetry';
import { type InboundServer, startInboundServer, type TestInbound } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer } from '../src/index.js';
import { raw } from './fixtures.js';

/** What the fake router does for a request path: bind (client + endpoint) or answer 404. */
type Behaviour = { readonly kind: 'bound'; client: string; endpoint: string } | { readonly kind: 'noRoute' };

let proxy: InboundServer | undefined;
let admin: AdminServer | undefined;

afterEach(async () => {
  await admin?.close();
  await proxy?.close();
  proxy = undefined;
  admin = undefined;
});

/** A proxy-shaped server (testkit's router stand-in) running the telemetry layers; its URL. */
async function startProxy(recent: RecentRequests, behaviour: Behaviour, traced = false): Promise<string> {
  const layers = [
    ...(traced ? [tracingServerLayer<TestInbound>(createTracer({ sampleRate: 1 }))] : []),
    requestLogServerLayer<TestInbound>({ recent, clock: systemClock }),
  ];
  // The router's part: identification, binding (the service and client), then an attempt on a
  // picked endpoint, each later than the layer's entry, recorded as the router records them.
  const router = async (inbound: TestInbound): Promise<void> => {
    const { record, res } = inbound.exchange;
    await new Promise((r) => setImmediate(r));
    record.dst = Path.read(`/svc${inbound.head.url}`);
    if (behaviour.kind === 'noRoute') {
      res.writeHead(404).end('no route');
      return;
    }
    record.service = Path.show(record.dst);
    record.client = behaviour.client;
    record.endpoint = behaviour.endpoint;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
  };
  proxy = await startInboundServer(layers.reduceRight((next, l) => l.layer(next), router));
  return proxy.url;
}

async function feed(recent: RecentRequests): Promise<RecentRequest[]> {
  admin = createAdminServer({ port: 0, recentRequests: () => recent.list() });
  await admin.listen();
  const body = (await (await fetch(`${admin.url}/admin/dashboard.json`)).json()) as {
    recentRequests: RecentRequest[];
  };
  return body.recentRequests;
}

describe('recent requests feed', () => {
  it('fills the client and endpoint columns from what the router learned during the request', async () => {
    const recent = createRecentRequests({ sampleRate: 1 });
    const url = await startProxy(recent, {
      kind: 'bound',
      client: '/#/io.l5d.k8s/default/http/world',
      endpoint: '10.1.2.3:8080',
    });
    expect((await raw(url, '/world')).status).toBe(200);
    await expect.poll(() => recent.list().length).toBe(1);
    const [row] = await feed(recent);
    expect(row).toMatchObject({
      router: 'http',
      method: 'GET',
      uri: '/world',
      service: '/svc/world',
      client: '/#/io.l5d.k8s/default/http/world',
      endpoint: '10.1.2.3:8080',
      status: 200,
    });
  });

  it('does not report a client header the caller forged when the request never bound', async () => {
    const recent = createRecentRequests({ sampleRate: 1 });
    const url = await startProxy(recent, { kind: 'noRoute' });
    const res = await raw(url, '/nowhere', { headers: { 'l5d-dst-client': '/#/forged' } });
    expect(res.status).toBe(404);
    await expect.poll(() => recent.list().length).toBe(1);
    const [row] = await feed(recent);
    expect(row).toMatchObject({ uri: '/nowhere', status: 404, service: '/svc/nowhere' });
    expect(row?.client).toBeUndefined();
    expect(row?.endpoint).toBeUndefined();
  });

  it('carries the trace id of the request span when tracing is on', async () => {
    const recent = createRecentRequests({ sampleRate: 1 });
    const url = await startProxy(
      recent,
      { kind: 'bound', client: '/#/io.l5d.fs/web', endpoint: '[fd00::1]:80' },
      true,
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await raw(url, '/web', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await expect.poll(() => recent.list().length).toBe(1);
    const [row] = await feed(recent);
    expect(row).toMatchObject({ client: '/#/io.l5d.fs/web', endpoint: '[fd00::1]:80', traceId });
  });
});
