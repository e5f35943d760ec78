/**
 * Addr: the current address set of a bound name, finagle's `com.twitter.finagle.Addr`.
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
