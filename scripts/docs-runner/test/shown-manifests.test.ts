/**
 * What getting-started.md shows of the shipped manifests but cannot run here (it needs a cluster)
 * is compared with the files: the `kubectl get cm l5d-config` output with the base's ConfigMap,
 * and the TLS `servers:` excerpt with the TLS overlay's config.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchOutput, parseConsole } from '../src/console.js';
import { extractBlocks } from '../src/markdown.js';
import { repoRoot } from './page.js';

const page = 'docs/getting-started.md';
const blocks = extractBlocks(readFileSync(join(repoRoot, page), 'utf8'), page);
const k8s = join(repoRoot, 'examples', 'ingress', 'k8s');

/** The text of the `config.yaml: |-` block scalar of a ConfigMap manifest, dedented. */
function configYaml(manifestPath: string): string {
  const lines = readFileSync(manifestPath, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\s+config\.yaml: \|-?$/.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && !line.startsWith('    ')) break;
    body.push(line.slice(4));
  }
  return body.join('\n');
}

/** Drops YAML comment lines, which the page leaves out. */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n');
}

describe(`${page} shows the shipped configs as they are`, () => {
  it("the base ConfigMap's config.yaml, as `kubectl get cm l5d-config` prints it", () => {
    const block = blocks.find(
      (b) => b.lang === 'console' && b.body.startsWith('$ kubectl get cm l5d-config'),
    )!;
    const [step] = parseConsole(block.body, `${page}:${block.line}`);
    const config = withoutComments(configYaml(join(k8s, 'base', 'ingress-controller.yaml')));
    expect(matchOutput(step!.expected, config)).toBeUndefined();
  });

  it("the TLS servers excerpt, from the TLS overlay's config", () => {
    const block = blocks.find((b) => b.lang === 'yaml' && b.body.startsWith('servers:'))!;
    const config = configYaml(join(k8s, 'overlays', 'tls', 'config-map.yaml'));
    // Compared line by line without indentation: the page indents list items under `servers:`,
    // the overlay does not; the lines and their order must be the same.
    const trimmed = (t: string) => t.split('\n').map((l) => l.trim());
    const shown = trimmed(block.body).join('\n');
    expect(trimmed(config).join('\n')).toContain(shown);
  });
});
