/**
 * Label and field selectors as the API server parses them ("Labels and Selectors" and "Field
 * Selectors" in the Kubernetes docs): equality (`=`, `==`, `!=`), set (`in`, `notin`) and
 * existence (`key`, `!key`) for labels; `=`, `==`, `!=` on `metadata.name` and
 * `metadata.namespace` for fields (the two fields every resource supports).
 */
import type { KubeObject } from '@switchyard/k8s';

/** A compiled selector: true when the object matches. */
export type Matcher = (obj: KubeObject) => boolean;

/** Thrown for a selector the server rejects (answered as 400 BadRequest). */
export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

/** Compiles a label selector; an empty one matches everything. */
export function labelMatcher(selector: string | null): Matcher {
  if (!selector) return () => true;
  const tests = splitTerms(selector).map((term): ((l: Record<string, string>) => boolean) => {
    let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const key = m[1]!;
      const values = new Set(m[3]!.split(',').map((v) => v.trim()));
      return m[2] === 'in'
        ? (l) => key in l && values.has(l[key]!)
        : (l) => !(key in l) || !values.has(l[key]!);
    }
    m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^(!?)([^\s!=()]+)$/.exec(term);
    if (m) {
      const key = m[2]!;
      return m[1] === '!' ? (l) => !(key in l) : (l) => key in l;
    }
    throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
  });
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return tests.every((t) => t(labels));
  };
}

/** Compiles a field selector over `metadata.name` / `metadata.namespace`. */
export function fieldMatcher(selector: string | null): Matcher {
  if (!selector) return () => true;
  const tests = splitTerms(selector).map((term): Matcher => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector: ${JSON.stringify(term)}`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    let read: (o: KubeObject) => string;
    if (field === 'metadata.name') read = (o) => o.metadata.name ?? '';
    else if (field === 'metadata.namespace') read = (o) => o.metadata.namespace ?? '';
    else throw new SelectorError(`field label not supported: ${field}`);
    return op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value;
  });
  return (obj) => tests.every((t) => t(obj));
}
