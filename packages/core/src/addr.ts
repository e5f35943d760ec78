/**
 * Addr: the current address set of a bound name, finagle's `com.twitter.finagle.Addr`. A namer
 * publishes a `Var<Addr>` per bound name; balancers follow it.
 */

/** One concrete endpoint. `weight` defaults to 1; `meta` carries namer metadata (zone, node...). */
export interface Address {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly meta: Readonly<Record<string, unknown>>;
}

/** `bound` a (possibly empty) set; `pending` not known yet; `neg` does not exist; `failed` lookup error. */
export type Addr =
  | {
      readonly kind: 'bound';
      readonly addresses: readonly Address[];
      readonly meta: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'pending' }
  | { readonly kind: 'neg' }
  | { readonly kind: 'failed'; readonly error: Error };

const EMPTY_META: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Builds an {@link Address}. `weight` defaults to 1 (finagle's `Address.Inet` weight metadata
 * lives here as a field), `meta` to a frozen empty object.
 */
export function address(
  host: string,
  port: number,
  options: { weight?: number; meta?: Readonly<Record<string, unknown>> } = {},
): Address {
  return Object.freeze({ host, port, weight: options.weight ?? 1, meta: options.meta ?? EMPTY_META });
}

const PENDING: Addr = Object.freeze({ kind: 'pending' });
const NEG: Addr = Object.freeze({ kind: 'neg' });

/** Constructors for {@link Addr}. `pending` and `neg` are frozen singletons. */
export const Addr = Object.freeze({
  /** A bound address set (frozen copy of `addresses`). */
  bound(addresses: readonly Address[], meta: Readonly<Record<string, unknown>> = EMPTY_META): Addr {
    return Object.freeze({ kind: 'bound', addresses: Object.freeze([...addresses]), meta });
  },
  /** Not known yet. */
  pending: PENDING,
  /** The name does not exist. */
  neg: NEG,
  /** Resolution failed with `error`. */
  failed(error: Error): Addr {
    return Object.freeze({ kind: 'failed', error });
  },
});
