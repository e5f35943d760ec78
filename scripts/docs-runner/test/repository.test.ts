/**
 * One repository URL everywhere: the npm pages (package.json metadata, package READMEs), README.md
 * and docs/*.md name {@link REPOSITORY_URL} and no other spelling of the project's GitHub home.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_URL } from '../src/repository.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packageDirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly homepage?: string;
  readonly bugs?: { readonly url?: string };
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string };
}
const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;

/** Files a reader or npm shows: every package's README and package.json, README.md, docs/*.md. */
function shownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => [join('examples', d.name, 'README.md'), join('examples', d.name, 'package.json')]);
  return [
    'README.md',
    'package.json',
    ...docs,
    ...packageDirs.flatMap((d) => [join('packages', d, 'README.md'), join('packages', d, 'package.json')]),
    ...examples,
  ].filter((f) => {
    try {
      readFileSync(join(root, f));
      return true;
    } catch {
      return false;
    }
  });
}

describe('repository URL', () => {
  it.each(packageDirs)('packages/%s/package.json points repository, homepage and bugs at it', (dir) => {
    const m = manifest(join('packages', dir));
    expect({ repository: m.repository, homepage: m.homepage, bugs: m.bugs?.url }).toEqual({
      repository: { type: 'git', url: `git+${REPOSITORY_URL}.git`, directory: `packages/${dir}` },
      homepage: `${REPOSITORY_URL}/tree/main/packages/${dir}#readme`,
      bugs: `${REPOSITORY_URL}/issues`,
    });
  });

  it('the root package.json points at it', () => {
    const m = manifest('.');
    expect({ repository: m.repository, homepage: m.homepage, bugs: m.bugs?.url }).toEqual({
      repository: { type: 'git', url: `git+${REPOSITORY_URL}.git` },
      homepage: `${REPOSITORY_URL}#readme`,
      bugs: `${REPOSITORY_URL}/issues`,
    });
  });

  it('no README, docs page or manifest names another GitHub home for the project', () => {
    const files = shownFiles();
    expect(files.length).toBeGreaterThan(packageDirs.length * 2);
    const strays: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      // Any github.com/<owner>/switchyard… link, or any owner spelled switchyard…
      for (const m of text.matchAll(/github\.com\/([\w.-]+)\/([\w.-]+)/g)) {
        const [url, owner, repo] = m as unknown as [string, string, string];
        const ours = /switchyard/i.test(owner) || /^switchyard(\.git)?$/i.test(repo);
        if (ours && !`https://${url}`.startsWith(REPOSITORY_URL)) {
          const line = text.slice(0, m.index).split('\n').length;
          strays.push(`${relative(root, join(root, file))}:${line}: ${url}`);
        }
      }
    }
    expect(strays).toEqual([]);
  });
});
