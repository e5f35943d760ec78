/**
 * Gateway API hostname rules. A hostname is a DNS name or a wildcard `*.<suffix>`, which matches
 * any name ending in `.<suffix>` with one or more labels before it (`*.example.com` matches
 * `a.example.com` and `a.b.example.com`, not `example.com`). The hostnames a route serves on a
 * listener are the intersection of the listener's hostname and the route's hostnames; a request
 * host tries the exact name first, then ever shorter wildcards, then the routes without hostname
 * (so the most specific hostname wins, and less specific ones still apply where it has no match).
 */

/** The index key of routes that have no hostname (they match any host, IP addresses included). */
export const ANY_HOST = '*';

function suffixOf(wildcard: string): string {
  return wildcard.slice(1); // "*.example.com" → ".example.com"
}

/** True when `pattern` (a name or wildcard) matches the concrete or wildcard name `host`. */
export function covers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  return name.endsWith(suffixOf(pattern)) && name.length > suffixOf(pattern).length;
}

/**
 * The hostname a route hostname serves on a listener: the more specific of the two when one
 * covers the other, `undefined` meaning "any host" when neither is set, `null` when disjoint.
 */
export function intersect(
  listener: string | undefined,
  route: string | undefined,
): string | undefined | null {
  if (listener === undefined) return route;
  if (route === undefined) return listener;
  if (covers(listener, route)) return route;
  if (covers(route, listener)) return listener;
  return null;
}

/**
 * The Host header reduced to the name routes are keyed by: lower-cased, without port and
 * trailing dot. `undefined` or an IP literal still yields a string (only {@link ANY_HOST} routes
 * match an IP).
 */
export function requestHostname(host: string | undefined): string {
  if (host === undefined) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * The index keys a request hostname tries, most specific first: the name, each wildcard of its
 * suffixes from longest to shortest, then {@link ANY_HOST}.
 */
export function lookupChain(hostname: string): string[] {
  const chain: string[] = [];
  if (hostname !== '') {
    chain.push(hostname);
    let dot = hostname.indexOf('.');
    while (dot >= 0) {
      chain.push(`*${hostname.slice(dot)}`);
      dot = hostname.indexOf('.', dot + 1);
    }
  }
  chain.push(ANY_HOST);
  return chain;
}
