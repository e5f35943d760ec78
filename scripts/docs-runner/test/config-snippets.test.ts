/**
 * Every YAML router config in docs/*.md passes `switchyard-ingress --check` (the CLI's own
 * parse-and-run entry, in process: one module load instead of a process per snippet): whole
 * configs as written, fragments of top-level blocks (`namers:`, `admin:`…) completed with a
 * minimal router. Kubernetes manifests are not configs; any other YAML block says why it is
 * not checked with a `<!-- docs-runner: skip — reason -->` marker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../../examples/ingress/src/cli.js';
import { run } from '../../../examples/ingress/src/run.js';
import { createTestPki, type Issued, type TestPki } from '../../../packages/testkit/src/pki.js';
import { classifySnippet, namedDirectories, namedPemFiles } from '../src/config-snippet.js';
import { extractBlocks } from '../src/markdown.js';
import { repoRoot } from './page.js';

const pages = readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md'));
const yamlBlocks = pages.flatMap((page) =>
  extractBlocks(readFileSync(join(repoRoot, 'docs', page), 'utf8'), `docs/${page}`).filter((b) =>
    ['yaml', 'yml'].includes(b.lang),
  ),
);

/** Runs `--check` on `text` written to `dir/name`; resolves with the exit code and output. */
async function check(dir: string, name: string, text: string): Promise<{ code: number; output: string }> {
  const file = join(dir, name);
  await writeFile(file, text);
  let output = '';
  const code = await run(parseCommand(['--check', '--config', file]), {
    stdout: (text) => {
      output += text;
    },
    stderr: (text) => {
      output += text;
    },
  });
  return { code, output };
}

describe('YAML in docs/*.md', () => {
  let dir: string;
  let pki: TestPki;
  let leaf: Issued;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-docs-yaml-'));
    pki = await createTestPki();
    leaf = await pki.leaf('docs', { cn: 'www.example.com', dns: ['www.example.com'] });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await pki.dispose();
  });

  it('every block is a config, a Kubernetes manifest, or marked with the reason it is not checked', () => {
    const unexplained = yamlBlocks
      .filter((b) => b.marker?.kind !== 'skip' && classifySnippet(b).kind === 'other')
      .map((b) => `${b.file}:${b.line}`);
    expect(unexplained).toEqual([]);
    expect(yamlBlocks.filter((b) => classifySnippet(b).kind === 'config').length).toBeGreaterThanOrEqual(4);
  });

  for (const block of yamlBlocks) {
    const snippet = classifySnippet(block);
    if (block.marker?.kind === 'skip' || snippet.kind !== 'config') continue;
    it.concurrent(`${block.file}:${block.line} passes --check`, async () => {
      const own = join(dir, `${block.file.replace(/\W/g, '_')}-${block.line}`);
      await mkdir(own);
      for (const sub of namedDirectories(snippet.text)) await mkdir(join(own, sub), { recursive: true });
      for (const { file, role } of namedPemFiles(snippet.text)) {
        const source = role === 'key' ? leaf.keyPath : role === 'ca' ? pki.ca.certPath : leaf.certPath;
        await mkdir(dirname(join(own, file)), { recursive: true });
        await copyFile(source, join(own, file));
      }
      const { code, output } = await check(own, 'config.yaml', snippet.text);
      expect({ code, output }).toEqual({
        code: 0,
        output: expect.stringContaining('configuration is valid'),
      });
    });
  }

  it('the check is real: a config with an unknown field fails with file:line:col', async () => {
    const { code, output } = await check(dir, 'bad.yaml', 'routers:\n- protocol: http\n  servrs: []\n');
    expect(code).toBe(78);
    expect(output).toMatch(/bad\.yaml:3:3: /);
  });
});
