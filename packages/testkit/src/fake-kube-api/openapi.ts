/**
 * OpenAPI documents generated from the registry, enough for kubectl: `/openapi/v3` (the index of
 * group-version documents, each with a content hash in its URL as kube-apiserver serves them) and
 * `/openapi/v3/<api|apis/group>/<version>` (used by `kubectl explain`, client-side apply's
 * strategic merge patch and the field-validation probe, which looks for a `fieldValidation` query
 * parameter on the kind's PATCH operation), plus `/openapi/v2` in JSON. Every kind's schema
 * carries `x-kubernetes-group-version-kind`; merge lists carry `x-kubernetes-patch-merge-key` and
 * `x-kubernetes-patch-strategy`.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type Served } from './resources.js';
import type { Schema } from './schemas.js';

/** The schema component name, as kube-apiserver names its definitions. */
export function definitionName(r: { group: string; version: string; kind: string }): string {
  if (r.group === '') return `io.k8s.api.core.${r.version}.${r.kind}`;
  if (r.group === 'apiextensions.k8s.io') {
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${r.version}.${r.kind}`;
  }
  if (r.group.endsWith('.k8s.io') || r.group === 'extensions') {
    return `io.k8s.api.${r.group.split('.')[0]}.${r.version}.${r.kind}`;
  }
  return `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
}

function basePath(r: Served): string {
  return r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
}

const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

type Param = { name: string; in: 'query' | 'path'; required?: boolean; schema: Schema; description: string };
const q = (name: string, type: string, description: string): Param => ({
  name,
  in: 'query',
  schema: { type, uniqueItems: true },
  description,
});
const WRITE_PARAMS = [
  q('dryRun', 'string', 'When present, indicates that modifications should not be persisted.'),
  q(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  q(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
  ),
];
const LIST_PARAMS = [
  q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'),
  q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  q(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  q(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  q('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`.'),
  q('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  q('watch', 'boolean', 'Watch for changes to the described resources.'),
];

/** Operations of one resource, with refs built by `ref`. */
function resourcePaths(r: Served, ref: (name: string) => Schema, v3: boolean): Record<string, unknown> {
  const gvk = [{ group: r.group, version: r.version, kind: r.kind }];
  const def = ref(definitionName(r));
  const body = (types: string[]) =>
    v3
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(types.map((t) => [t, { schema: def }])),
          },
        }
      : { consumes: types, parameters: [{ name: 'body', in: 'body', required: true, schema: def }] };
  const ok = v3
    ? { responses: { '200': { description: 'OK', content: { 'application/json': { schema: def } } } } }
    : { produces: ['application/json'], responses: { '200': { description: 'OK', schema: def } } };
  const op = (action: string, id: string, params: Param[], extra: Record<string, unknown> = {}) => {
    const bodyParams = (extra.parameters as unknown[] | undefined) ?? [];
    const rest = { ...extra };
    delete rest.parameters;
    return {
      description: `${action} ${r.kind}`,
      operationId: `${id}${r.kind}`,
      tags: [apiVersionOf(r)],
      parameters: [
        ...params.map((p) =>
          v3
            ? p
            : { name: p.name, in: p.in, type: p.schema.type, uniqueItems: true, description: p.description },
        ),
        ...bodyParams,
      ],
      ...ok,
      ...rest,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk[0],
    };
  };
  const ns = r.namespaced ? `/namespaces/{namespace}` : '';
  const pathParams: Param[] = [
    ...(r.namespaced
      ? [
          {
            name: 'namespace',
            in: 'path' as const,
            required: true,
            schema: { type: 'string' },
            description: 'object name and auth scope',
          },
        ]
      : []),
  ];
  const nameParam: Param = {
    name: 'name',
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: `name of the ${r.kind}`,
  };
  const patchTypes = r.crd ? PATCH_TYPES.filter((t) => !t.includes('strategic')) : PATCH_TYPES;
  const patchParams = [...WRITE_PARAMS, q('force', 'boolean', 'Force is going to "force" Apply requests.')];
  const item = (sub: string) => ({
    get: op('get', `read${sub}`, [...pathParams, nameParam]),
    put: op('put', `replace${sub}`, [...pathParams, nameParam, ...WRITE_PARAMS], body(['application/json'])),
    patch: op('patch', `patch${sub}`, [...pathParams, nameParam, ...patchParams], body(patchTypes)),
  });
  const base = basePath(r);
  const out: Record<string, unknown> = {
    [`${base}${ns}/${r.plural}`]: {
      get: op('list', 'list', [...pathParams, ...LIST_PARAMS]),
      post: op('post', 'create', [...pathParams, ...WRITE_PARAMS], body(['application/json'])),
    },
    [`${base}${ns}/${r.plural}/{name}`]: {
      ...item(''),
      delete: op('delete', 'delete', [
        ...pathParams,
        nameParam,
        q('dryRun', 'string', 'dry run'),
        q('propagationPolicy', 'string', 'Orphan, Background or Foreground'),
      ]),
    },
  };
  if (r.statusSubresource) out[`${base}${ns}/${r.plural}/{name}/status`] = item('Status');
  return out;
}

function toV2Schema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV2Schema);
  if (typeof s !== 'object' || s === null) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] =
      k === '$ref' && typeof v === 'string'
        ? v.replace('#/components/schemas/', '#/definitions/')
        : toV2Schema(v);
  }
  if (out['x-kubernetes-int-or-string'] === true && out.type === undefined) out.format = 'int-or-string';
  return out;
}

/** The OpenAPI v3 document of one group version, or undefined if nothing is served there. */
export function openApiV3Doc(all: readonly Served[], group: string, version: string): unknown {
  const rs = all.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const r of rs) {
    Object.assign(paths, resourcePaths(r, ref, true));
    schemas[definitionName(r)] = r.schema;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.31.0' },
    paths,
    components: { schemas },
  };
}

/** `/openapi/v3`: the index of group-version documents, each URL carrying a content hash. */
export function openApiV3Index(all: readonly Served[]): unknown {
  const gvs = [...new Set(all.map((r) => `${r.group}\u0000${r.version}`))];
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of gvs) {
    const [group, version] = gv.split('\u0000') as [string, string];
    const key = group === '' ? `api/${version}` : `apis/${group}/${version}`;
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiV3Doc(all, group, version)))
      .digest('hex')
      .slice(0, 128)
      .toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

/** `/openapi/v2` (Swagger 2.0, JSON). */
export function openApiV2Doc(all: readonly Served[]): unknown {
  const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
  const paths: Record<string, unknown> = {};
  const definitions: Record<string, unknown> = {};
  for (const r of all) {
    Object.assign(paths, resourcePaths(r, ref, false));
    definitions[definitionName(r)] = toV2Schema(r.schema);
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, definitions };
}
