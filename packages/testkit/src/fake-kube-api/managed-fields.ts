/**
 * Field ownership (`metadata.managedFields`) and server-side apply, after the Kubernetes "Server-Side
 * Apply" page: every writer (a field manager) owns the fields it set; an `Update` (create, replace,
 * patch) takes ownership of the fields it changed; an `Apply` owns exactly the fields in its
 * configuration, fails with 409 Conflict when it would change a field another manager owns (unless
 * `force`), and removes the fields it applied before and no longer applies when nobody else owns
 * them. Field paths use the `FieldsV1` element syntax: `f:<name>`, `k:<keys json>` for items of
 * `listType=map` lists, `v:<value json>` for `listType=set` items; atomic lists are one field.
 *
 * Longer than ~300 lines on purpose: computing field sets and the apply merge are one algorithm
 * (the merge walks the sets it computes).
 */
import type { KubeObject } from '@switchyard/k8s';
import { canonical, jsonEqual, strategicMergePatch } from './patch.js';
import { childSchema, listKindOf, type Schema } from './schemas.js';
import { ApiStatusError, failure } from './status.js';

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One `managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** A path element string (`f:x`, `k:{…}`, `v:…`) list, JSON-encoded as a set member. */
type FieldPath = string[];

const METADATA_FIELDS = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

function itemKey(item: JsonObject, keys: readonly string[]): string {
  const k: JsonObject = {};
  for (const key of keys) if (item[key] !== undefined) k[key] = item[key];
  return `k:${JSON.stringify(canonical(k))}`;
}

function walk(value: unknown, schema: Schema | undefined, prefix: FieldPath, out: Set<string>): void {
  if (isObject(value) && !schema?.['x-kubernetes-map-type']) {
    const entries = Object.entries(value);
    if (entries.length === 0) out.add(JSON.stringify(prefix));
    for (const [k, v] of entries) walk(v, childSchema(schema, k), [...prefix, `f:${k}`], out);
    return;
  }
  if (Array.isArray(value)) {
    const lk = listKindOf(schema);
    if (lk.kind === 'map') {
      const items = schema?.items as Schema | undefined;
      for (const item of value) {
        if (!isObject(item)) continue;
        const p = [...prefix, itemKey(item, lk.keys)];
        out.add(JSON.stringify([...p, '.']));
        walk(item, items, p, out);
      }
      return;
    }
    if (lk.kind === 'set') {
      for (const item of value) out.add(JSON.stringify([...prefix, `v:${JSON.stringify(item)}`]));
      return;
    }
  }
  out.add(JSON.stringify(prefix));
}

/** The fields `obj` sets, as JSON-encoded paths; metadata counts only labels, annotations, finalizers, ownerReferences. */
export function fieldsOf(
  obj: KubeObject,
  schema: Schema,
  options: { only?: 'status'; except?: 'status' } = {},
): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(obj as unknown as JsonObject)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (options.only && k !== options.only) continue;
    if (options.except && k === options.except) continue;
    if (k === 'metadata') {
      const meta = v as JsonObject;
      const metaSchema = childSchema(schema, 'metadata');
      for (const mk of METADATA_FIELDS) {
        if (meta[mk] !== undefined)
          walk(meta[mk], childSchema(metaSchema, mk), ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    walk(v, childSchema(schema, k), [`f:${k}`], out);
  }
  return out;
}

/** The value at a field path, or undefined. */
function valueAt(obj: unknown, path: FieldPath): unknown {
  let cur: unknown = obj;
  for (const el of path) {
    if (el === '.') return cur;
    if (cur === undefined) return undefined;
    if (el.startsWith('f:')) cur = isObject(cur) ? cur[el.slice(2)] : undefined;
    else if (el.startsWith('k:')) {
      const keys = JSON.parse(el.slice(2)) as JsonObject;
      cur = Array.isArray(cur)
        ? cur.find((i) => isObject(i) && Object.entries(keys).every(([k, v]) => jsonEqual(i[k], v)))
        : undefined;
    } else if (el.startsWith('v:')) {
      const v = JSON.parse(el.slice(2));
      cur = Array.isArray(cur) && cur.some((i) => jsonEqual(i, v)) ? v : undefined;
    }
  }
  return cur;
}

/** Removes the field at `path` from `obj` (mutating). */
function removeAt(obj: unknown, path: FieldPath): void {
  const p = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  const parent = p.length === 1 ? obj : valueAt(obj, p.slice(0, -1));
  const el = p[p.length - 1]!;
  if (el.startsWith('f:') && isObject(parent)) delete parent[el.slice(2)];
  else if ((el.startsWith('k:') || el.startsWith('v:')) && Array.isArray(parent)) {
    const target = valueAt(obj, p);
    const i = parent.indexOf(target);
    if (i >= 0) parent.splice(i, 1);
  }
}

/** Renders a field set as the nested `fieldsV1` object. */
export function toFieldsV1(fields: Set<string>): JsonObject {
  const root: JsonObject = {};
  for (const encoded of [...fields].sort()) {
    let cur = root;
    for (const el of JSON.parse(encoded) as FieldPath) {
      cur[el] ??= {};
      cur = cur[el] as JsonObject;
    }
  }
  return root;
}

/** Parses `fieldsV1` back into a field set (leaves and `.` markers). */
export function fromFieldsV1(v: JsonObject | undefined): Set<string> {
  const out = new Set<string>();
  const rec = (o: JsonObject, prefix: FieldPath) => {
    const keys = Object.keys(o);
    if (keys.length === 0 && prefix.length > 0) out.add(JSON.stringify(prefix));
    for (const k of keys) rec(o[k] as JsonObject, [...prefix, k]);
  };
  if (v) rec(v, []);
  return out;
}

/** Human path of a field (`.spec.ports[port=80,protocol="TCP"].targetPort`) for conflict messages. */
function showPath(encoded: string): string {
  return (JSON.parse(encoded) as FieldPath)
    .filter((el) => el !== '.')
    .map((el) => {
      if (el.startsWith('f:')) return `.${el.slice(2)}`;
      if (el.startsWith('k:')) {
        const keys = JSON.parse(el.slice(2)) as JsonObject;
        return `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      return `[=${el.slice(2)}]`;
    })
    .join('');
}

