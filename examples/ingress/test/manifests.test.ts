/**
 * The Kubernetes manifests of examples/ingress/k8s: every file (the demo app, the post's Ingress,
 * the kustomize base and overlays' resources) validates against the Kubernetes object schemas
 * (kubernetes-models, offline), and each kustomization as `kubectl kustomize` renders it (base:
 * DaemonSet; overlays: Deployment + HPA, TLS) is complete, valid and safe as shipped: non-root,
 * read-only root filesystem, no capability, requests and limits, admin on loopback, probes on the
 * probe listener, a PodDisruptionBudget and a NetworkPolicy that admits only router and probe
 * ports. Each kustomization is also applied with `kubectl apply --dry-run=server -k` against the
 * test API server (every kind it carries is served there, with discovery and OpenAPI). Without
 * kubectl the rendered checks are skipped, and say so.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultKinds, parseLinkerConfig } from '@switchyard/config';
import { startFakeKubeApi } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startBinary } from './binary.js';
import { curl } from './http-client.js';

const k8sDir = fileURLToPath(new URL('../k8s/', import.meta.url));
const require = createRequire(import.meta.url);

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly data?: Record<string, string>;
  readonly spec?: unknown;
}

/** `apps/v1` → `kubernetes-models/apps/v1/<Kind>`; core `v1` → `kubernetes-models/v1/<Kind>`. */
function modelOf(manifest: Manifest): new (data: unknown) => { validate(): void } {
  const module = require(`kubernetes-models/${manifest.apiVersion}/${manifest.kind}`);
  return module[manifest.kind] ?? module.default;
}

interface ContainerPort {
  readonly name: string;
  readonly containerPort: number;
  readonly hostPort?: number;
}

/** A container env var: a value, or (downward API) a field of the pod. */
interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}

interface Container {
  readonly env?: readonly EnvVar[];
  readonly ports: readonly ContainerPort[];
  readonly readinessProbe: { readonly httpGet: { readonly path: string; readonly port: string | number } };
  readonly livenessProbe: { readonly httpGet: { readonly path: string; readonly port: string | number } };
  readonly resources?: {
    readonly requests?: { readonly cpu?: string; readonly memory?: string };
    readonly limits?: { readonly memory?: string };
  };
  readonly securityContext: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  };
}

interface PodSpec {
  readonly securityContext?: { readonly seccompProfile?: { readonly type: string } };
  readonly topologySpreadConstraints?: readonly { readonly topologyKey: string }[];
  readonly containers: readonly Container[];
}

function parseDocs(text: string, where: string): Manifest[] {
  return parseAllDocuments(text).map((doc, index) => {
    expect(doc.errors, `${where}#${index}`).toEqual([]);
    return doc.toJS() as Manifest;
  });
}

/** Every YAML file under k8s/, kustomization.yaml files aside (they are kustomize's, not objects). */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml' ? [path] : [];
  });
}

const manifests = yamlFiles(k8sDir).flatMap((path) => {
  const file = relative(k8sDir, path);
  return parseDocs(readFileSync(path, 'utf8'), file).map((manifest, index) => ({ file, index, manifest }));
});

/**
 * The downward-API variables the pod sets, with the pod field each comes from; the binary's
 * io.l5d.otlp reports them as k8s.pod.name, k8s.namespace.name and k8s.node.name
 * (DOWNWARD_API_ENV in @switchyard/telemetry/otlp).
 */
const DOWNWARD_API_FIELDS = {
  POD_NAME: 'metadata.name',
  POD_NAMESPACE: 'metadata.namespace',
  NODE_NAME: 'spec.nodeName',
};

/** The kustomizations an operator applies with `kubectl apply -k`. */
const KUSTOMIZATIONS = ['base', 'overlays/deployment', 'overlays/tls'] as const;
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** `kubectl kustomize k8s/<dir>`: the objects `kubectl apply -k` would send. */
function render(dir: string): Manifest[] {
  return parseDocs(execFileSync('kubectl', ['kustomize', join(k8sDir, dir)], { encoding: 'utf8' }), dir);
}

