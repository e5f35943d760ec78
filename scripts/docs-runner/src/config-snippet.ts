/**
 * YAML blocks of the docs pages, sorted by what they are: a router config (it has `routers:`),
 * a fragment of one that the runner can complete (only top-level config blocks such as `namers:`
 * or `admin:`), a Kubernetes manifest, or something else that must carry a marker.
 */
import type { Block } from './markdown.js';

/** What a YAML block is, for the config check. */
export type SnippetKind =
  | { readonly kind: 'config'; readonly text: string }
  | { readonly kind: 'manifest' }
  | { readonly kind: 'other' };

/** Top-level keys of a Switchyard config that stand on their own (a fragment of these is completed). */
const STANDALONE = new Set(['admin', 'namers', 'telemetry', 'usage']);

/** Added to a fragment without routers, so that `--check` has a whole config to judge. */
export const COMPLETION = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc => /$/inet/127.0.0.1/8081
`;

/** Classifies a YAML block; a config fragment is completed with a minimal router. */
export function classifySnippet(block: Block): SnippetKind {
  const keys = [...block.body.matchAll(/^([A-Za-z][\w-]*):/gm)].map((m) => m[1]!);
  if (keys.includes('apiVersion') && keys.includes('kind')) return { kind: 'manifest' };
  if (keys.includes('routers')) return { kind: 'config', text: block.body };
  if (keys.length > 0 && keys.every((k) => STANDALONE.has(k)))
    return { kind: 'config', text: `${block.body}\n${COMPLETION}` };
  return { kind: 'other' };
}

/**
 * The relative directories a snippet names (`rootDir`, `ingressDir`, `dir`): `--check` wants them
 * to exist, as they would beside a reader's config file; the runner creates them empty.
 */
export function namedDirectories(text: string): string[] {
  return [...text.matchAll(/^\s*(?:rootDir|ingressDir|dir):\s*["']?([^\s"'#]+)/gm)]
    .map((m) => m[1]!)
    .filter((dir) => !dir.startsWith('/'));
}

/** What a referenced PEM file must hold for `--check` to accept it. */
export type PemRole = 'certificate' | 'key' | 'ca';

/**
 * Relative PEM files a config names (`certPath`, `keyPath`, `caBundle`, `caCertPath`, `trustCerts`
 * entries on one line are not covered): the runner writes a test certificate, key or CA there, so a
 * snippet can name files the way a user's config does.
 */
export function namedPemFiles(text: string): { file: string; role: PemRole }[] {
  const roles: Record<string, PemRole> = {
    certPath: 'certificate',
    keyPath: 'key',
    caBundle: 'ca',
    caCertPath: 'ca',
  };
  return [...text.matchAll(/^\s*-?\s*(certPath|keyPath|caBundle|caCertPath):\s*["']?([^\s"'#]+)/gm)]
    .map((m) => ({ file: m[2]!, role: roles[m[1]!]! }))
    .filter((f) => !f.file.startsWith('/'));
}
