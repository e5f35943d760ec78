/**
 * The control routes: `POST /admin/shutdown`, `POST /admin/control/check` (answers 200 when the
 * bearer token is right, and changes nothing), and the integrator's `controlRoutes` (e.g. the
 * config's override mint). Registered only when control is enabled — disabled control routes
 * answer 404, indistinguishable from absent. The bearer check happens before any of them runs.
 */
import { channel } from 'node:diagnostics_channel';
import { sendText } from '../respond.js';
import type { AdminContext } from './context.js';
import { control, type Route } from './route.js';

const shutdownChannel = channel('switchyard:admin:shutdown');

/** The control routes (call only when control is enabled). */
export function controlRoutes(ctx: AdminContext): [string, Route][] {
  let shuttingDown = false;
  const shutdown = control(async (_req, res) => {
    const first = !shuttingDown;
    shuttingDown = true;
    sendText(res, 202, first ? 'shutting down' : 'already shutting down');
    if (!first) return;
    if (shutdownChannel.hasSubscribers) shutdownChannel.publish({});
    if (!res.writableFinished) await new Promise<void>((resolve) => res.once('finish', () => resolve()));
    await ctx.options.onShutdown?.();
  });
  return [
    ['/admin/shutdown', shutdown],
    // Lets the dashboard check a typed token before it shows the forms that need one.
    ['/admin/control/check', control((_req, res) => sendText(res, 200, 'token accepted'))],
    ...Object.entries(ctx.options.controlRoutes ?? {}).map(([path, handler]): [string, Route] => [
      path,
      control(handler),
    ]),
  ];
}
