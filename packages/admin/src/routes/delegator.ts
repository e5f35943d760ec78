/** The delegator route, `/delegator.json` (GET with a query, or POST with Linkerd's JSON body). */
import { delegate, readDelegateRequest } from '../delegator.js';
import { sendJson } from '../respond.js';
import type { AdminContext } from './context.js';
import type { Route } from './route.js';

/** `/delegator.json`: answers GET/HEAD and POST, none of which changes anything. */
export function delegatorRoutes(ctx: AdminContext): [string, Route][] {
  return [
    [
      '/delegator.json',
      {
        methods: ['GET', 'HEAD', 'POST'],
        access: 'read',
        probe: false,
        handler: async (req, res, url) => {
          const request = await readDelegateRequest(req, url);
          const tree = await delegate(request, ctx.options.routers ?? [], {
            clock: ctx.clock,
            timeoutMs: ctx.options.delegateTimeoutMs ?? 10_000,
          });
          sendJson(res, 200, tree, url);
        },
      },
    ],
  ];
}
