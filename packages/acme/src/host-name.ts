/**
 * Certificate names: normalisation, validation and operator host patterns. Only names that
 * pass `normalizeHost` are ever ordered or stored, which also keeps them safe as file names.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Lowercases `name` and strips one trailing dot; returns `undefined` when it is not a DNS name
 * a public CA could issue for (letters, digits, hyphens, at least two labels, ≤ 253 chars, no
 * IP literal). A leading `*.` is allowed when `wildcard` is true.
 */
export function normalizeHost(name: string, wildcard = false): string | undefined {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n.length === 0 || n.length > 253) return undefined;
  const labels = n.split('.');
  if (labels.length < 2) return undefined;
  const first = wildcard && labels[0] === '*' ? 1 : 0;
  for (let i = first; i < labels.length; i++) if (!LABEL.test(labels[i]!)) return undefined;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return n;
}

/**
 * True when `host` matches `pattern`: equal names, or `*.suffix` matching exactly one label
 * before `suffix` (as certificate wildcards do, RFC 6125 §6.4.3).
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}
