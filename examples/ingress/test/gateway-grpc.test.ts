/**
 * gRPC end to end through the reference binary's gateway mode over HTTP/2: a `@grpc/grpc-js`
 * client (h2c, prior knowledge) → the binary (Linkerd 1's `protocol: h2` router, identifiers
 * `io.l5d.httproute` with a directory of manifests, then `io.l5d.ingress`) → real grpc-js servers
 * named by the fs namer, over h2c. A GRPCRoute chooses the backend by service, method and a
 * header; its `RequestHeaderModifier` is seen by the backend and its `ResponseHeaderModifier` by
 * the client. Unary calls, server streaming, and a client deadline the router honours.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Client,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startBinary } from './binary.js';
import { eventually } from './http-client.js';

const identity = (b: Buffer) => b;
const method = (path: string, responseStream: boolean) => ({
  path,
  requestStream: false,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const definition = {
  Unary: method('/test.Echo/Unary', false),
  Count: method('/test.Echo/Count', true),
  Slow: method('/test.Echo/Slow', false),
};
const Echo = makeGenericClientConstructor(definition, 'test.Echo');
type Call = (...args: unknown[]) => unknown;

const manifests = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: switchyard
  listeners: [{name: grpc, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches:
    - method: {service: test.Echo, method: Unary}
      headers: [{name: x-variant, value: canary}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-route, value: canary-rule}]}
    backendRefs: [{name: echo-canary, port: 50051}]
  - matches: [{method: {service: test.Echo}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-route, value: service-rule}]
        remove: [x-secret]
    - type: ResponseHeaderModifier
      responseHeaderModifier: {set: [{name: x-served-by, value: switchyard}]}
    backendRefs: [{name: echo, port: 50051}]
`;

describe('gRPC through the binary in gateway mode over HTTP/2 (grpc-js client and servers)', () => {
  let dir: string;
  let binary: RunningBinary;
  let client: Client & Record<string, Call>;
  const servers: Server[] = [];
  /** What the backends saw: `<backend> <method> x-route=… x-secret=…`, and slow calls cancelled. */
  const seen: string[] = [];

  async function backend(name: string): Promise<number> {
    const server = new Server();
    const note = (call: { metadata: Metadata }, what: string) =>
      seen.push(
        `${name} ${what} x-route=${call.metadata.get('x-route').join(',') || '-'} x-secret=${
          call.metadata.get('x-secret').join(',') || '-'
        }`,
      );
    server.addService(definition, {
      Unary: (call: ServerUnaryCall<Buffer, Buffer>, cb: (e: null, r: Buffer) => void) => {
        note(call, 'Unary');
        cb(null, Buffer.from(`${name}:${call.request.toString()}`));
      },
      Count: (call: ServerWritableStream<Buffer, Buffer>) => {
        note(call, 'Count');
        const n = Number(call.request.toString());
        for (let i = 0; i < n; i++) call.write(Buffer.from(`${name}:${i}`));
        call.end();
      },
      Slow: (call: ServerUnaryCall<Buffer, Buffer>) => {
        note(call, 'Slow');
        call.on('cancelled', () => seen.push(`${name} Slow cancelled`));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    servers.push(server);
    return port;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-gateway-grpc-'));
    for (const d of ['routes', 'ingresses', 'namers']) await mkdir(join(dir, d));
    for (const name of ['echo', 'echo-canary'])
      await writeFile(join(dir, 'namers', name), `127.0.0.1 ${await backend(name)}\n`);
    await writeFile(join(dir, 'routes', 'grpc.yaml'), manifests);
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {port: 0, ip: 127.0.0.1}
namers:
- kind: io.l5d.fs
  rootDir: namers
routers:
- protocol: h2
  label: grpc
  identifier:
  - kind: io.l5d.httproute
    dir: routes
  - kind: io.l5d.ingress
    ingressDir: ingresses
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc/default/* => /#/io.l5d.fs
`,
    );
    binary = await startBinary(join(dir, 'linker.yaml'));
    client = new Echo(`127.0.0.1:${binary.port}`, credentials.createInsecure()) as Client &
      Record<string, Call>;
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await binary?.stop();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.tryShutdown(() => r()))));
    await rm(dir, { recursive: true, force: true });
  });

  function unary(
    name: string,
    body: string,
    md: Record<string, string> = {},
    deadlineMs?: number,
  ): Promise<{ reply: string; headers: Metadata }> {
    return new Promise((resolve, reject) => {
      const metadata = new Metadata();
      for (const [k, v] of Object.entries(md)) metadata.set(k, v);
      let headers = new Metadata();
      const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
      const call = client[name]!(
        Buffer.from(body),
        metadata,
        options,
        (err: ServiceError | null, r: Buffer) =>
          err ? reject(err) : resolve({ reply: r.toString(), headers }),
      ) as { on(event: 'metadata', l: (m: Metadata) => void): void };
      call.on('metadata', (m) => {
        headers = m;
      });
    });
  }

  it('unary: the GRPCRoute picks the backend by method and header, and applies its filters', async () => {
    // The fs namer reads the backends' files on its own schedule.
    await eventually(async () => (await unary('Unary', 'warm').catch(() => undefined)) !== undefined, 20_000);
    seen.length = 0;
    const plain = await unary('Unary', 'hello', { 'x-secret': 's3cret' });
    expect(plain.reply).toBe('echo:hello');
    expect(plain.headers.get('x-served-by')).toEqual(['switchyard']);
    const canary = await unary('Unary', 'hello', { 'x-variant': 'canary', 'x-secret': 's3cret' });
    expect(canary.reply).toBe('echo-canary:hello');
    // The canary rule has no ResponseHeaderModifier.
    expect(canary.headers.get('x-served-by')).toEqual([]);
    expect(seen).toEqual([
      'echo Unary x-route=service-rule x-secret=-',
      'echo-canary Unary x-route=canary-rule x-secret=s3cret',
    ]);
  });

  it('server streaming: every message arrives in order, through the service rule', async () => {
    const messages = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = [];
      const stream = client.Count!(Buffer.from('50'), new Metadata()) as NodeJS.ReadableStream;
      stream.on('data', (b: Buffer) => out.push(b.toString()));
      stream.on('error', reject);
      stream.on('end', () => resolve(out));
    });
    expect(messages).toEqual(Array.from({ length: 50 }, (_, i) => `echo:${i}`));
  });

  it('a call no GRPCRoute matches ends UNIMPLEMENTED (a gRPC answer, not an HTTP 404)', async () => {
    const Missing = makeGenericClientConstructor(
      { Call: method('/test.Missing/Call', false) },
      'test.Missing',
    );
    const missing = new Missing(`127.0.0.1:${binary.port}`, credentials.createInsecure()) as Client &
      Record<string, Call>;
    try {
      const err = await new Promise<ServiceError | null>((resolve) =>
        missing.Call!(Buffer.from('x'), new Metadata(), {}, (e: ServiceError | null) => resolve(e)),
      );
      expect(err?.code).toBe(status.UNIMPLEMENTED);
    } finally {
      missing.close();
    }
  });

  it('a deadline: the call ends DEADLINE_EXCEEDED on time, and the backend sees it cancelled', async () => {
    const t0 = Date.now();
    const err = (await unary('Slow', 'x', {}, 400).then(
      () => undefined,
      (e: ServiceError) => e,
    )) as ServiceError | undefined;
    const took = Date.now() - t0;
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(5000);
    await eventually(async () => seen.includes('echo Slow cancelled'));
  });
});
