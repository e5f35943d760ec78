/**
 * The shipped DaemonSet's config (the l5d-config ConfigMap of k8s/base/ingress-controller.yaml),
 * started against the Kubernetes API test server: the probe listener answers ping/ready on the
 * machine's non-loopback address (what the kubelet probes), the full admin does not, and the
 * admin answers on loopback. Only the port numbers change (to ephemeral ones).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultKinds, Linker, type LoadedConfig, parseLinkerConfig } from '@switchyard/config';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { curl, eventually } from './http-client.js';

const kinds = createDefaultKinds();
const manifest = fileURLToPath(new URL('../k8s/base/ingress-controller.yaml', import.meta.url));

/** An address of this machine other than loopback: the "pod IP". */
const podIp = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

async function shippedConfig(): Promise<LoadedConfig> {
  const docs = parseAllDocuments(await readFile(manifest, 'utf8')).map((d) => d.toJS());
  const configMap = docs.find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> };
  const loaded = parseLinkerConfig(
    configMap.data['config.yaml']!,
    'ingress-controller.yaml#config.yaml',
    kinds,
  );
  const config = structuredClone(loaded.config);
  for (const router of config.routers) router.servers = router.servers.map((s) => ({ ...s, port: 0 }));
  config.admin = { ...config.admin, port: 0, probe: { ...config.admin.probe!, port: 0 } };
  return { ...loaded, config };
}

describe.skipIf(podIp === undefined)(
  'the shipped DaemonSet config: admin on loopback, probes on the pod IP',
  () => {
    let api: FakeKubeApi;
    let dir: string;
    let linker: Linker;
    let previousKubeconfig: string | undefined;

    beforeAll(async () => {
      api = await startFakeKubeApi();
      dir = await mkdtemp(join(tmpdir(), 'sy-shipped-'));
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(
        kubeconfig,
        `apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "${api.url}"}}]
users: [{name: test, user: {}}]
contexts: [{name: test, context: {cluster: test, user: test}}]
current-context: test
`,
      );
      previousKubeconfig = process.env.KUBECONFIG;
      process.env.KUBECONFIG = kubeconfig;
      const loaded = await shippedConfig();
      expect(loaded.config.admin.ip).toBe('127.0.0.1');
      linker = await Linker.start(loaded, { kinds, baseDir: dir });
    });

    afterAll(async () => {
      await linker?.close();
      await api.close();
      if (previousKubeconfig === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = previousKubeconfig;
      await rm(dir, { recursive: true, force: true });
    });

    it('answers the kubelet probes on the pod IP', async () => {
      const probe = linker.probeAddress!.port;
      expect((await curl(`http://${podIp}:${probe}/admin/ping`)).body).toBe('pong\n');
      await eventually(
        async () => (await curl(`http://${podIp}:${probe}/admin/ready`)).status === 200,
        20_000,
      );
    });

    it('serves nothing else of the admin on the probe port', async () => {
      const probe = linker.probeAddress!.port;
      for (const path of ['/admin/metrics.json', '/config.json', '/delegator.json', '/admin/shutdown', '/']) {
        expect((await curl(`http://${podIp}:${probe}${path}`)).status).toBe(404);
      }
    });

    it('keeps the full admin off the pod IP, on loopback', async () => {
      const admin = linker.admin!.address!.port;
      await expect(curl(`http://${podIp}:${admin}/admin/ping`)).rejects.toThrow(/ECONNREFUSED/);
      expect((await curl(`http://127.0.0.1:${admin}/config.json`)).status).toBe(200);
    });

    it('serves the router on the pod IP', async () => {
      const port = linker.routers[0]!.servers[0]!.port;
      // No Ingress is applied: the router answers (404, no rule), which is what the Service reaches.
      expect((await curl(`http://${podIp}:${port}/`)).status).toBe(404);
    });
  },
);
