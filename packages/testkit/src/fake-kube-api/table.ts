/**
 * Server-side printing (`meta.k8s.io/v1` Table, "Receiving resources as Tables" in API Concepts):
 * what `kubectl get` asks for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Ingress
 * and Service get the columns of kube-apiserver's own printers (pkg/printers/internalversion);
 * other kinds the generic ones it uses for kinds without a printer: Name and Age.
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

interface Column {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
};
const AGE: Column = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
};
const column = (name: string, description: string, priority = 0): Column => ({
  name,
  type: 'string',
  format: '',
  description,
  priority,
});

/** The cells between Name and Age, and the columns they fill, of a kind with its own printer. */
interface Printer {
  readonly columns: readonly Column[];
  cells(o: KubeObject): string[];
}

interface IngressShape {
  spec?: { ingressClassName?: string; rules?: { host?: string }[]; tls?: unknown[] };
  status?: { loadBalancer?: LoadBalancerStatus };
}
interface LoadBalancerStatus {
  ingress?: { ip?: string; hostname?: string }[];
}
interface ServiceShape {
  spec?: {
    type?: string;
    clusterIP?: string;
    externalIPs?: string[];
    externalName?: string;
    selector?: Record<string, string>;
    ports?: { port: number; nodePort?: number; protocol?: string }[];
  };
  status?: { loadBalancer?: LoadBalancerStatus };
}

/** Load-balancer IPs and hostnames, comma-joined; over 16 characters cut to 13 and `...`. */
function loadBalancer(status: LoadBalancerStatus | undefined): string {
  const list = (status?.ingress ?? []).flatMap((i) => [i.ip, i.hostname].filter((x): x is string => !!x));
  const all = list.join(',');
  return all.length > 16 ? `${all.slice(0, 13)}...` : all;
}

/** The rules' hosts, at most three then `+ N more...`; `*` when no rule names one. */
function hosts(rules: readonly { host?: string }[]): string {
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === 3) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rules.length - 3} more...` : list.join(',');
}

function externalIp(spec: NonNullable<ServiceShape['spec']>, status: ServiceShape['status']): string {
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'LoadBalancer': {
      const lb = loadBalancer(status?.loadBalancer);
      const all = [...(lb ? [lb] : []), ...external];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '<none>';
    default:
      return external.length > 0 ? external.join(',') : '<none>';
  }
}

const PRINTERS: Readonly<Record<string, Printer>> = {
  Ingress: {
    columns: [
      column('Class', 'The name of the IngressClass resource to use.'),
      column('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'Ports of TLS configurations that open'),
    ],
    cells(o) {
      const i = o as KubeObject & IngressShape;
      return [
        i.spec?.ingressClassName ?? '<none>',
        hosts(i.spec?.rules ?? []),
        loadBalancer(i.status?.loadBalancer),
        (i.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      ];
    },
  },
  Service: {
    columns: [
      column('Type', 'The type of the service.'),
      column('Cluster-IP', 'The IP address of the service.'),
      column('External-IP', 'The external IP address of the service.'),
      column('Port(s)', 'The ports of the service.'),
    ],
    cells(o) {
      const spec = (o as KubeObject & ServiceShape).spec ?? {};
      const ports = (spec.ports ?? []).map(
        (p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`,
      );
      return [
        spec.type ?? 'ClusterIP',
        spec.clusterIP || '<none>',
        externalIp(spec, (o as KubeObject & ServiceShape).status),
        ports.length > 0 ? ports.join(',') : '<none>',
      ];
    },
  },
};

/** Service's wide-only (priority 1) Selector column, after Age as in kube-apiserver. */
const SELECTOR = column('Selector', 'The label selector of the service.', 1);
function selector(o: KubeObject): string {
  const sel = (o as KubeObject & ServiceShape).spec?.selector ?? {};
  const pairs = Object.keys(sel)
    .sort()
    .map((k) => `${k}=${sel[k]}`);
  return pairs.length > 0 ? pairs.join(',') : '<none>';
}

/**
 * A Table of `objects` of `kind`; `headers` false leaves out the column definitions (watch events
 * after the first).
 */
export function toTable(
  kind: string,
  objects: readonly KubeObject[],
  meta: Record<string, unknown>,
  headers = true,
  includeObject: 'Metadata' | 'Object' | 'None' = 'Metadata',
): unknown {
  const now = Date.now();
  const printer = PRINTERS[kind];
  const wide = kind === 'Service';
  const columns = [NAME, ...(printer?.columns ?? []), AGE, ...(wide ? [SELECTOR] : [])];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    ...(headers ? { columnDefinitions: columns } : {}),
    rows: objects.map((o) => ({
      cells: [
        o.metadata.name ?? '',
        ...(printer?.cells(o) ?? []),
        age(o.metadata.creationTimestamp, now),
        ...(wide ? [selector(o)] : []),
      ],
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
