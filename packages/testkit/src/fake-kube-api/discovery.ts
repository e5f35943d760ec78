/**
 * API discovery documents built from the registry, as kube-apiserver serves them: the legacy
 * per-group documents (`/api` APIVersions, `/apis` APIGroupList, `/api/v1` and
 * `/apis/<group>/<version>` APIResourceList, with the `status` subresource as its own
 * `<plural>/status` entry) and aggregated discovery (`apidiscovery.k8s.io/v2`, KEP-3352), which
 * kubectl ≥ 1.30 asks for in its Accept header and which answers all of `/api` or `/apis` in one
 * document.
 */
import { apiVersionOf, type Served } from './resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

/** The media type of aggregated discovery, v2 (GA in 1.30) or v2beta1 (1.26–1.29). */
export function aggregatedDiscoveryType(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const p = part.replace(/\s/g, '');
    if (p.includes('as=APIGroupDiscoveryList') && p.includes('g=apidiscovery.k8s.io')) {
      const v = /;v=(v2beta1|v2)(;|$)/.exec(p)?.[1];
      if (v) return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
    }
  }
  return undefined;
}

/** Group → versions (preferred first), in registry order. */
function groups(all: readonly Served[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of all) {
    const vs = out.get(r.group) ?? [];
    if (!vs.includes(r.version)) vs.push(r.version);
    out.set(r.group, vs);
  }
  for (const vs of out.values()) vs.sort(preferVersion);
  return out;
}

/** Kubernetes version priority: GA > beta > alpha, then higher number first. */
function preferVersion(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
  return 0;
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(name: string, versions: string[]): unknown {
  const vs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(all: readonly Served[]): unknown {
  const gs = [...groups(all)].filter(([g]) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: gs.map(([g, vs]) => apiGroup(g, vs)) };
}

/** `/apis/<group>`, or undefined if not served. */
export function apiGroupDoc(all: readonly Served[], group: string): unknown {
  const vs = groups(all).get(group);
  return vs && group !== ''
    ? { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(group, vs) as object) }
    : undefined;
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined if not served. */
export function apiResourceList(all: readonly Served[], group: string, version: string): unknown {
  const rs = all.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const resources = rs.flatMap((r) => {
    const main = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    };
    return r.statusSubresource
      ? [
          main,
          {
            name: `${r.plural}/status`,
            singularName: '',
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: STATUS_VERBS,
          },
        ]
      : [main];
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}

/** Aggregated discovery for `/api` (`core` true) or `/apis`. */
export function aggregatedDiscovery(all: readonly Served[], core: boolean, mediaType: string): unknown {
  const apiVersion = /v=v2beta1/.test(mediaType) ? 'apidiscovery.k8s.io/v2beta1' : 'apidiscovery.k8s.io/v2';
  const items = [...groups(all)]
    .filter(([g]) => (g === '') === core)
    .map(([group, versions]) => ({
      metadata: group === '' ? {} : { name: group },
      versions: versions.map((version) => ({
        version,
        freshness: 'Current',
        resources: all
          .filter((r) => r.group === group && r.version === version)
          .map((r) => ({
            resource: r.plural,
            responseKind: { group, version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: VERBS,
            ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
            ...(r.categories.length ? { categories: r.categories } : {}),
            ...(r.statusSubresource
              ? {
                  subresources: [
                    {
                      subresource: 'status',
                      responseKind: { group, version, kind: r.kind },
                      verbs: STATUS_VERBS,
                    },
                  ],
                }
              : {}),
          })),
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items };
}
