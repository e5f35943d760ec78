/**
 * kubectl against the test API server, as a real child process with a kubeconfig on an ephemeral
 * port: discovery (aggregated), OpenAPI v3 (explain, client-side apply's strategic merge patch and
 * the field-validation probe; v2 is JSON only, so kubectl's protobuf-only v2 request gets 406), Table printing, every write verb and patch type, watch, and CRDs.
 * Skipped, with the reason in the suite name, only when kubectl is not installed.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '@switchyard/k8s';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../src/index.js';
import { type KubeHome, kubeHome, missing, run } from './real-clients.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const absent = missing(KUBECTL, ['version', '--client']);

let api: FakeKubeApi;
let home: KubeHome;
beforeEach(async () => {
  if (absent) return;
  // No token: client-go sends bearer tokens only over HTTPS, and this server is plain HTTP.
  api = await startFakeKubeApi();
  home = kubeHome(api.url);
});
afterEach(async () => {
  if (absent) return;
  await api.close();
  home.cleanup();
});

const kubectl = (...args: string[]) => run(KUBECTL, args, home.env);
async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  expect(r.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
function file(name: string, text: string): string {
  const p = join(home.dir, name);
  writeFileSync(p, text);
  return p;
}

const SERVICE = (targetPort: number) => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: ${targetPort}}
`;

describe.skipIf(absent !== undefined)(`kubectl${absent ? ` (skipped: ${absent})` : ''}`, () => {
  it('version, api-resources (aggregated discovery) and explain (OpenAPI v3)', {
    timeout: 60_000,
  }, async () => {
    expect(await ok('version')).toMatch(/Server Version: v1\.31\.0/);
    const resources = await ok('api-resources');
    expect(resources).toMatch(/^services\s+svc\s+v1\s+true\s+Service$/m);
    expect(resources).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    expect(resources).toMatch(/^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m);
    expect(resources).toMatch(/^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
    expect(api.requests.some((r) => r.path === '/apis' && /APIGroupDiscoveryList/.test(r.accept ?? ''))).toBe(
      true,
    );
    const explain = await ok('explain', 'ingress.spec.rules');
    expect(explain).toMatch(/KIND:\s+Ingress/);
    expect(explain).toMatch(/^\s+host\s+<string>/m);
    expect(explain).toContain('A list of host rules used to configure the Ingress.');
    // OpenAPI v2 is served as JSON only; kubectl's v2 output asks for protobuf and is told so (406),
    // not handed JSON to misparse ("proto: cannot parse invalid wire-format data").
    const v2 = await kubectl('explain', 'ingress.spec.rules', '--output=plaintext-openapiv2');
    expect(v2.code).not.toBe(0);
    expect(v2.stderr).toContain('Error from server (NotAcceptable)');
  });

  it('apply creates then configures with a strategic merge patch; get -o jsonpath / yaml', {
    timeout: 60_000,
  }, async () => {
    const svc = file('svc.yaml', SERVICE(8080));
    expect(await ok('apply', '-f', svc)).toBe('service/web created\n');
    file('svc.yaml', SERVICE(9090));
    expect(await ok('apply', '-f', svc)).toBe('service/web configured\n');
    const patchReq = api.requests.find((r) => r.method === 'PATCH');
    expect(patchReq?.contentType).toBe('application/strategic-merge-patch+json');
    expect(patchReq?.query.fieldValidation).toBe('Strict');
    expect(await ok('get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].targetPort}')).toBe('9090');
    const stored = api.get<KubeObject>('Service', 'default', 'web')!;
    expect(stored.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      '9090',
    );
    expect(await ok('get', 'svc')).toMatch(
      /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nweb\s+ClusterIP\s+<none>\s+<none>\s+80\/TCP\s+\d+s\n$/,
    );
  });

  it("get prints Ingress and Service columns as kube-apiserver's printers do", {
    timeout: 60_000,
  }, async () => {
    await ok(
      'apply',
      '-f',
      file(
        'ing.yaml',
        `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain}
spec:
  ingressClassName: linkerd
  rules:
  - host: a.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: b.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: tls}
spec:
  tls: [{hosts: [c.test], secretName: certs}]
  defaultBackend: {service: {name: web, port: {number: 80}}}
`,
      ),
    );
    await ok(
      'patch',
      'ingress',
      'plain',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"loadBalancer":{"ingress":[{"ip":"10.1.2.3"}]}}}',
    );
    expect(await ok('get', 'ingress')).toMatch(
      /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nplain\s+linkerd\s+a\.test,b\.test\s+10\.1\.2\.3\s+80\s+\d+s\ntls\s+<none>\s+\*\s+80, 443\s+\d+s\n$/,
    );
    await ok(
      'apply',
      '-f',
      file(
        'lb.yaml',
        `apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  selector: {app: web, tier: front}
  ports: [{name: http, port: 80, nodePort: 30080}, {name: dns, port: 53, protocol: UDP}]
`,
      ),
    );
    expect(await ok('get', 'svc', 'lb', '-o', 'wide')).toMatch(
      /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR\nlb\s+LoadBalancer\s+10\.96\.0\.10\s+<pending>\s+80:30080\/TCP,53\/UDP\s+\d+s\s+app=web,tier=front\n$/,
    );
  });

  it('patch --type merge, json and strategic; the server keys Service ports by port', {
    timeout: 60_000,
  }, async () => {
    await ok('apply', '-f', file('svc.yaml', SERVICE(8080)));
    await ok('patch', 'svc', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"front"}}}');
    await ok(
      'patch',
      'svc',
      'web',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/ports/0/targetPort","value":8081}]',
    );
    await ok(
      'patch',
      'svc',
      'web',
      '--type=strategic',
      '-p',
      '{"spec":{"ports":[{"port":443,"name":"https"}]}}',
    );
    await ok('patch', 'svc', 'web', '-p', '{"spec":{"ports":[{"port":80,"targetPort":8082}]}}'); // strategic is kubectl's default
    const out = await ok(
      'get',
      'svc',
      'web',
      '-o',
      'jsonpath={.metadata.labels.tier} {.spec.ports[*].port} {.spec.ports[0].targetPort}',
    );
    expect(out).toBe('front 80 443 8082');
    const bad = await kubectl(
      'patch',
      'svc',
      'web',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/selector/app","value":"db"}]',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('testing value /spec/selector/app failed');
  });

  it('apply --server-side: managedFields, conflicts (409) and --force-conflicts', {
    timeout: 60_000,
  }, async () => {
    const cm = file(
      'cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata: {a: "1", b: "2"}\n',
    );
    expect(await ok('apply', '--server-side', '-f', cm)).toBe('configmap/conf serverside-applied\n');
    const mf = JSON.parse(await ok('get', 'cm', 'conf', '-o', 'jsonpath={.metadata.managedFields}'));
    expect(mf).toMatchObject([
      { manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } },
    ]);
    await ok('patch', 'cm', 'conf', '--type=merge', '-p', '{"data":{"a":"9"}}', '--field-manager=editor');
    const conflict = await kubectl('apply', '--server-side', '-f', cm);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "editor" using v1: .data.a',
    );
    await ok('apply', '--server-side', '--force-conflicts', '-f', cm);
    expect(await ok('get', 'cm', 'conf', '-o', 'jsonpath={.data.a}')).toBe('1');
    // Dropping a field from the applied config removes it (nobody else owns it).
    file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata: {a: "1"}\n');
    await ok('apply', '--server-side', '-f', cm);
    expect(await ok('get', 'cm', 'conf', '-o', 'jsonpath={.data}')).toBe('{"a":"1"}');
  });

  it('delete waits for the object to go; finalizers hold it until removed', { timeout: 60_000 }, async () => {
    await ok('apply', '-f', file('svc.yaml', SERVICE(8080)));
    expect(await ok('delete', 'svc', 'web')).toBe('service "web" deleted\n');
    expect(api.get('Service', 'default', 'web')).toBeUndefined();
    await ok('create', 'configmap', 'held');
    await ok('patch', 'cm', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    await ok('delete', 'cm', 'held', '--wait=false');
    expect(await ok('get', 'cm', 'held', '-o', 'jsonpath={.metadata.deletionTimestamp}')).toMatch(/^\d{4}-/);
    await ok('patch', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    expect((await kubectl('get', 'cm', 'held')).stderr).toContain('configmaps "held" not found');
  });

  it('get -w prints changes as they happen', { timeout: 60_000 }, async () => {
    await ok('apply', '-f', file('svc.yaml', SERVICE(8080)));
    const child = spawn(KUBECTL, ['get', 'svc', '-w', '--output-watch-events'], { env: home.env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await api.waitFor(() => api.activeWatches('/api/v1/namespaces/default/services') === 1);
    await ok('label', 'svc', 'web', 'x=y');
    await ok('delete', 'svc', 'web');
    await waitUntil(() => /DELETED/.test(out));
    child.kill();
    expect(out).toMatch(
      /EVENT\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nADDED\s+web\s+ClusterIP\s.*\nMODIFIED\s+web\s.*\nDELETED\s+web\s+ClusterIP\s/,
    );
  });

  it('a CustomResourceDefinition makes its kind served: apply, get by short name, explain, status', {
    timeout: 60_000,
  }, async () => {
    const crd = file(
      'crd.yaml',
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer, description: How big.}}}
          status: {type: object, properties: {ready: {type: boolean}}}
`,
    );
    await ok('apply', '-f', crd);
    await ok(
      'apply',
      '-f',
      file('w.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n'),
    );
    expect(await ok('get', 'wd')).toMatch(/^NAME\s+AGE\nw1\s+/);
    expect(await ok('explain', 'widget.spec.size')).toContain('How big.');
    await ok(
      'patch',
      'widget',
      'w1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"ready":true}}',
    );
    await ok('patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":4},"status":{"ready":false}}');
    const w = JSON.parse(await ok('get', 'widget', 'w1', '-o', 'json'));
    expect(w.status).toEqual({ ready: true }); // main-resource writes keep status
    expect(w.metadata.generation).toBe(2); // the spec change bumped it; the status write did not
    await ok('delete', 'crd', 'widgets.example.com');
    expect(api.servedResources()).not.toContain('example.com/v1/widgets');
  });
});

async function waitUntil(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
