/**
 * @packageDocumentation
 * `/$/inet`: finagle's system namer for literal addresses, `/$/inet/<host>/<port>[/residual…]`.
 * Every `createInterpreter` from `@switchyard/core` already answers `/$/inet/…` paths itself, so
 * nothing needs mounting for dtabs such as `/svc/web => /$/inet/127.0.0.1/8080`. This module
 * offers the same resolution as a standalone `Namer` for code that wants to mount it under
 * another prefix or call it directly.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Namer, Var as VarType } from '@switchyard/core';
import { Activity, Addr, address, Name, SwitchyardError, Var } from '@switchyard/core';
import { NameTree, type Path } from '@switchyard/dtab';

/** Resolves a host name to IPs. */
export type InetLookup = (host: string) => Promise<readonly string[]>;

/** Options of {@link createInetNamer}. */
export interface InetNamerOptions {
  /** Host resolution. Default `dns.lookup(host, { all: true })`. IP literals never reach it. */
  readonly lookup?: InetLookup;
  /**
   * The id prefix of bound names. Default `/$/inet`, so ids read like finagle's
   * (`/$/inet/127.0.0.1/8080`).
   */
  readonly idPrefix?: Path;
}

const defaultLookup: InetLookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** finagle's port parsing (`IntegerString`) restricted to 0–65535. */
function parsePort(label: string | undefined): number | undefined {
  if (label === undefined || !/^\+?[0-9]{1,5}$/.test(label)) return undefined;
  const n = Number(label);
  return n <= 65535 ? n : undefined;
}

/**
 * A namer for `/<host>/<port>[/residual…]` and `/<port>[/residual…]` (the wildcard address, as
 * core's `/$/inet` does). IP literals bind at once; host names are looked up while observed: no
 * such name is `neg`, any other DNS failure is a `failed` Addr (`SY_ERR_CORE_DNS`). Anything
 * else is `neg`.
 */
export function createInetNamer(options: InetNamerOptions = {}): Namer {
  const lookupHost = options.lookup ?? defaultLookup;
  const idPrefix = options.idPrefix ?? ['$', 'inet'];

  function addrOf(host: string, port: number): VarType<Addr> {
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

  return {
    lookup(path) {
      const portOnly = parsePort(path[0]);
      if (portOnly !== undefined) {
        const id = Object.freeze([...idPrefix, path[0]!]);
        return Activity.value<NameTree<Name>>(
          NameTree.leaf(Name.bound(id, addrOf('0.0.0.0', portOnly), path.slice(1))),
        );
      }
      const port = parsePort(path[1]);
      if (path[0] !== undefined && port !== undefined) {
        const host = path[0].startsWith('[') && path[0].endsWith(']') ? path[0].slice(1, -1) : path[0];
        const id = Object.freeze([...idPrefix, path[0], path[1]!]);
        return Activity.value<NameTree<Name>>(
          NameTree.leaf(Name.bound(id, addrOf(host, port), path.slice(2))),
        );
      }
      return Activity.value<NameTree<Name>>(NameTree.neg);
    },
  };
}
