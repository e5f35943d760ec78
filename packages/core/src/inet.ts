/**
 * `/$/inet` and `/$/fixedinet`: finagle's system namers for literal addresses,
 * `/[host/]port[/residual…]`. The interpreter mounts them at `/$/inet` and `/$/fixedinet`; they are
 * exported so code can mount them elsewhere too. The path rules and the DNS outcomes follow
 * finagle's `Namer.global` (`InetPath`) and its `inet` / `fixedinet` resolvers.
 */
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import type { NameTree, Path } from '@switchyard/dtab';
import { Activity } from './activity.js';
import { Addr, address } from './addr.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
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

/** finagle's re-resolution period for `/$/inet` host names (its `inet` resolver polls every 5 s). */
export const INET_POLL_INTERVAL_MS = 5000;

/** The loopback address finagle uses for an absent host and for `localhost` (no DNS query). */
const LOOPBACK = '127.0.0.1';

const DIGIT = /^\p{Nd}$/u;

/** The value of a Unicode decimal digit (one UTF-16 unit, as Java's `Character.digit(c, 10)`), or -1. */
function digitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (!DIGIT.test(String.fromCharCode(code))) return -1;
  // Unicode encodes each decimal digit set as a contiguous run 0…9, so the value is the offset in it.
  let zero = code;
  while (zero > 0 && DIGIT.test(String.fromCharCode(zero - 1))) zero--;
  return (code - zero) % 10;
}

/**
 * Scala's `String.toInt` (Java's `Integer.parseInt`), which finagle's `IntegerString` uses: an
 * optional sign, then one or more decimal digits, within the 32-bit signed range. The port range
 * is checked later, when the address is built.
 */
export function parseInetInteger(label: string | undefined): number | undefined {
  if (label === undefined || label.length === 0) return undefined;
  let i = 0;
  const negative = label[0] === '-';
  if (negative || label[0] === '+') i = 1;
  if (i >= label.length) return undefined;
  let n = 0;
  for (; i < label.length; i++) {
    const d = digitValue(label.charCodeAt(i));
    if (d < 0) return undefined;
    n = n * 10 + d;
    if (n > 2147483648) return undefined;
  }
  if (!negative && n > 2147483647) return undefined;
  return negative && n !== 0 ? -n : n;
}

/** Options of {@link createInetNamer} and {@link createFixedInetNamer}. */
export interface InetNamerOptions {
  /** Host resolution; IP literals, `localhost` and an absent host never reach it. Default {@link systemDnsLookup}. */
  readonly lookup?: DnsLookup;
  /** Prefix of bound ids. Default `/$/inet` (`/$/fixedinet`), so ids read like finagle's `/$/inet/127.0.0.1/8080`. */
  readonly idPrefix?: Path;
  /** `createInetNamer` only: milliseconds between re-resolutions of a host name. Default 5000. */
  readonly pollIntervalMs?: number;
  /** `createInetNamer` only: schedules re-resolution. Default {@link systemClock}. */
  readonly clock?: Clock;
}

/** How a host name's addresses are found: re-resolved periodically, or resolved once and kept. */
type Resolution =
  | { readonly kind: 'poll'; readonly intervalMs: number; readonly clock: Clock }
  | { readonly kind: 'fixed' };

function portOutOfRange(port: number): Addr {
  return Addr.failed(new SwitchyardError('SY_ERR_CORE_INVALID_ARGUMENT', `port out of range:${port}`));
}

/** finagle's `InetResolver.toAddr` for one host: addresses found, `neg` for no such host, else failed. */
function toAddr(host: string, port: number, lookup: Promise<readonly string[]>): Promise<Addr> {
  return lookup.then(
    (ips) => Addr.bound(ips.map((ip) => address(ip, port))),
    (err: unknown) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return Addr.neg;
      return Addr.failed(
        new SwitchyardError('SY_ERR_CORE_DNS', `resolving ${host} failed`, {
          cause: err,
        }),
      );
    },
  );
}

/** Whether two Addrs are the same bound address set (failures never compare equal). */
function sameAddresses(a: Addr, b: Addr): boolean {
  if (a.kind !== 'bound' || b.kind !== 'bound') return a.kind === b.kind && a.kind !== 'failed';
  return (
    a.addresses.length === b.addresses.length &&
    a.addresses.every((x, i) => x.host === b.addresses[i]!.host && x.port === b.addresses[i]!.port)
  );
}