const rendered = kubectl ? KUSTOMIZATIONS.map((dir) => ({ dir, objects: render(dir) })) : [];

describe('Kubernetes manifests', () => {
  it('covers the post: namespace, RBAC, ConfigMap, DaemonSet, Service, Secret, app, Ingress', () => {
    const kinds = new Set(manifests.map((m) => m.manifest.kind));
    for (const kind of [
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'DaemonSet',
      'Deployment',
      'Service',
      'Secret',
      'Ingress',
      'IngressClass',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  for (const { file, index, manifest } of manifests) {
    it(`${file}#${index} ${manifest.kind}/${manifest.metadata.name} matches the Kubernetes schema`, () => {
      const Model = modelOf(manifest);
      expect(() => new Model(manifest).validate()).not.toThrow();
    });
  }

  it('detects an invalid manifest (the schema check is real)', () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { replicas: 'three' },
    } as unknown as Manifest;
    const Model = modelOf(broken);
    expect(() => new Model(broken).validate()).toThrow();
  });

  for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']) {
    it(`ships a ${kind}`, () => {
      expect(manifests.map((m) => m.manifest.kind)).toContain(kind);
    });
  }

  it('the image exposes only unprivileged ports and runs as a non-root user', () => {
    const dockerfile = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8');
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1]!.split(/\s+/).map(Number);
    expect(exposed.every((port) => port >= 1024)).toBe(true);
    expect(exposed).not.toContain(9990);
    expect(/^USER (\d+)/m.exec(dockerfile)![1]).not.toBe('0');
  });

  it("ships the TLS Secret's certificate as certs/cert.pem for curl --cacert", () => {
    const secret = manifests.find((m) => m.manifest.kind === 'Secret')!.manifest as unknown as {
      data: Record<string, string>;
    };
    const pem = readFileSync(fileURLToPath(new URL('../certs/cert.pem', import.meta.url)), 'utf8');
    expect(Buffer.from(secret.data['tls.crt']!, 'base64').toString('utf8')).toBe(pem);
    expect(Buffer.from(secret.data['tls.key']!, 'base64').toString('utf8')).toMatch(
      /^-----BEGIN RSA PRIVATE KEY-----/,
    );
  });

  it('grants least privilege: read routing objects, write only Ingress and Dtab status', () => {
    const role = manifests.find((m) => m.manifest.kind === 'ClusterRole')!.manifest as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const writes = role.rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writes.flatMap((r) => r.resources)).toEqual(['ingresses/status', 'dtabs/status']);
  });
});

