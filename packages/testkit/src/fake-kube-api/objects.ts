/**
 * The objects of the test API server between HTTP and storage: conversion between the version a
 * client speaks and the storage version, the status the server maintains itself (Namespace phase,
 * CRD conditions), CRD registration and namespace deletion as side effects of writes, and the
 * admission checks of the write path (the namespace must exist; a CRD must be valid).
 */
import type { KubeObject } from '@switchyard/k8s';
import { apiVersionOf, crdResources, type Registry, type Served } from './resources.js';
import { ApiStatusError, failure, invalid, notFound } from './status.js';
import type { Store } from './store.js';
import { nextGeneration, type WriteStore } from './writes.js';

/** Namespaces every cluster has from the start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** `namespace/name`, or `name` for cluster-scoped objects (the store key). */
export const keyOf = (namespace: string | undefined, name: string) =>
  namespace ? `${namespace}/${name}` : name;

/** Object operations over `store` and `registry`; creates the system namespaces. */
export function createObjects(store: Store, registry: Registry) {
  const namespaces = registry.byKind('v1', 'Namespace')!;
  for (const name of SYSTEM_NAMESPACES) {
    store.put(
      namespaces.storage,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } } as KubeObject,
      new Date(),
    );
  }

  function renderOut(served: Served, obj: KubeObject): KubeObject {
    const out = served.out(obj);
    return { ...out, apiVersion: apiVersionOf(served), kind: served.kind };
  }

  /** The object in `served`'s version converted to storage form, with server-maintained status for Namespaces and CRDs. */
  function toStorage(served: Served, obj: KubeObject): KubeObject {
    const canonical = registry.canonical(served.storage) ?? served;
    let v = { ...served.into(obj), apiVersion: apiVersionOf(canonical), kind: served.kind } as KubeObject &
      Record<string, unknown>;
    if (served.group === '' && served.kind === 'Namespace') {
      const phase = v.metadata.deletionTimestamp ? 'Terminating' : 'Active';
      v = { ...v, status: { ...(v.status as object), phase } };
    }
    if (served.kind === 'CustomResourceDefinition') {
      const spec = (v as { spec?: { names?: unknown } }).spec;
      const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      v = {
        ...v,
        status: {
          acceptedNames: spec?.names ?? {},
          storedVersions: (
            (v as { spec?: { versions?: { name: string; storage?: boolean }[] } }).spec?.versions ?? []
          )
            .filter((x) => x.storage)
            .map((x) => x.name),
          conditions: [
            {
              type: 'NamesAccepted',
              status: 'True',
              reason: 'NoConflicts',
              message: 'no conflicts found',
              lastTransitionTime: at,
            },
            {
              type: 'Established',
              status: 'True',
              reason: 'InitialNamesAccepted',
              message: 'the initial names have been accepted',
              lastTransitionTime: at,
            },
          ],
        },
      };
    }
    return v;
  }

  /**
   * Stores an object of `served` (any version), registering CRDs. Returns the stored (storage
   * version) object. With `stampGeneration` (the test-facing `apply`, which bypasses the write
   * path), `metadata.generation` is set as the write path sets it.
   */
  function storeObject(served: Served, obj: KubeObject, stampGeneration = false): KubeObject {
    let v = toStorage(served, obj);
    if (stampGeneration) {
      const prev = store.current(served.storage, keyOf(v.metadata.namespace, v.metadata.name ?? ''));
      const generation = nextGeneration(registry.canonical(served.storage) ?? served, prev, v);
      if (generation !== undefined) v = { ...v, metadata: { ...v.metadata, generation } };
    }
    const stored = store.put(served.storage, v, new Date());
    if (served.kind === 'CustomResourceDefinition' && served.group === 'apiextensions.k8s.io') {
      const rs = crdResources(stored);
      if (typeof rs !== 'string') registry.register(stored.metadata.name!, rs);
    }
    return stored;
  }

  function removeObject(served: Served, namespace: string | undefined, name: string): KubeObject | undefined {
    const removed = store.remove(served.storage, keyOf(namespace, name));
    if (!removed) return undefined;
    if (served.kind === 'CustomResourceDefinition' && served.group === 'apiextensions.k8s.io') {
      const rs = registry.unregister(name);
      const storages = new Set(rs.map((r) => r.storage));
      for (const s of storages) for (const k of [...store.stateAt(s, store.rv).keys]) store.remove(s, k);
    }
    if (served.kind === 'Namespace' && served.group === '') {
      // The namespace controller's job, done at once: everything in the namespace goes with it.
      const storages = new Set(
        registry
          .all()
          .filter((r) => r.namespaced)
          .map((r) => r.storage),
      );
      for (const s of storages) {
        for (const k of [...store.stateAt(s, store.rv).keys])
          if (k.startsWith(`${name}/`)) store.remove(s, k);
      }
    }
    return removed;
  }

  const writeStore: WriteStore = {
    current: (served, namespace, name) => store.current(served.storage, keyOf(namespace, name)),
    put: (served, obj) => renderOut(served, storeObject(served, obj)),
    remove: (served, namespace, name) => {
      const removed = removeObject(served, namespace, name);
      return removed && renderOut(served, removed);
    },
    admit(served, obj, prev) {
      if (!prev && served.namespaced) {
        const ns = obj.metadata.namespace ?? '';
        const nsObj = store.current(namespaces.storage, ns);
        if (!nsObj) throw notFound('', 'namespaces', ns);
        if (nsObj.metadata.deletionTimestamp) {
          throw new ApiStatusError(
            failure(
              403,
              'Forbidden',
              `unable to create new content in namespace ${ns} because it is being terminated`,
            ),
          );
        }
      }
      if (served.kind === 'CustomResourceDefinition' && served.group === 'apiextensions.k8s.io') {
        const rs = crdResources(obj);
        if (typeof rs === 'string') {
          const [field, ...detail] = rs.split(': ');
          throw invalid(served.group, served.kind, obj.metadata.name ?? '', [
            { field: field!, message: detail.join(': ') },
          ]);
        }
      }
    },
  };

  return { renderOut, storeObject, removeObject, writeStore };
}
