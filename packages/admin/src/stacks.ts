/**
 * `/admin/stacks.json`: each router's server, path and client stacks, layer by layer (role and
 * description, user layers included), as Linkerd 1's admin printed a router's modules.
 */
import type { AdminLayerView, AdminRouterView, AdminStacksView } from './views.js';

/** One router's stacks; `stacks` is absent when the integrator's view does not provide them. */
export interface RouterStacksDocument {
  readonly router: string;
  readonly stacks?: AdminStacksView;
}

function layers(list: readonly AdminLayerView[]): AdminLayerView[] {
  // Only the printable fields: a view may hand over the layer objects themselves.
  return list.map((l) => ({ role: l.role, description: l.description }));
}

/** The document for every router, in configuration order. */
export function routerStacks(routers: readonly AdminRouterView[]): RouterStacksDocument[] {
  return routers.map((r) => {
    const stacks = r.stacks?.();
    if (stacks === undefined) return { router: r.label };
    return {
      router: r.label,
      stacks: { server: layers(stacks.server), path: layers(stacks.path), client: layers(stacks.client) },
    };
  });
}
