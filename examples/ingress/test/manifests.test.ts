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
      expect(loaded.config.admin.ip).toBe('0.0.0.0');
    });
  }

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