describe.skipIf(!kubectl)(
  `the kustomizations as kubectl kustomize renders them${kubectl ? '' : ' (kubectl not found: skipped)'}`,
  () => {
    for (const { dir, objects } of rendered) {
      const find = (kind: string) => objects.filter((o) => o.kind === kind);
      const one = (kind: string) => {
        const found = find(kind);
        expect(found.map((o) => `${o.kind}/${o.metadata.name}`)).toHaveLength(1);
        return found[0]!;
      };

      it(`${dir}: every object matches the Kubernetes schema`, () => {
        for (const object of objects) {
          const Model = modelOf(object);
          expect(() => new Model(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
        }
      });

      it(`${dir}: installs everything the controller needs, namespaced in l5d-system`, () => {
        const kinds = objects.map((o) => o.kind).sort();
        for (const kind of [
          'ClusterRole',
          'ClusterRoleBinding',
          'ConfigMap',
          'CustomResourceDefinition',
          'IngressClass',
          'Namespace',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'Service',
          'ServiceAccount',
        ]) {
          expect(kinds).toContain(kind);
        }
        const workloads = objects.filter((o) => ['DaemonSet', 'Deployment'].includes(o.kind));
        expect(workloads.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
          dir === 'overlays/deployment' ? 'Deployment/l5d' : 'DaemonSet/l5d',
        ]);
        const clusterScoped = [
          'Namespace',
          'ClusterRole',
          'ClusterRoleBinding',
          'IngressClass',
          'CustomResourceDefinition',
        ];
        for (const o of objects.filter((o) => !clusterScoped.includes(o.kind))) {
          expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('l5d-system');
        }
      });

      const workload = objects.find((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment')!;
      const pod = (workload.spec as { template: { spec: PodSpec } }).template.spec;
      const container = pod.containers[0]!;
      const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
      const config = parseLinkerConfig(
        configMap.data!['config.yaml']!,
        `${dir}#config.yaml`,
        createDefaultKinds(),
      ).config;

      it(`${dir}: the ConfigMap's config.yaml is a valid config, admin on loopback, probes on the pod IP`, () => {
        expect(config.routers[0]!.identifier?.[0]?.kind).toBe('io.l5d.ingress');
        // The admin (no authentication) stays on loopback; only the probe listener is on the pod IP.
        expect(config.admin.ip).toBe('127.0.0.1');
        expect(config.admin.probe).toEqual({ ip: '0.0.0.0', port: 9991, metrics: false });
      });

      /** Whether a rule of `rules` grants `verb` on `group`/`resource` (for object `name` when given). */
      const grants = (
        rules: readonly {
          apiGroups: string[];
          resources: string[];
          verbs: string[];
          resourceNames?: string[];
        }[],
        group: string,
        resource: string,
        verb: string,
        name?: string,
      ) =>
        rules.some(
          (r) =>
            r.apiGroups.includes(group) &&
            r.resources.includes(resource) &&
            r.verbs.includes(verb) &&
            (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))),
        );
      type Rules = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
      const boundToL5d = (kind: 'ClusterRoleBinding' | 'RoleBinding', role: string) =>
        find(kind).some(
          (b) =>
            (b as unknown as { roleRef: { name: string } }).roleRef.name === role &&
            (b as unknown as { subjects: { kind: string; name: string; namespace: string }[] }).subjects.some(
              (s) => s.kind === 'ServiceAccount' && s.name === 'l5d' && s.namespace === 'l5d-system',
            ),
        );

      it(`${dir}: io.l5d.k8s watches every namespace from start, which the ClusterRole allows`, () => {
        const namer = config.namers.find((n) => n.kind === 'io.l5d.k8s');
        expect(namer?.options).toMatchObject({ allNamespaces: true });
        const role = find('ClusterRole').find((o) => o.metadata.name === 'switchyard-ingress')!;
        const rules = (role as unknown as { rules: Rules }).rules;
        for (const [group, resource] of [
          ['', 'services'],
          ['discovery.k8s.io', 'endpointslices'],
          ['', 'endpoints'],
        ] as const) {
          for (const verb of ['list', 'watch'])
            expect(grants(rules, group, resource, verb), `${verb} ${resource}`).toBe(true);
        }
        expect(boundToL5d('ClusterRoleBinding', 'switchyard-ingress')).toBe(true);
      });

      it(`${dir}: the dtab ConfigMap store's Role: read l5d-system's ConfigMaps, update only l5d-dtab`, () => {
        const role = find('Role').find((o) => o.metadata.name === 'switchyard-dtab-store')!;
        expect(role.metadata.namespace).toBe('l5d-system');
        const rules = (role as unknown as { rules: Rules }).rules;
        for (const verb of ['get', 'list', 'watch'])
          expect(grants(rules, '', 'configmaps', verb), verb).toBe(true);
        expect(grants(rules, '', 'configmaps', 'update', 'l5d-dtab')).toBe(true);
        expect(grants(rules, '', 'configmaps', 'update', 'l5d-config')).toBe(false);
        expect(grants(rules, '', 'configmaps', 'create')).toBe(false);
        expect(grants(rules, '', 'configmaps', 'delete', 'l5d-dtab')).toBe(false);
        expect(boundToL5d('RoleBinding', 'switchyard-dtab-store')).toBe(true);
        // The store config the Role's comment names is a valid config.
        const store = parseLinkerConfig(
          `routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.k8s\n  dtabStore: { kind: io.l5d.k8s.configMap, namespace: l5d-system, name: l5d-dtab }\n  servers: [{ port: 8080 }]\nnamers:\n- kind: io.l5d.k8s\n`,
          'store.yaml',
          createDefaultKinds(),
        ).config;
        expect(store.routers[0]!.dtabStore).toMatchObject({ namespace: 'l5d-system', name: 'l5d-dtab' });
      });

      it(`${dir}: listens on unprivileged ports as non-root, read-only, with no capability`, () => {
        for (const p of container.ports) expect(p.containerPort).toBeGreaterThanOrEqual(1024);
        const security = container.securityContext;
        expect(security.runAsNonRoot).toBe(true);
        expect(security.runAsUser).not.toBe(0);
        expect(security.allowPrivilegeEscalation).toBe(false);
        expect(security.readOnlyRootFilesystem).toBe(true);
        expect(security.capabilities.drop).toEqual(['ALL']);
        expect(security.capabilities.add ?? []).toEqual([]);
        expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
        // Every container port is one the config listens on (router servers, the probe listener).
        const listened = [
          ...config.routers.flatMap((r) => r.servers.map((s) => s.port)),
          config.admin.probe!.port,
        ];
        for (const p of container.ports) expect(listened).toContain(p.containerPort);
        // hostPorts publish 80/443 (the post's) in front of the unprivileged container ports.
        for (const p of container.ports.filter((p) => p.hostPort !== undefined)) {
          expect([80, 443]).toContain(p.hostPort);
        }
      });

      it(`${dir}: sets POD_NAME, POD_NAMESPACE and NODE_NAME from the downward API`, () => {
        const fromFields = Object.fromEntries(
          (container.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? `value ${e.value}`]),
        );
        expect(fromFields).toMatchObject(DOWNWARD_API_FIELDS);
      });

      it(`${dir}: requests CPU and memory and limits memory`, () => {
        expect(container.resources?.requests?.cpu).toBeDefined();
        expect(container.resources?.requests?.memory).toBeDefined();
        expect(container.resources?.limits?.memory).toBeDefined();
      });

      it(`${dir}: probes reach the probe listener, never the full admin port`, () => {
        const probePort = container.ports.find((p) => p.name === 'probe')!;
        expect(probePort.containerPort).toBe(config.admin.probe!.port);
        expect(container.ports.map((p) => p.containerPort)).not.toContain(config.admin.port);
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
          expect(probe.httpGet.port).toBe('probe');
          expect(['/admin/ping', '/admin/ready']).toContain(probe.httpGet.path);
        }
      });

      it(`${dir}: the Service publishes only router ports (80/443), never the admin or probe`, () => {
        const ports = (one('Service').spec as { ports: { port: number; targetPort?: string }[] }).ports;
        for (const p of ports) {
          expect([80, 443]).toContain(p.port);
          // Each maps to a named container port of the router (http → 8080, tls → 8443).
          const target = container.ports.find((c) => c.name === p.targetPort);
          expect(target?.name).toMatch(/^(http|tls)$/);
        }
      });

      it(`${dir}: the NetworkPolicy admits only the pod's router and probe ports`, () => {
        const spec = one('NetworkPolicy').spec as {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: { from?: unknown; ports: { port: number }[] }[];
        };
        expect(spec.podSelector.matchLabels).toEqual({ app: 'l5d' });
        expect(spec.policyTypes).toContain('Ingress');
        const admitted = spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port));
        expect(admitted).not.toContain(config.admin.port);
        // Every container port is admitted (else the router or the probes would be cut off).
        for (const p of container.ports) expect(admitted).toContain(p.containerPort);
        for (const port of admitted) {
          expect([
            ...config.routers.flatMap((r) => r.servers.map((s) => s.port)),
            config.admin.probe!.port,
          ]).toContain(port);
        }
      });

      it(`${dir}: a PodDisruptionBudget keeps all but one l5d pod through voluntary disruptions`, () => {
        const spec = one('PodDisruptionBudget').spec as {
          maxUnavailable: number;
          selector: { matchLabels: Record<string, string> };
        };
        expect(spec.maxUnavailable).toBe(1);
        expect(spec.selector.matchLabels).toEqual(
          (workload.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
        );
      });
    }

    it('overlays/deployment: an autoscaled Deployment spread over nodes and zones', () => {
      const objects = rendered.find((r) => r.dir === 'overlays/deployment')!.objects;
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      const spec = deployment.spec as { replicas?: number; template: { spec: PodSpec } };
      // The autoscaler owns the replica count: a replicas field would reset it at every apply.
      expect(spec.replicas).toBeUndefined();
      expect(spec.template.spec.topologySpreadConstraints!.map((c) => c.topologyKey)).toEqual([
        'kubernetes.io/hostname',
        'topology.kubernetes.io/zone',
      ]);
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'l5d' });
      // Two at least, so that the budget (one unavailable) always leaves one serving.
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    });

    it('overlays/tls: the router on 8443 behind 443, the ingress-certs Secret mounted where the config reads it', () => {
      const objects = rendered.find((r) => r.dir === 'overlays/tls')!.objects;
      const config = parseLinkerConfig(
        objects.find((o) => o.kind === 'ConfigMap')!.data!['config.yaml']!,
        'tls#config.yaml',
        createDefaultKinds(),
      ).config;
      const server = config.routers[0]!.servers[0]!;
      expect(server.port).toBe(8443);
      const pod = (
        objects.find((o) => o.kind === 'DaemonSet')!.spec as {
          template: {
            spec: PodSpec & {
              volumes: { name: string; secret?: { secretName: string } }[];
              containers: (Container & { volumeMounts: { name: string; mountPath: string }[] })[];
            };
          };
        }
      ).template.spec;
      const volume = pod.volumes.find((v) => v.secret?.secretName === 'ingress-certs')!;
      const mount = pod.containers[0]!.volumeMounts.find((m) => m.name === volume.name)!;
      expect(server.tls?.certPath).toBe(`${mount.mountPath}/tls.crt`);
      expect(pod.containers[0]!.ports.find((p) => p.hostPort === 443)?.containerPort).toBe(8443);
    });

    it('base: the binary started with the pod env the DaemonSet sets reports it as OTLP resource attributes', {
      timeout: 60_000,
    }, async () => {
      const base = rendered.find((r) => r.dir === 'base')!.objects;
      const ds = base.find((o) => o.kind === 'DaemonSet')!;
      const env = (ds.spec as { template: { spec: PodSpec } }).template.spec.containers[0]!.env ?? [];
      // What the kubelet does for this pod: each fieldRef resolved against the pod object.
      const pod = { metadata: { name: 'l5d-x7k2p', namespace: 'l5d-system' }, spec: { nodeName: 'node-1' } };
      const fieldOf = (path: string) =>
        path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], pod) as string;
      const podEnv = Object.fromEntries(
        env.map((e) => [
          e.name,
          e.valueFrom?.fieldRef ? fieldOf(e.valueFrom.fieldRef.fieldPath) : (e.value ?? ''),
        ]),
      );
      expect(podEnv).toMatchObject({
        POD_NAME: 'l5d-x7k2p',
        POD_NAMESPACE: 'l5d-system',
        NODE_NAME: 'node-1',
      });

      const bodies: { resourceSpans: { resource: { attributes: unknown[] } }[] }[] = [];
      const collector = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      const backend = createServer((req, res) => {
        req.resume();
        res.end('ok');
      });
      const listen = (s: typeof collector) =>
        new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
      const [collectorPort, backendPort] = [await listen(collector), await listen(backend)];
      const dir = mkdtempSync(join(tmpdir(), 'sy-downward-'));
      const configPath = join(dir, 'config.yaml');
      writeFileSync(
        configPath,
        `admin: {port: 0}
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
telemetry:
- kind: io.l5d.otlp
  endpoint: http://127.0.0.1:${collectorPort}/v1/traces
  encoding: json
  sampleRate: 1.0
  flushIntervalMs: 20
`,
      );
      const binary = await startBinary(configPath, { env: podEnv });
      try {
        const res = await curl(`http://127.0.0.1:${binary.port}/`, { host: 'web' });
        expect([res.status, res.body]).toEqual([200, 'ok']);
        await expect.poll(() => bodies.length, { timeout: 10_000 }).toBeGreaterThan(0);
      } finally {
        await binary.stop();
        collector.close();
        backend.close();
        rmSync(dir, { recursive: true, force: true });
      }
      expect(bodies[0]!.resourceSpans[0]!.resource.attributes).toEqual(
        expect.arrayContaining([
          { key: 'k8s.pod.name', value: { stringValue: 'l5d-x7k2p' } },
          { key: 'k8s.namespace.name', value: { stringValue: 'l5d-system' } },
          { key: 'k8s.node.name', value: { stringValue: 'node-1' } },
        ]),
      );
    });

    for (const dir of KUSTOMIZATIONS) {
      it(`${dir}: kubectl apply --dry-run=server -k succeeds against the test API server`, {
        timeout: 60_000,
      }, async () => {
        const api = await startFakeKubeApi();
        const home = mkdtempSync(join(tmpdir(), 'sy-manifests-'));
        try {
          const kubeconfig = join(home, 'kubeconfig');
          writeFileSync(
            kubeconfig,
            `apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: '${api.url}'}}]
contexts: [{name: test, context: {cluster: test, user: test}}]
current-context: test
users: [{name: test, user: {}}]
`,
          );
          const kubectlRun = (...args: string[]) =>
            new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
              execFile(
                'kubectl',
                ['--kubeconfig', kubeconfig, ...args],
                { env: { ...process.env, HOME: home, NO_PROXY: '*', no_proxy: '*' }, encoding: 'utf8' },
                (error, stdout, stderr) =>
                  resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
              );
            });
          // As on a real cluster: namespaced objects are refused, dry run or not, until their
          // namespace exists (kube-apiserver's NamespaceLifecycle admission), so create it first.
          const created = await kubectlRun('create', 'namespace', 'l5d-system', '--save-config');
          expect(created.stderr).toBe('');
          const before = api.requests.length;
          const result = await kubectlRun('apply', '--dry-run=server', '-k', join(k8sDir, dir));
          expect(result.stderr, dir).toBe('');
          expect(result.code, dir).toBe(0);
          const objects = rendered.find((r) => r.dir === dir)!.objects;
          // One "<kind>/<name> created (server dry run)" line per rendered object; the Namespace
          // already exists.
          const lines = result.stdout.trim().split('\n').sort();
          expect(lines).toEqual(
            objects
              .map((o) => {
                const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
                const verb = o.kind === 'Namespace' ? 'configured' : 'created';
                return `${o.kind.toLowerCase()}${group}/${o.metadata.name} ${verb} (server dry run)`;
              })
              .sort(),
          );
          // Dry run: every write asked for it, and nothing new was stored.
          const writes = api.requests
            .slice(before)
            .filter((r) => ['POST', 'PATCH', 'PUT'].includes(r.method));
          expect(writes.length).toBe(objects.length);
          expect(writes.filter((r) => r.query.dryRun !== 'All')).toEqual([]);
          const stored = await kubectlRun('get', 'deployments,daemonsets,services', '-A', '-o', 'name');
          expect(stored).toEqual({ code: 0, stdout: '', stderr: '' });
        } finally {
          await api.close();
          rmSync(home, { recursive: true, force: true });
        }
      });
    }
  },
);