function createLiteralNamer(lookupHost: DnsLookup, idPrefix: Path, resolution: Resolution): Namer {
  const neg = Activity.value<NameTree<Name>>({ kind: 'neg' });
  // fixedinet: successful lookups are kept for the namer's lifetime; failed ones are forgotten, so
  // the next observation asks again (finagle's FixedInetResolver cache without retry backoffs).
  const fixed = new Map<string, Promise<readonly string[]>>();

  function resolveOnce(host: string): Promise<readonly string[]> {
    // A lookup that throws instead of rejecting still becomes a failed Addr.
    const ask = () => new Promise<readonly string[]>((resolve) => resolve(lookupHost(host)));
    if (resolution.kind === 'poll') return ask();
    let found = fixed.get(host);
    if (found === undefined) {
      found = ask();
      fixed.set(host, found);
      found.catch(() => fixed.delete(host));
    }
    return found;
  }

  function addrOf(host: string, port: number): Var<Addr> {
    if (port < 0 || port > 65535) return Var.constant(portOutOfRange(port));
    if (host === '' || host === 'localhost') return Var.constant(Addr.bound([address(LOOPBACK, port)]));
    if (isIP(host) !== 0) return Var.constant(Addr.bound([address(host, port)]));
    return Var.async<Addr>(Addr.pending, (update) => {
      let live = true;
      let timer: TimerHandle | undefined;
      let last: Addr = Addr.pending;
      const round = (): void => {
        toAddr(host, port, resolveOnce(host)).then((addr) => {
          if (!live) return;
          // A poll that finds the same addresses again changes nothing downstream.
          if (!sameAddresses(last, addr)) update(addr);
          last = addr;
          if (resolution.kind === 'poll') timer = resolution.clock.setTimeout(round, resolution.intervalMs);
        });
      };
      round();
      return () => {
        live = false;
        if (timer !== undefined && resolution.kind === 'poll') resolution.clock.clearTimeout(timer);
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
      // finagle tries host/port first, then a bare port: /1234/5678 is host 1234, port 5678.
      const port = parseInetInteger(path[1]);
      if (path[0] !== undefined && port !== undefined) {
        const host = path[0].startsWith('[') && path[0].endsWith(']') ? path[0].slice(1, -1) : path[0];
        return bound(path.slice(0, 2), host, port, path.slice(2));
      }
      const portOnly = parseInetInteger(path[0]);
      if (portOnly !== undefined) return bound(path.slice(0, 1), '', portOnly, path.slice(1));
      return neg;
    },
  };
}

/**
 * A namer for `/<host>/<port>[/residual…]` and `/<port>[/residual…]`, finagle's `/$/inet`. The
 * host/port reading is tried first, so `/1234/5678` is host `1234`, port 5678. An absent host and
 * `localhost` are the loopback address 127.0.0.1; IP literals (IPv6 optionally in brackets) bind at
 * once; other host names are resolved while observed and re-resolved every `pollIntervalMs`.
 * No such name is `neg`, other DNS failures a failed Addr (`SY_ERR_CORE_DNS`), a port outside
 * 0–65535 a failed Addr. Any other path is `neg`.
 */
export function createInetNamer(options: InetNamerOptions = {}): Namer {
  return createLiteralNamer(options.lookup ?? systemDnsLookup, options.idPrefix ?? ['$', 'inet'], {
    kind: 'poll',
    intervalMs: options.pollIntervalMs ?? INET_POLL_INTERVAL_MS,
    clock: options.clock ?? systemClock,
  });
}

/**
 * finagle's `/$/fixedinet`: the same paths and outcomes as {@link createInetNamer}, but a host
 * name is resolved once and a successful answer is kept for the namer's lifetime — no
 * re-resolution, for addresses that never change. A failed resolution is not kept.
 */
export function createFixedInetNamer(
  options: Omit<InetNamerOptions, 'pollIntervalMs' | 'clock'> = {},
): Namer {
  return createLiteralNamer(options.lookup ?? systemDnsLookup, options.idPrefix ?? ['$', 'fixedinet'], {
    kind: 'fixed',
  });
}
