/**
 * The names an identifier serves over TLS, fed to `tls.acme`: Ingress `spec.tls` hosts come from
 * the ingress identifier; here, the hostnames of our Gateways' HTTPS listeners (read from the
 * `io.l5d.httproute` identifier's public state, followed on every index rebuild). And the
 * per-server feed that follows a router's *current* identifiers across reloads.
 */
import { type Dispose, Var } from '@switchyard/core';
import type { HttpRouteIdentifier } from '@switchyard/identifiers/gateway';

/**
 * Hostnames of the HTTPS listeners (TLS terminated here, on a served port) of the Gateways the
 * identifier owns, sorted and without duplicates. A listener without a hostname (any name) or with
 * a wildcard one names no certificate to order and is skipped.
 */
export function gatewayHttpsHosts(
  identifier: Pick<HttpRouteIdentifier, 'state' | 'onChange'>,
): Var<readonly string[]> {
  const read = (): readonly string[] => {
    const state = identifier.state();
    const hosts = new Set<string>();
    for (const g of state.gateways.values()) {
      for (const l of g.listeners) {
        if (l.protocol !== 'HTTPS' || l.tlsMode === 'Passthrough') continue;
        if (state.ports !== undefined && !state.ports.has(l.port)) continue;
        if (l.hostname === undefined || l.hostname.includes('*')) continue;
        hosts.add(l.hostname);
      }
    }
    return Object.freeze([...hosts].sort());
  };
  return Var.async(read(), (update) => {
    let last = '';
    const push = () => {
      const next = read();
      const key = next.join(',');
      if (key === last) return;
      last = key;
      update(next);
    };
    push();
    return identifier.onChange(push);
  });
}

/** Something that takes the union of names from several feeds (an `AcmeManager`). */
export interface HostSink {
  addHosts(hosts: readonly string[]): void;
  removeHosts(hosts: readonly string[]): void;
}

/**
 * One TLS server's names from its router's identifiers. `follow(feeds)` subscribes to a set of
 * identifiers' `tlsHosts` and returns its dispose; several sets may be followed at once (during a
 * reload the new set is followed before the old one is disposed), and the sink sees the union:
 * a name leaves it only when no followed feed has it any more, so names the new set keeps are
 * never retired in between.
 */
export function hostFeed(sink: HostSink, valid: (host: string) => boolean) {
  const counts = new Map<string, number>();
  const add = (hosts: readonly string[]) => {
    const fresh: string[] = [];
    for (const h of hosts) {
      const n = counts.get(h) ?? 0;
      counts.set(h, n + 1);
      if (n === 0) fresh.push(h);
    }
    if (fresh.length > 0) sink.addHosts(fresh);
  };
  const remove = (hosts: readonly string[]) => {
    const gone: string[] = [];
    for (const h of hosts) {
      const n = (counts.get(h) ?? 1) - 1;
      if (n <= 0) {
        counts.delete(h);
        gone.push(h);
      } else counts.set(h, n);
    }
    if (gone.length > 0) sink.removeHosts(gone);
  };
  return {
    follow(feeds: readonly Var<readonly string[]>[]): Dispose {
      const stops = feeds.map((feed) => {
        let previous: readonly string[] = [];
        const stop = feed.observe((hosts) => {
          const next = [...new Set(hosts.filter(valid))];
          add(next.filter((h) => !previous.includes(h)));
          remove(previous.filter((h) => !next.includes(h)));
          previous = next;
        });
        return () => {
          stop();
          remove(previous);
          previous = [];
        };
      });
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}
