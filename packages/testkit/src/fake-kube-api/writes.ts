/**
 * The write path of the test API server: create, replace, the four patch types and delete, with
 * the object rules kube-apiserver's generic registry applies on every write: `metadata.uid`,
 * `creationTimestamp` and the name are immutable, a `metadata.resourceVersion` in the body is a
 * precondition (409 Conflict when stale), `generation` starts at 1 and is bumped when anything but
 * metadata (and status, for kinds with a status subresource) changes, writes to the main resource
 * keep the old status while `/status` writes change only status, `managedFields` record who set
 * what, and an object with finalizers is only marked (`deletionTimestamp`) until they are removed.
 *
 * Longer than ~300 lines on purpose: the five verbs share one set of object rules (immutable
 * fields, preconditions, generation, the status split, managedFields, finalizers); split by verb,
 * each file would repeat them.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '@switchyard/k8s';
import { parse as parseYaml } from 'yaml';
import { managerOf, recordUpdate, serverSideApply } from './managed-fields.js';
import { jsonEqual, jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { queryBool } from './query.js';
import { apiVersionOf, type Served } from './resources.js';
import {
  ApiStatusError,
  alreadyExists,
  badRequest,
  conflict,
  failure,
  invalid,
  notFound,
  unsupportedMediaType,
} from './status.js';

type JsonObject = Record<string, unknown>;

/** What a write needs from the server. */
export interface WriteTarget {
  readonly served: Served;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: 'status' | undefined;
  readonly query: URLSearchParams;
  readonly userAgent: string | undefined;
}

/** The storage-side operations a write uses (implemented by the server over its Store). */
export interface WriteStore {
  /** The stored object, in storage version. */
  current(served: Served, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Converts `obj` (in `served`'s version) to storage, stores it, and returns it in `served`'s version. */
  put(served: Served, obj: KubeObject): KubeObject;
  /** Deletes; returns the last state in `served`'s version. */
  remove(served: Served, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Checks a write is allowed (namespace exists, CRD valid); throws an ApiStatusError otherwise. */
  admit(served: Served, obj: KubeObject, prev: KubeObject | undefined): void;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding request body: ${(err as Error).message}`);
  }
}

function decodeObject(t: WriteTarget, text: string): KubeObject {
  const body = parseJsonBody(text);
  if (!isObject(body)) throw badRequest("Object 'Kind' is missing in request body");
  return checkKind(t, body as unknown as KubeObject);
}

function checkKind(t: WriteTarget, obj: KubeObject): KubeObject {
  const want = apiVersionOf(t.served);
  if (obj.kind !== undefined && obj.kind !== t.served.kind) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`,
    );
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`,
    );
  }
  const metadata = isObject(obj.metadata) ? obj.metadata : {};
  if (metadata.namespace && t.namespace !== undefined && metadata.namespace !== t.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { ...obj, apiVersion: want, kind: t.served.kind, metadata: { ...metadata } };
}

/** The body with server-owned metadata taken from `prev` (or freshly assigned on create). */
function finish(t: WriteTarget, prev: KubeObject | undefined, next: KubeObject): KubeObject {
  const { served } = t;
  const meta = { ...next.metadata } as JsonObject;
  if (served.namespaced) meta.namespace = t.namespace ?? meta.namespace;
  else delete meta.namespace;
  let out = { ...next, metadata: meta } as KubeObject & JsonObject;
  if (prev) {
    meta.uid = prev.metadata.uid;
    meta.creationTimestamp = prev.metadata.creationTimestamp;
    if (prev.metadata.deletionTimestamp) meta.deletionTimestamp = prev.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (t.subresource === 'status') {
      // A status write changes status only.
      out = { ...prev, status: (next as unknown as JsonObject).status } as KubeObject & JsonObject;
      out.metadata = { ...prev.metadata, managedFields: meta.managedFields } as KubeObject['metadata'];
    } else if (served.statusSubresource) {
      if ('status' in prev) out.status = (prev as unknown as JsonObject).status;
      else delete out.status;
    }
  } else {
    delete meta.uid;
    delete meta.creationTimestamp;
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    if (served.statusSubresource) delete out.status;
  }
  const generation = nextGeneration(served, prev, out);
  if (generation !== undefined) (out.metadata as JsonObject).generation = generation;
  return out;
}

/**
 * `metadata.generation` after writing `next` over `prev`, as kube-apiserver's registry strategies
 * set it: 1 on create, +1 when anything but metadata (and status, for kinds with a status
 * subresource) changed, unchanged otherwise; any value the client sent is ignored. Undefined for
 * kinds without a generation. `status.observedGeneration` is the controller's, never touched here.
 */
export function nextGeneration(
  served: Served,
  prev: KubeObject | undefined,
  next: KubeObject,
): number | undefined {
  if (!served.generation) return undefined;
  if (!prev) return 1;
  const strip = (o: KubeObject) => {
    const c = { ...(o as unknown as JsonObject) };
    delete c.metadata;
    delete c.apiVersion;
    delete c.kind;
    if (served.statusSubresource) delete c.status;
    return c;
  };
  const gen = prev.metadata.generation ?? 0;
  return jsonEqual(strip(prev), strip(next)) ? gen : gen + 1;
}

function preconditions(t: WriteTarget, prev: KubeObject, body: KubeObject): void {
  const rv = body.metadata?.resourceVersion;
  if (rv && rv !== prev.metadata.resourceVersion) {
    throw conflict(
      t.served.group,
      t.served.plural,
      prev.metadata.name ?? '',
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  const uid = body.metadata?.uid;
  if (uid && uid !== prev.metadata.uid) {
    throw conflict(
      t.served.group,
      t.served.plural,
      prev.metadata.name ?? '',
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${prev.metadata.uid}`,
    );
  }
}