function entries(obj: KubeObject): ManagedFieldsEntry[] {
  return ((obj.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []).map((e) => ({
    ...e,
  }));
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function setEntry(
  list: ManagedFieldsEntry[],
  e: Omit<ManagedFieldsEntry, 'fieldsV1' | 'time' | 'fieldsType'>,
  fields: Set<string>,
): ManagedFieldsEntry[] {
  const same = (x: ManagedFieldsEntry) =>
    x.manager === e.manager && x.operation === e.operation && (x.subresource ?? '') === (e.subresource ?? '');
  const rest = list.filter((x) => !same(x));
  if (fields.size === 0) return rest;
  return [
    ...rest,
    {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: now(),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(fields),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    },
  ];
}

function dropFields(list: ManagedFieldsEntry[], drop: (f: string) => boolean): ManagedFieldsEntry[] {
  return list
    .map((e) => {
      const fs = fromFieldsV1(e.fieldsV1);
      const kept = new Set([...fs].filter((f) => !drop(f)));
      return kept.size === fs.size ? e : { ...e, fieldsV1: toFieldsV1(kept) };
    })
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
}

/**
 * Records an `Update` by `manager` from `prev` (undefined on create) to `next`: the manager takes
 * the fields whose value it changed; fields that disappeared leave every manager.
 */
export function recordUpdate(
  prev: KubeObject | undefined,
  next: KubeObject,
  schema: Schema,
  manager: string,
  apiVersion: string,
  subresource?: string,
): KubeObject {
  const scope = subresource === 'status' ? { only: 'status' as const } : {};
  const nextFields = fieldsOf(next, schema, scope);
  const changed = new Set(
    [...nextFields].filter((f) => {
      const path = JSON.parse(f) as FieldPath;
      return prev === undefined || !jsonEqual(valueAt(prev, path), valueAt(next, path));
    }),
  );
  const all = fieldsOf(next, schema);
  let list = dropFields(entries(prev ?? next), (f) => !all.has(f) || changed.has(f));
  const mine = list.find(
    (x) => x.manager === manager && x.operation === 'Update' && (x.subresource ?? '') === (subresource ?? ''),
  );
  const owned = new Set([...fromFieldsV1(mine?.fieldsV1), ...changed]);
  list = setEntry(list, { manager, operation: 'Update', apiVersion, subresource }, owned);
  return { ...next, metadata: { ...next.metadata, managedFields: list } } as KubeObject;
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined: create). Throws a 409
 * Conflict Status listing each conflicting field unless `force`.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  config: KubeObject,
  schema: Schema,
  opts: {
    manager: string;
    force: boolean;
    apiVersion: string;
    group: string;
    plural: string;
    subresource?: string;
    /** Main-resource apply of a kind with a status subresource: status is not applied. */
    ignoreStatus: boolean;
  },
): KubeObject {
  const scope =
    opts.subresource === 'status'
      ? { only: 'status' as const }
      : opts.ignoreStatus
        ? { except: 'status' as const }
        : {};
  const applied = fieldsOf(config, schema, scope);
  let list = live ? entries(live) : [];
  const isMine = (e: ManagedFieldsEntry) =>
    e.manager === opts.manager &&
    e.operation === 'Apply' &&
    (e.subresource ?? '') === (opts.subresource ?? '');
  if (live) {
    const conflicts: { field: string; manager: string }[] = [];
    for (const e of list) {
      if (isMine(e)) continue;
      for (const f of fromFieldsV1(e.fieldsV1)) {
        if (!applied.has(f) || f.endsWith('"."]')) continue;
        const path = JSON.parse(f) as FieldPath;
        if (!jsonEqual(valueAt(live, path), valueAt(config, path)))
          conflicts.push({ field: f, manager: e.manager });
      }
    }
    if (conflicts.length > 0 && !opts.force) {
      const causes = conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}" using ${opts.apiVersion}`,
        field: showPath(c.field),
      }));
      // apimachinery's wording: one conflict inline, several as a list, grouped by manager.
      const byManager = new Map<string, string[]>();
      for (const c of conflicts)
        byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), showPath(c.field)]);
      const groups = [...byManager].map(([m, fields]) =>
        fields.length === 1 && conflicts.length === 1
          ? `conflict with "${m}" using ${opts.apiVersion}: ${fields[0]}`
          : `conflicts with "${m}" using ${opts.apiVersion}:\n${fields.map((f) => `- ${f}`).join('\n')}`,
      );
      const n = conflicts.length;
      throw new ApiStatusError(
        failure(409, 'Conflict', `Apply failed with ${n} conflict${n > 1 ? 's' : ''}: ${groups.join('\n')}`, {
          name: config.metadata.name,
          ...(opts.group ? { group: opts.group } : {}),
          kind: opts.plural,
          causes,
        }),
      );
    }
    if (opts.force) {
      const taken = new Set(conflicts.map((c) => c.field));
      // The forced fields leave their old owners.
      list = dropFields(list, (f) => taken.has(f) && !f.endsWith('"."]'));
    }
  }
  const previous = fromFieldsV1(list.find(isMine)?.fieldsV1);
  const othersOwn = new Set(list.filter((e) => !isMine(e)).flatMap((e) => [...fromFieldsV1(e.fieldsV1)]));
  const scoped = scopeConfig(config, scope);
  let merged = strategicMergePatch(live ?? {}, scoped, schema) as KubeObject;
  merged = structuredClone(merged);
  // Fields this manager applied before, applies no more, and nobody else owns: removed (deepest first).
  const removed = [...previous].filter((f) => !applied.has(f) && !othersOwn.has(f));
  removed.sort((a, b) => b.length - a.length);
  for (const f of removed) removeAt(merged, JSON.parse(f) as FieldPath);
  list = setEntry(
    list,
    { manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, subresource: opts.subresource },
    applied,
  );
  return { ...merged, metadata: { ...merged.metadata, managedFields: list } } as KubeObject;
}

function scopeConfig(config: KubeObject, scope: { only?: 'status'; except?: 'status' }): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config as unknown as JsonObject)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'metadata') {
      const meta: JsonObject = {};
      for (const mk of METADATA_FIELDS)
        if ((v as JsonObject)[mk] !== undefined) meta[mk] = (v as JsonObject)[mk];
      out.metadata = meta;
      continue;
    }
    if (scope.only && k !== scope.only) continue;
    if (scope.except && k === scope.except) continue;
    out[k] = v;
  }
  return out;
}

/** The field manager of a write: the `fieldManager` query parameter, else the User-Agent up to its first `/`. */
export function managerOf(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const ua = userAgent ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}
