/**
 * `/$/inet`: finagle's system namer for literal addresses, `/[host/]port[/residual…]`. The
 * interpreter mounts it at `/$/inet`; it is exported so code can mount it elsewhere too.
 */
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import type { NameTree, Path } from '@switchyard/dtab';
import { Activity } from './activity.js';
import { Addr, address } from './addr.js';
import { SwitchyardError } from './errors.js';
import { Name } from './name.js';
import type { Namer } from './namer.js';
import { Var } from './var.js';

/** Resolves a host name to IP addresses. */
export type DnsLookup = (host: string) => Promise<readonly string[]>;

/** `dns.lookup(host, { all: true })`, in the resolver's order. */
export const systemDnsLookup: DnsLookup = async (host) => {
  const found = await dns.lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
};

/** Scala's `String.toInt` as finagle's `IntegerString` uses it (range is checked when binding). */
function parsePort(label: string | undefined): number | undefined {
  if (label === undefined || !/^[+-]?\d{1,10}$/.test(label)) return undefined;
  const n = Number(label);
  return n <= 2147483647 && n >= -2147483648 ? n : undefined;
}

/** Options of {@link createInetNamer}. */
export interface InetNamerOptions {
  /** Host resolution; IP literals never reach it. Default {@link systemDnsLookup}. */
  readonly lookup?: DnsLookup;
  /** Prefix of bound ids. Default `/$/inet`, so ids read like finagle's `/$/inet/127.0.0.1/8080`. */
  readonly idPrefix?: Path;
}

/**
 * A namer for `/<host>/<port>[/residual…]` and `/<port>[/residual…]` (the wildcard address
 * 0.0.0.0, as finagle binds a bare port). IP literals (IPv6 optionally in brackets) bind at once;
 * host names are looked up while observed: no such name is `neg`, other DNS failures a failed
 * Addr (`SY_ERR_CORE_DNS`), a port outside 0–65535 a failed Addr. Any other path is `neg`.
 */
export function createInetNamer(options: InetNamerOptions = {}): Namer {
  const lookupHost = options.lookup ?? systemDnsLookup;
  const idPrefix = options.idPrefix ?? ['$', 'inet'];
  const neg = Activity.value<NameTree<Name>>({ kind: 'neg' });

  function addrOf(host: string, port: number): Var<Addr> {
    if (port < 0 || port > 65535) {
      return Var.constant(
        Addr.failed(
          new SwitchyardError('SY_ERR_CORE_INVALID_ARGUMENT', `/$/inet: port out of range: ${port}`),
        ),
      );
    }
    if (isIP(host) !== 0) return Var.constant(Addr.bound([address(host, port)]));
    return Var.async<Addr>(Addr.pending, (update) => {
      let live = true;
      lookupHost(host).then(
        (ips) => {
          if (live) update(ips.length === 0 ? Addr.neg : Addr.bound(ips.map((ip) => address(ip, port))));
        },
        (err: unknown) => {
          if (!live) return;
          const code = (err as { code?: unknown } | null)?.code;
          if (code === 'ENOTFOUND' || code === 'ENODATA') update(Addr.neg);
          else
            update(
              Addr.failed(
                new SwitchyardError('SY_ERR_CORE_DNS', `/$/inet: resolving ${host} failed`, { cause: err }),
              ),
            );
        },
      );
      return () => {
        live = false;
      };
    });
  }

  function bound(id: Path, host: string, port: number, residual: Path): Activity<NameTree<Name>> {
    return Activity.value<NameTree<Name>>({
      kind: 'leaf',
      value: Name.bound([...idPrefix, ...id], addrOf(host, port), residual),
    });
  }

  return {
    lookup(path) {
      const portOnly = parsePort(path[0]);
      if (portOnly !== undefined) return bound(path.slice(0, 1), '0.0.0.0', portOnly, path.slice(1));
      const port = parsePort(path[1]);
      if (path[0] === undefined || port === undefined) return neg;
      const host = path[0].startsWith('[') && path[0].endsWith(']') ? path[0].slice(1, -1) : path[0];
      return bound(path.slice(0, 2), host, port, path.slice(2));
    },
  };
}