function validateName(t: WriteTarget, obj: KubeObject): void {
  const name = obj.metadata.name;
  const what = t.served.kind;
  if (!name) {
    throw invalid(t.served.group, what, '', [
      {
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
        reason: 'FieldValueRequired',
      },
    ]);
  }
  if (name.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    throw invalid(t.served.group, what, name, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ]);
  }
}

/** Stores `next` (or only computes it on dry run), finishing deletion when the last finalizer went. */
function commit(
  t: WriteTarget,
  store: WriteStore,
  prev: KubeObject | undefined,
  next: KubeObject,
): { code: number; body: KubeObject } {
  store.admit(t.served, next, prev);
  const dryRun = t.query.getAll('dryRun').includes('All');
  if (dryRun) {
    return {
      code: prev ? 200 : 201,
      body: {
        ...next,
        metadata: {
          uid: prev?.metadata.uid ?? randomUuidLike(),
          creationTimestamp: timestamp(),
          ...next.metadata,
        },
      } as KubeObject,
    };
  }
  const stored = store.put(t.served, next);
  if (
    prev?.metadata.deletionTimestamp &&
    ((stored.metadata as { finalizers?: string[] }).finalizers ?? []).length === 0
  ) {
    // The last finalizer is gone: the marked object is deleted now.
    return { code: 200, body: store.remove(t.served, t.namespace, next.metadata.name!) ?? stored };
  }
  return { code: prev ? 200 : 201, body: stored };
}

