/**
 * The three PATCH formats kube-apiserver accepts besides apply: JSON merge patch (RFC 7386), JSON
 * Patch (RFC 6902) and strategic merge patch (Kubernetes "Update API Objects in Place Using kubectl
 * patch" and the `strategic-merge-patch.md` design doc), the last driven by the kind's schema: lists
 * marked `patchStrategy: merge` merge by their `patchMergeKey` (or as a set of scalars), others are
 * replaced; directives `$patch` (replace/delete/merge), `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` are honoured.
 */
import { childSchema, listKindOf, type Schema } from './schemas.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON merge patch (RFC 7386): objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A patch the server cannot apply; answered as 422 (a failed `test`, a missing path) or 400 (malformed). */
export class PatchError extends Error {
  readonly malformed: boolean;
  constructor(message: string, malformed = false) {
    super(message);
    this.malformed = malformed;
  }
}

function pointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) {
    throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`, true);
  }
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`doc is missing path: "${path}"`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const t of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function arrayIndex(arr: Json[], key: string, forAdd: boolean, path: string): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key))
    throw new PatchError(`invalid array index ${JSON.stringify(key)} in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) {
    throw new PatchError(`unable to access invalid index: ${i} in "${path}"`);
  }
  return i;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchError('cannot remove the whole document');
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, false, path);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError(`unable to remove nonexistent key: ${key}: missing value`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, !replace, path);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent))
      throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`);
    parent[key] = value;
  }
  return doc;
}

/** Applies a JSON Patch (RFC 6902) to a copy of `doc`. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations', true);
  let out = structuredClone(doc);
  for (const op of ops) {
    if (!isObject(op)) throw new PatchError('json patch operation must be an object', true);
    const path = op.path as string;
    switch (op.op) {
      case 'add':
        out = addAt(out, path, structuredClone(op.value), false);
        break;
      case 'replace':
        out = addAt(out, path, structuredClone(op.value), true);
        break;
      case 'remove':
        removeAt(out, path);
        break;
      case 'move': {
        const v = removeAt(out, op.from as string);
        out = addAt(out, path, v, false);
        break;
      }
      case 'copy':
        out = addAt(out, path, structuredClone(getAt(out, op.from as string)), false);
        break;
      case 'test':
        if (JSON.stringify(canonical(getAt(out, path))) !== JSON.stringify(canonical(op.value))) {
          throw new PatchError(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op.op)}`, true);
    }
  }
  return out;
}

/** Sorts object keys so equal JSON values stringify equally. */
export function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}

export function jsonEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Applies a strategic merge patch to `target` using `schema` for list semantics. Returns a new value. */
export function strategicMergePatch(target: unknown, patch: unknown, schema: Schema | undefined): unknown {
  if (!isObject(patch)) return patch;
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  const body: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) if (k !== '$patch') body[k] = v;
  if (directive === 'replace') return stripDirectives(body);
  let out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = body.$retainKeys;
  if (Array.isArray(retain)) {
    const keep = new Set(retain as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(body)) {
    if (k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(v) ? v : [];
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.some((d) => jsonEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const child = childSchema(schema, k);
    if (Array.isArray(v)) {
      out[k] = mergeList(out[k], v, child);
    } else if (isObject(v)) {
      const merged = strategicMergePatch(out[k], v, child);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function mergeList(current: Json, patch: Json[], schema: Schema | undefined): Json[] {
  const lk = listKindOf(schema);
  const items = (schema?.items as Schema | undefined) ?? undefined;
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map(stripDirectives);
  }
  const cur = Array.isArray(current) ? [...current] : [];
  if (lk.kind === 'set') {
    for (const p of patch) if (!cur.some((c) => jsonEqual(c, p))) cur.push(p);
    return cur;
  }
  if (lk.kind === 'atomic') return patch.map(stripDirectives);
  const key = lk.keys[0]!;
  for (const p of patch) {
    if (!isObject(p)) continue;
    const i = cur.findIndex((c) => isObject(c) && jsonEqual(c[key], p[key]));
    if (p.$patch === 'delete') {
      if (i >= 0) cur.splice(i, 1);
      continue;
    }
    if (i >= 0) cur[i] = strategicMergePatch(cur[i], p, items);
    else cur.push(stripDirectives(p));
  }
  return cur;
}
