/**
 * @packageDocumentation
 * Dtab stores shared by replicas: a `Dtab` custom resource per router name on Kubernetes
 * (`createK8sDtabStore`), a key of a ConfigMap per router name (`createConfigMapDtabStore`), or
 * one file per router name in a directory (`createFsDtabStore`), each
 * observed as an Activity and written with optimistic concurrency.
 */
export type { ConfigMapDtabStoreOptions, ConfigMapResource } from './dtab-store/configmap.js';
export { CONFIG_MAP_V1, createConfigMapDtabStore, REJECTED_ANNOTATION } from './dtab-store/configmap.js';
export type { FsDtabStoreOptions } from './dtab-store/fs.js';
export { createFsDtabStore } from './dtab-store/fs.js';
export type { DtabCondition, DtabResource, K8sDtabStoreOptions } from './dtab-store/k8s.js';
export { createK8sDtabStore, DTAB_V1ALPHA1 } from './dtab-store/k8s.js';
export type {
  DtabStore,
  DtabStoreErrorCode,
  DtabStoreEvent,
  DtabStoreLeader,
  StoredDtab,
} from './dtab-store/types.js';
export {
  DtabStoreConfigError,
  DtabStoreConflictError,
  DtabStoreInvalidError,
} from './dtab-store/types.js';
