/**
 * Switchyard uses documented Node APIs only: private members and internal modules change between
 * Node releases without notice (the old TLS terminator drove `TLSSocket` internals and had to
 * refuse Node versions it did not know). This scans every package's and example's `src/` for them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** What is forbidden, and a line that must be caught (so a broken pattern cannot pass silently). */
const FORBIDDEN: readonly { readonly what: string; readonly pattern: RegExp; readonly sample: string }[] = [
  {
    what: 'private socket/server member',
    pattern:
      /\b_(?:handle|tlsOptions|sharedCreds|secureEstablished|secureContext|releaseControl|tlsError|parent|httpMessage|connectionKey|pendingData|events|readableState|writableState|undestroy)\b/,
    sample: 'const h = (socket as any)._handle;',
  },
  { what: 'process.binding', pattern: /\bprocess\s*\.\s*binding\b/, sample: "process.binding('tls_wrap')" },
  { what: 'internalBinding', pattern: /\binternalBinding\b/, sample: "internalBinding('http_parser')" },
  {
    what: "Node's internal listeners",
    pattern: /\b(?:tlsConnectionListener|onServerSocketSecure|connectionListenerInternal|onSocketTLSError)\b/,
    sample: "l.name === 'tlsConnectionListener'",
  },
  {
    what: "taking over another module's listeners",
    pattern:
      /\.(?:rawListeners|listeners|removeAllListeners)\(\s*['"](?:connection|secureConnection|request)['"]/,
    sample: "server.listeners('connection')",
  },
  {
    what: 'internal Node module',
    pattern: /['"](?:node:)?(?:internal\/[^'"]*|_(?:http|tls|stream)_[a-z_]+)['"]/,
    sample: "import { Server } from '_tls_wrap';",
  },
];

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (/\.(?:[cm]?ts|[cm]?js)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        out.push(path);
      }
    }
  };
  for (const group of ['packages', 'examples']) {
    for (const pkg of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      const src = join(root, group, pkg.name, 'src');
      try {
        walk(src);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  return out;
}

describe('public Node APIs only', () => {
  it.each(FORBIDDEN)('the $what pattern catches its sample', ({ pattern, sample }) => {
    expect(pattern.test(sample)).toBe(true);
  });

  it('no src file under packages/ or examples/ uses Node internals', () => {
    const files = sourceFiles();
    expect(files.some((f) => f.endsWith(join('tls', 'src', 'front-door.ts')))).toBe(true);
    const hits: string[] = [];
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const [i, line] of lines.entries()) {
        for (const { what, pattern } of FORBIDDEN) {
          const m = pattern.exec(line);
          if (m !== null) hits.push(`${relative(root, file)}:${i + 1}:${m.index + 1}: ${what}: ${m[0]}`);
        }
      }
    }
    expect(hits).toEqual([]);
  });
});
