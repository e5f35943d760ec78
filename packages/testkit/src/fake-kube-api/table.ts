/**
 * Server-side printing (`meta.k8s.io/v1` Table, "Receiving resources as Tables" in API Concepts):
 * what `kubectl get` asks for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Columns
 * are the generic ones kube-apiserver uses for kinds without their own printer: Name and Age.
 */
import type { KubeObject } from '@switchyard/k8s';

/** True when the Accept header asks for a Table first. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept.split(',')[0] ?? '');
}

/** kubectl's short age: `42s`, `7m`, `5h`, `3d`. */
export function age(created: string | undefined, now: number): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const COLUMNS = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace.',
    priority: 0,
  },
  {
    name: 'Age',
    type: 'string',
    format: '',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
    priority: 0,
  },
];

/** A Table of `objects`; `headers` false leaves out the column definitions (watch events after the first). */
export function toTable(
  objects: readonly KubeObject[],
  meta: Record<string, unknown>,
  headers = true,
  includeObject: 'Metadata' | 'Object' | 'None' = 'Metadata',
): unknown {
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    ...(headers ? { columnDefinitions: COLUMNS } : {}),
    rows: objects.map((o) => ({
      cells: [o.metadata.name ?? '', age(o.metadata.creationTimestamp, now)],
      ...(includeObject === 'None'
        ? {}
        : {
            object:
              includeObject === 'Object'
                ? o
                : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
          }),
    })),
  };
}
