/**
 * From Kubernetes objects to an address set, with no I/O: which Service port a path names, and
 * which endpoint IP:port pairs serve it right now. Kept pure so the rules (port mapping, ready /
 * terminating, dual stack) are tested exhaustively without an API server.
 *
 * Sources: `kubernetes/api` `core/v1/types.go` (ServicePort.targetPort, Endpoints subsets) and
 * `discovery/v1/types.go` (EndpointSlice: ports named after the Service port, `conditions.ready`
 * nil meaning ready, `terminating`, at most one address used per endpoint).
 */
import { type Address, address } from '@switchyard/core';
import type { EndpointSlice, Endpoints, Service, ServicePort, SliceEndpoint } from '@switchyard/k8s';

/** The label joining an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** An IP family of EndpointSlices. */
export type AddressFamily = 'IPv4' | 'IPv6';

const NUMERIC = /^[0-9]+$/;

/**
 * The Service port a path segment names: a port number (`80`, matched against `spec.ports[].port`)
 * or a port name (`http`). `undefined` when the Service has no such port (→ neg).
 */
export function resolveServicePort(service: Service, segment: string): ServicePort | undefined {
  const ports = service.spec?.ports ?? [];
  if (NUMERIC.test(segment)) {
    const n = Number(segment);
    return ports.find((p) => p.port === n);
  }
  return ports.find((p) => p.name === segment);
}

/** `targetPort` as a number when numeric (absent means "same as port"), else `undefined`. */
function numericTarget(sp: ServicePort): number | undefined {
  const t = sp.targetPort;
  if (t === undefined) return sp.port;
  if (typeof t === 'number') return t;
  return NUMERIC.test(t) ? Number(t) : undefined;
}

function isServing(e: SliceEndpoint): boolean {
  const c = e.conditions;
  // Terminating endpoints finish their in-flight requests but receive no new ones.
  return c?.ready !== false && c?.terminating !== true;
}

/**
 * Address metadata: where the endpoint runs, and the port's `appProtocol` (e.g.
 * `kubernetes.io/h2c`: the router dials HTTP/2 with prior knowledge when it sees that value).
 */
function metaOf(
  e: {
    nodeName?: string;
    zone?: string;
    hostname?: string;
    targetRef?: { name?: string };
  },
  appProtocol: string | undefined,
): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (appProtocol) m.appProtocol = appProtocol;
  if (e.nodeName) m.nodeName = e.nodeName;
  if (e.zone) m.zone = e.zone;
  if (e.hostname) m.hostname = e.hostname;
  if (e.targetRef?.name) m.pod = e.targetRef.name;
  return Object.freeze(m);
}

function byHostPort(a: Address, b: Address): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port;
}

/**
 * The serving addresses of Service port `sp` across `slices` (all slices of one Service).
 * - The port of each slice is its port named like the Service port (the endpoint controller
 *   resolves named `targetPort`s per pod). A slice that lists no ports at all falls back to a
 *   numeric `targetPort`; one that lists ports but not ours contributes nothing.
 * - Endpoints that are not ready or are terminating are left out.
 * - Dual stack: slices are read in `families` order and a pod (by `targetRef`) already seen in
 *   an earlier family is not added again, so each pod is one address. FQDN slices are ignored.
 * - Each address's meta carries `appProtocol`: the slice port's, else the Service port's.
 * The result is sorted by host, then port.
 */
export function sliceAddresses(
  sp: ServicePort,
  slices: Iterable<EndpointSlice>,
  families: readonly AddressFamily[] = ['IPv4', 'IPv6'],
): Address[] {
  const want = sp.name ?? '';
  const fallback = numericTarget(sp);
  /** Pods already served by a preferred family. */
  const earlier = new Set<string>();
  const seenAddrs = new Set<string>();
  const out: Address[] = [];
  const all = [...slices];
  for (const family of families) {
    const current = new Set<string>();
    for (const slice of all) {
      if (slice.addressType !== family) continue;
      const named = slice.ports?.find((p) => (p.name ?? '') === want);
      // A slice listing ports but not ours does not serve it; one listing none serves all.
      const port = named ? (named.port ?? fallback) : slice.ports?.length ? undefined : fallback;
      if (port === undefined) continue;
      // The slice port's appProtocol (the endpoint controller copies the Service port's), else the
      // Service port's own, for slices written by hand or by older controllers.
      const appProtocol = named?.appProtocol ?? sp.appProtocol;
      for (const e of slice.endpoints ?? []) {
        if (!isServing(e)) continue;
        const ip = e.addresses?.[0];
        if (ip === undefined) continue;
        const ref = e.targetRef;
        const pod = ref?.uid ?? (ref?.name ? `${ref.namespace ?? ''}/${ref.name}` : undefined);
        if (pod !== undefined) {
          if (earlier.has(pod)) continue;
          current.add(pod);
        }
        const k = `${ip}:${port}`;
        if (seenAddrs.has(k)) continue;
        seenAddrs.add(k);
        out.push(address(ip, port, { meta: metaOf(e, appProtocol) }));
      }
    }
    for (const pod of current) earlier.add(pod);
  }
  return out.sort(byHostPort);
}

/**
 * The ready addresses of Service port `sp` from core `Endpoints` (old clusters): subset ports are
 * named like the Service port; a subset listing no ports falls back to a numeric `targetPort`.
 * `notReadyAddresses` are left out; meta `appProtocol` is the subset port's, else the Service
 * port's. Sorted by host, then port.
 */
export function endpointsAddresses(sp: ServicePort, endpoints: Endpoints | undefined): Address[] {
  const want = sp.name ?? '';
  const fallback = numericTarget(sp);
  const out: Address[] = [];
  const seen = new Set<string>();
  for (const subset of endpoints?.subsets ?? []) {
    const p = subset.ports?.find((x) => (x.name ?? '') === want && (x.protocol ?? 'TCP') === 'TCP');
    const port = p ? p.port : subset.ports?.length ? undefined : fallback;
    if (port === undefined) continue;
    const appProtocol = p?.appProtocol ?? sp.appProtocol;
    for (const a of subset.addresses ?? []) {
      const k = `${a.ip}:${port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(address(a.ip, port, { meta: metaOf(a, appProtocol) }));
    }
  }
  return out.sort(byHostPort);
}

/** A string that changes iff the address set (hosts, ports, metadata) changes. */
export function addressesKey(addresses: readonly Address[]): string {
  let s = '';
  for (const a of addresses) s += `${a.host}|${a.port}|${JSON.stringify(a.meta)};`;
  return s;
}
