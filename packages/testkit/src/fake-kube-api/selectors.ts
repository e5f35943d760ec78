/**
 * Label and field selectors as the API server parses them (`k8s.io/apimachinery/pkg/labels` and
 * `pkg/fields`; "Labels and Selectors" and "Field Selectors" in the Kubernetes docs). Labels:
 * equality (`=`, `==`, `!=`), set (`in`, `notin`), existence (`key`, `!key`) and the numeric
 * `>`/`<`; keys and values are validated like label syntax. Fields: `=`, `==`, `!=` with `\`
 * escapes, on `metadata.name`, `metadata.namespace` (every resource) plus the per-kind fields the
 * server registers (`type` for Secrets).
 */
import type { KubeObject } from '@switchyard/k8s';

/** A compiled selector: true when the object matches. */
export type Matcher = (obj: KubeObject) => boolean;

/** Thrown for a selector the server rejects (answered as 400 BadRequest). */
export class SelectorError extends Error {}

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if ((prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) || !NAME.test(name)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function checkValue(value: string): void {
  if (value !== '' && !NAME.test(value)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

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
  return out.map((t) => t.trim());
}

type LabelTest = (l: Readonly<Record<string, string>>) => boolean;

function labelTerm(term: string): LabelTest {
  if (term === '') throw new SelectorError("found '', expected: !, identifier, or 'end of string'");
  let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (m) {
    const key = m[1]!;
    checkKey(key);
    const raw = m[3]!.trim();
    if (raw === '') throw new SelectorError(`for 'in', 'notin' operators, values set can't be empty`);
    const values = new Set(raw.split(',').map((v) => v.trim()));
    for (const v of values) checkValue(v);
    return m[2] === 'in'
      ? (l) => key in l && values.has(l[key]!)
      : (l) => !(key in l) || !values.has(l[key]!);
  }
  m = /^([^\s!=<>()]+)\s*(==|=|!=|>|<)\s*([^\s,()]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    checkKey(key);
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(value)) {
        throw new SelectorError(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      const bound = Number(value);
      return (l) => {
        const v = l[key];
        if (v === undefined || !/^-?\d+$/.test(v)) return false;
        return op === '>' ? Number(v) > bound : Number(v) < bound;
      };
    }
    checkValue(value);
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = /^(!?)\s*([^\s!=<>(),]+)$/.exec(term);
  if (m) {
    const key = m[2]!;
    checkKey(key);
    return m[1] === '!' ? (l) => !(key in l) : (l) => key in l;
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
}

/** Compiles a label selector; an empty one matches everything. */
export function labelMatcher(selector: string | null): Matcher {
  if (!selector || selector.trim() === '') return () => true;
  const tests = splitTerms(selector).map(labelTerm);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return tests.every((t) => t(labels));
  };
}

/** Splits a field selector on unescaped commas, then each term on its operator, unescaping values. */
function fieldTerms(selector: string): { field: string; op: string; value: string }[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i]!;
    if (ch === '\\' && i + 1 < selector.length) {
      cur += ch + selector[++i];
    } else if (ch === ',') {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms.map((term) => {
    const m = /^([^=!\\]*?)\s*(==|=|!=)\s*(.*)$/s.exec(term);
    if (!m || m[1] === '') throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    let value = '';
    const raw = m[3]!;
    for (let i = 0; i < raw.length; i++) {
      const ch = raw[i]!;
      if (ch === '\\') {
        const next = raw[i + 1];
        if (next !== '\\' && next !== ',' && next !== '=') {
          throw new SelectorError(`invalid field selector: invalid escape sequence in '${raw}'`);
        }
        value += next;
        i++;
      } else if (ch === '=' || ch === '!') {
        throw new SelectorError(`invalid field selector: unescaped '${ch}' in value '${raw}'`);
      } else value += ch;
    }
    return { field: m[1]!.trim(), op: m[2]!, value };
  });
}

/** Fields the server indexes per kind, beyond `metadata.name` and `metadata.namespace`. */
const KIND_FIELDS: Readonly<Record<string, Readonly<Record<string, (o: KubeObject) => string>>>> = {
  Secret: { type: (o) => String((o as { type?: string }).type ?? '') },
  Namespace: { 'status.phase': (o) => String((o as { status?: { phase?: string } }).status?.phase ?? '') },
};

/** Compiles a field selector for objects of `kind`. */
export function fieldMatcher(selector: string | null, kind?: string): Matcher {
  if (!selector || selector.trim() === '') return () => true;
  const tests = fieldTerms(selector).map(({ field, op, value }): Matcher => {
    let read: ((o: KubeObject) => string) | undefined;
    if (field === 'metadata.name') read = (o) => o.metadata.name ?? '';
    else if (field === 'metadata.namespace') read = (o) => o.metadata.namespace ?? '';
    else read = kind ? KIND_FIELDS[kind]?.[field] : undefined;
    if (!read) {
      throw new SelectorError(`field label not supported: ${field}`);
    }
    const r = read;
    return op === '!=' ? (o) => r(o) !== value : (o) => r(o) === value;
  });
  return (obj) => tests.every((t) => t(obj));
}
