/**
 * `/delegator.json`: explains how a router would route a path under its dtab plus an override,
 * as Linkerd 1's delegator does. Parsing the request and running the delegation are separate so
 * each names its own errors (`SY_ERR_ADMIN_BAD_REQUEST` with the parameter, line and column;
 * `SY_ERR_ADMIN_UNKNOWN_ROUTER`; `SY_ERR_ADMIN_DELEGATE_FAILED`).
 */
import type { IncomingMessage } from 'node:http';
import { type Clock, type DelegateTree, SwitchyardError } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { AdminError, badRequest } from './errors.js';
import { readBody } from './read-body.js';
import type { AdminRouterView } from './views.js';

/** A parsed delegator request. */
export interface DelegateRequest {
  readonly path: Path;
  /** Appended to the router's dtab (later entries win), like an `l5d-dtab` header. */
  readonly dtab: Dtab;
  /** The router label (`router=` or Linkerd's `namespace`); optional when there is one router. */
  readonly router: string | undefined;
}

/** Reads `?path=&dtab=&router=` (GET) or a JSON body `{path, dtab, namespace}` (POST). */
export async function readDelegateRequest(req: IncomingMessage, url: URL): Promise<DelegateRequest> {
  let params: { path?: unknown; dtab?: unknown; router?: unknown; namespace?: unknown };
  if (req.method === 'POST') {
    const text = await readBody(req);
    try {
      params = JSON.parse(text) as typeof params;
    } catch (err) {
      throw badRequest(`body is not JSON: ${(err as Error).message}`, err);
    }
    if (typeof params !== 'object' || params === null) throw badRequest('body must be a JSON object');
  } else {
    const q = url.searchParams;
    params = {
      path: q.get('path') ?? undefined,
      dtab: q.get('dtab') ?? undefined,
      router: q.get('router') ?? undefined,
      namespace: q.get('namespace') ?? undefined,
    };
  }
  const pathText = params.path;
  if (typeof pathText !== 'string' || pathText.trim() === '')
    throw badRequest('missing `path` (e.g. /svc/web)');
  const dtabText = params.dtab ?? '';
  if (typeof dtabText !== 'string') throw badRequest('`dtab` must be a string');
  const router = params.router ?? params.namespace;
  if (router !== undefined && typeof router !== 'string') throw badRequest('`router` must be a string');
  let path: Path;
  try {
    path = Path.read(pathText);
  } catch (err) {
    throw badRequest(`invalid path: ${(err as Error).message}`, err);
  }
  let dtab: Dtab;
  try {
    dtab = Dtab.read(dtabText);
  } catch (err) {
    throw badRequest(`invalid dtab: ${(err as Error).message}`, err);
  }
  return { path, dtab, router };
}

/** Runs the delegation on the chosen router, failing after `timeoutMs` if still pending. */
export function delegate(
  request: DelegateRequest,
  routers: readonly AdminRouterView[],
  options: { readonly clock: Clock; readonly timeoutMs: number },
): Promise<DelegateTree> {
  const view = pickRouter(routers, request.router);
  return withTimeout(view.delegate(request.path, request.dtab), request.path, options);
}

function pickRouter(routers: readonly AdminRouterView[], name: string | undefined): AdminRouterView {
  const labels = routers.map((r) => r.label).join(', ');
  if (name === undefined || name === '') {
    if (routers.length === 1) return routers[0] as AdminRouterView;
    if (routers.length === 0)
      throw new AdminError('SY_ERR_ADMIN_UNKNOWN_ROUTER', 'no routers are configured');
    throw badRequest(`several routers (${labels}): choose one with \`router=\``);
  }
  const found = routers.find((r) => r.label === name);
  if (found === undefined) {
    throw new AdminError(
      'SY_ERR_ADMIN_UNKNOWN_ROUTER',
      `unknown router ${JSON.stringify(name)} (routers: ${labels})`,
    );
  }
  return found;
}

function withTimeout(
  p: Promise<DelegateTree>,
  path: Path,
  { clock, timeoutMs }: { readonly clock: Clock; readonly timeoutMs: number },
): Promise<DelegateTree> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      reject(
        new AdminError(
          'SY_ERR_ADMIN_DELEGATE_FAILED',
          `delegation of ${Path.show(path)} still pending after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    p.then(
      (tree) => {
        clock.clearTimeout(timer);
        resolve(tree);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(
          err instanceof SwitchyardError
            ? err
            : new AdminError(
                'SY_ERR_ADMIN_DELEGATE_FAILED',
                `delegation of ${Path.show(path)} failed: ${String(err)}`,
                { cause: err },
              ),
        );
      },
    );
  });
}
