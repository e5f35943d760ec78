/**
 * Every Kubernetes manifest in examples/ingress/k8s validates against the Kubernetes object
 * schemas (kubernetes-models, offline), and the ConfigMaps' config.yaml files load and build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultKinds, parseLinkerConfig } from '@switchyard/config';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

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

interface PodSpec {
  readonly containers: readonly {
    readonly ports: readonly ContainerPort[];
    readonly readinessProbe: { readonly httpGet: { readonly path: string; readonly port: string | number } };
    readonly livenessProbe: { readonly httpGet: { readonly path: string; readonly port: string | number } };
    readonly securityContext: {
      readonly runAsNonRoot?: boolean;
      readonly runAsUser?: number;
      readonly capabilities: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
    };
  }[];
}

const files = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml'));
const manifests = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((doc, index) => {
    expect(doc.errors).toEqual([]);
    return { file, index, manifest: doc.toJS() as Manifest };
  }),
);

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

  const configMaps = manifests.filter(
    (m) => m.manifest.kind === 'ConfigMap' && m.manifest.data?.['config.yaml'],
  );
  for (const { file, manifest } of configMaps) {
    it(`${file}: the ConfigMap's config.yaml is a valid Switchyard config`, () => {
      const loaded = parseLinkerConfig(
        manifest.data!['config.yaml']!,
        `${file}#config.yaml`,
        createDefaultKinds(),
      );
      expect(loaded.config.routers[0]!.identifier?.[0]?.kind).toBe('io.l5d.ingress');
      // The admin (no authentication) stays on loopback; only the probe listener is on the pod IP.
      expect(loaded.config.admin.ip).toBe('127.0.0.1');
      expect(loaded.config.admin.probe).toEqual({ ip: '0.0.0.0', port: 9991, metrics: false });
    });
  }

  /** The l5d pod templates (DaemonSets and the Deployment) with the config each one mounts. */
  const workloads = manifests
    .filter(
      (m) => ['DaemonSet', 'Deployment'].includes(m.manifest.kind) && m.manifest.metadata.name === 'l5d',
    )
    .map(({ file, manifest }) => {
      const sameFile =
        configMaps.find((c) => c.file === file) ??
        configMaps.find((c) => c.file === 'ingress-controller.yaml')!;
      const config = parseLinkerConfig(
        sameFile.manifest.data!['config.yaml']!,
        sameFile.file,
        createDefaultKinds(),
      ).config;
      const pod = (manifest.spec as { template: { spec: PodSpec } }).template.spec;
      return {
        file,
        name: `${manifest.kind}/${manifest.metadata.name}`,
        config,
        container: pod.containers[0]!,
      };
    });

  it('covers the three l5d workloads (two DaemonSets, one Deployment)', () => {
    expect(workloads.map((w) => w.name).sort()).toEqual(['DaemonSet/l5d', 'DaemonSet/l5d', 'Deployment/l5d']);
  });

  for (const { file, name, config, container } of workloads) {
    it(`${file} ${name}: listens on unprivileged ports as non-root, with no added capability`, () => {
      for (const p of container.ports) expect(p.containerPort).toBeGreaterThanOrEqual(1024);
      const security = container.securityContext;
      expect(security.runAsNonRoot).toBe(true);
      expect(security.runAsUser).not.toBe(0);
      expect(security.capabilities.drop).toEqual(['ALL']);
      expect(security.capabilities.add ?? []).toEqual([]);
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

    it(`${file} ${name}: probes reach the probe listener, never the full admin port`, () => {
      const probePort = container.ports.find((p) => p.name === 'probe')!;
      expect(probePort.containerPort).toBe(config.admin.probe!.port);
      expect(container.ports.map((p) => p.containerPort)).not.toContain(config.admin.port);
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(probe.httpGet.port).toBe('probe');
        expect(['/admin/ping', '/admin/ready']).toContain(probe.httpGet.path);
      }
    });
  }

  it('publishes only router ports on the Services: never the admin or the probe listener', () => {
    const services = manifests.filter(
      (m) => m.manifest.kind === 'Service' && m.manifest.metadata.name === 'l5d',
    );
    expect(services.length).toBeGreaterThan(0);
    for (const { manifest } of services) {
      const ports = (manifest.spec as { ports: { name: string; port: number; targetPort?: string }[] }).ports;
      expect(ports.map((p) => p.port).every((port) => port === 80 || port === 443)).toBe(true);
      // Each maps to a named container port of the router (http → 8080, tls → 8443).
      for (const p of ports) expect(['http', 'tls']).toContain(p.targetPort);
    }
  });

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

  it('grants least privilege: read routing objects, write only Ingress status', () => {
    const role = manifests.find((m) => m.manifest.kind === 'ClusterRole')!.manifest as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const writes = role.rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writes.flatMap((r) => r.resources)).toEqual(['ingresses/status']);
  });
});
