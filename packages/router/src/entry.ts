/**
 * Entries of the router's stacks as the stack builder sees them: the typed user layers of each
 * stack, and the layers where the value's type changes (`identify`: Inbound → Identified;
 * `bind`: Identified → Bound; `retries`: attempts → the response).
 */
import type {
  AttemptHandler,
  BoundHandler,
  ClientLayer,
  IdentifiedHandler,
  PathLayer,
  ServerHandler,
  ServerLayer,
} from './stages.js';

/** `identify`: the server stack's last layer, handing `Identified` values to the path stack. */
export interface IdentifyEntry {
  readonly kind: 'identify';
  readonly role: string;
  readonly description: string;
  readonly layer: (next: IdentifiedHandler) => ServerHandler;
}

/** `bind`: the path stack's first layer, turning `Identified` into `Bound`. */
export interface BindEntry {
  readonly kind: 'bind';
  readonly role: string;
  readonly description: string;
  readonly layer: (next: BoundHandler) => IdentifiedHandler;
}

/**
 * `retries`: the path stack's last layer, turning the client stack's held responses into the
 * response to the client: it owns the classifier, the budget and the retry loop.
 */
export interface RetriesEntry {
  readonly kind: 'retries';
  readonly role: string;
  readonly description: string;
  readonly layer: (next: AttemptHandler) => BoundHandler;
}

/** One entry of a stack. */
export type StackEntry = ServerLayer | IdentifyEntry | BindEntry | PathLayer | RetriesEntry | ClientLayer;