function randomUuidLike(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** POST to a collection. */
export function create(t: WriteTarget, store: WriteStore, text: string): { code: number; body: KubeObject } {
  const obj = decodeObject(t, text);
  const meta = obj.metadata as JsonObject;
  if (!meta.name && typeof meta.generateName === 'string') {
    meta.name = `${meta.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
  }
  validateName(t, obj);
  const name = obj.metadata.name!;
  if (store.current(t.served, t.namespace, name)) throw alreadyExists(t.served.group, t.served.plural, name);
  let next = finish(t, undefined, obj);
  next = recordUpdate(
    undefined,
    next,
    t.served.schema,
    managerOf(t.query.get('fieldManager'), t.userAgent),
    apiVersionOf(t.served),
  );
  return commit(t, store, undefined, next);
}

/** PUT to an object or its status. */
export function replace(t: WriteTarget, store: WriteStore, text: string): { code: number; body: KubeObject } {
  const obj = decodeObject(t, text);
  if (obj.metadata.name !== t.name) {
    throw badRequest(
      `the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${t.name})`,
    );
  }
  const prev = store.current(t.served, t.namespace, t.name!);
  if (!prev) throw notFound(t.served.group, t.served.plural, t.name!);
  preconditions(t, prev, obj);
  let next = finish(t, prev, obj);
  next = recordUpdate(
    prev,
    next,
    t.served.schema,
    managerOf(t.query.get('fieldManager'), t.userAgent),
    apiVersionOf(t.served),
    t.subresource,
  );
  return commit(t, store, prev, next);
}

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** PATCH of an object or its status, in any of the four patch types (by `Content-Type`). */
export function patch(
  t: WriteTarget,
  store: WriteStore,
  contentType: string,
  text: string,
): { code: number; body: KubeObject } {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const accepted = t.served.crd ? PATCH_TYPES.filter((p) => !p.includes('strategic')) : PATCH_TYPES;
  if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
  const name = t.name!;
  const prev = store.current(t.served, t.namespace, name);
  const served = t.served;
  const version = (o: KubeObject) => ({
    ...served.out(o),
    apiVersion: apiVersionOf(served),
    kind: served.kind,
  });
  if (type === 'application/apply-patch+yaml') {
    let config: unknown;
    try {
      config = parseYaml(text);
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
    if (!isObject(config)) throw badRequest('apply patch must be an object');
    const applied = config as unknown as KubeObject;
    if (!applied.apiVersion || !applied.kind) {
      throw badRequest('invalid object type: /, Kind=');
    }
    const checked = checkKind(t, applied);
    if (checked.metadata.name !== undefined && checked.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${checked.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (!prev && t.subresource === 'status') throw notFound(served.group, served.plural, name);
    const fieldManager = t.query.get('fieldManager');
    if (!fieldManager) {
      throw badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set');
    }
    if (prev) preconditions(t, prev, checked);
    const merged = serverSideApply(prev ? version(prev) : undefined, checked, served.schema, {
      manager: fieldManager,
      force: queryBool(t.query, 'force'),
      apiVersion: apiVersionOf(served),
      group: served.group,
      plural: served.plural,
      subresource: t.subresource,
      ignoreStatus: served.statusSubresource,
    });
    const withName = {
      ...merged,
      apiVersion: apiVersionOf(served),
      kind: served.kind,
      metadata: {
        ...(prev ? version(prev).metadata : {}),
        ...merged.metadata,
        name,
        ...(t.namespace ? { namespace: t.namespace } : {}),
      },
    } as KubeObject;
    if (!prev) validateName(t, withName);
    return commit(t, store, prev, finish(t, prev, withName));
  }
  if (!prev) throw notFound(served.group, served.plural, name);
  const current = version(prev);
  const body = parseJsonBody(text);
  let next: unknown;
  try {
    if (type === 'application/json-patch+json') next = jsonPatch(current, body);
    else if (type === 'application/merge-patch+json') next = mergePatch(current, body);
    else next = strategicMergePatch(current, body, served.schema);
  } catch (err) {
    if (err instanceof PatchError) {
      if (err.malformed) throw badRequest(err.message);
      throw new ApiStatusError(failure(422, 'Invalid', err.message));
    }
    throw err;
  }
  if (!isObject(next)) throw badRequest('patched object is not an object');
  const patched = checkKind(t, next as unknown as KubeObject);
  if (patched.metadata.name !== name)
    throw badRequest('metadata.name: the name of a patched object cannot change');
  preconditions(t, prev, patched);
  let out = finish(t, prev, patched);
  out = recordUpdate(
    current,
    out,
    served.schema,
    managerOf(t.query.get('fieldManager'), t.userAgent),
    apiVersionOf(served),
    t.subresource,
  );
  return commit(t, store, prev, out);
}

/** DeleteOptions from the body (JSON) and the query. */
function deleteOptions(
  q: URLSearchParams,
  text: string,
): { policy?: string; uid?: string; resourceVersion?: string } {
  let body: JsonObject = {};
  if (text.trim() !== '') {
    const parsed = parseJsonBody(text);
    if (isObject(parsed)) body = parsed;
  }
  const pre = isObject(body.preconditions) ? body.preconditions : {};
  const policy = (body.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw invalid('meta.k8s.io', 'DeleteOptions', '', [
      {
        field: 'propagationPolicy',
        message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
        reason: 'FieldValueNotSupported',
      },
    ]);
  }
  if (body.orphanDependents !== undefined && policy !== undefined) {
    throw invalid('meta.k8s.io', 'DeleteOptions', '', [
      {
        field: 'propagationPolicy',
        message: 'Invalid value: orphanDependents and deletionPropagation cannot be both set',
      },
    ]);
  }
  return {
    policy,
    uid: pre.uid as string | undefined,
    resourceVersion: pre.resourceVersion as string | undefined,
  };
}

/**
 * DELETE of one object. With finalizers the object is only marked: `deletionTimestamp` is set and
 * 202 returns it; it disappears when an update removes the last finalizer. Otherwise 200 with the
 * last state. `propagationPolicy` is validated and accepted (the server has no garbage collector:
 * dependents are not deleted).
 */
export function remove(t: WriteTarget, store: WriteStore, text: string): { code: number; body: KubeObject } {
  const opts = deleteOptions(t.query, text);
  const name = t.name!;
  const prev = store.current(t.served, t.namespace, name);
  if (!prev) throw notFound(t.served.group, t.served.plural, name);
  preconditions(t, prev, { metadata: { uid: opts.uid, resourceVersion: opts.resourceVersion } });
  const version = (o: KubeObject) => ({
    ...t.served.out(o),
    apiVersion: apiVersionOf(t.served),
    kind: t.served.kind,
  });
  if (t.query.getAll('dryRun').includes('All')) return { code: 200, body: version(prev) };
  const finalizers = (prev.metadata as { finalizers?: string[] }).finalizers ?? [];
  if (finalizers.length > 0) {
    if (prev.metadata.deletionTimestamp) return { code: 202, body: version(prev) };
    const marked = {
      ...prev,
      metadata: { ...prev.metadata, deletionTimestamp: timestamp(), deletionGracePeriodSeconds: 0 },
    } as KubeObject;
    return { code: 202, body: store.put(t.served, marked) };
  }
  return { code: 200, body: store.remove(t.served, t.namespace, name)! };
}
