/**
 * The shared dtab store through the admin (issue 16 item 4): `GET /admin/dtab-store.json` lists
 * each router's store with its current dtab and version; `PUT /admin/dtab-store/<label>` (a
 * control route: only with control enabled, bearer token required) writes a router's store with
 * optimistic concurrency — the body names the version it read, and a store that has moved on
 * since answers 409 with what it holds now, so two operators cannot overwrite each other blindly.
 */
import { Dtab } from '@switchyard/dtab';
import type { DtabStoreDocument } from '../dashboard/document.js';
import { dtabStoreState } from '../dashboard/feed.js';
import { badRequest } from '../errors.js';
import { readBody } from '../read-body.js';
import { sendJson } from '../respond.js';
import type { AdminDtabStoreView, AdminRouterView, AdminStoredDtab } from '../views.js';
import type { AdminContext } from './context.js';
import { control, type Route, read } from './route.js';

/** Where a router's store is written: `/admin/dtab-store/<label>` (the label URL-encoded). */
export function dtabStorePath(label: string): string {
  return `/admin/dtab-store/${encodeURIComponent(label)}`;
}

function document(router: string, store: AdminDtabStoreView, stored?: AdminStoredDtab): DtabStoreDocument {
  return { router, ...dtabStoreState(store, stored) };
}

const withStore = (routers: readonly AdminRouterView[]) =>
  routers.flatMap((r) => (r.dtabStore === undefined ? [] : [{ label: r.label, store: r.dtabStore }]));

/** The read route (always served). */
export function dtabStoreReadRoutes(ctx: AdminContext): [string, Route][] {
  return [
    [
      '/admin/dtab-store.json',
      read((_req, res, url) =>
        sendJson(
          res,
          200,
          withStore(ctx.options.routers ?? []).map(({ label, store }) => document(label, store)),
          url,
        ),
      ),
    ],
  ];
}

const BODY_SHAPE = '{"dtab": "<dentries>", "version": "<version read>" | null}';

/** The write routes, one per router with a store (call only when control is enabled). */
export function dtabStoreWriteRoutes(ctx: AdminContext): [string, Route][] {
  return withStore(ctx.options.routers ?? []).map(({ label, store }): [string, Route] => [
    dtabStorePath(label),
    control(
      async (req, res, url) => {
        const text = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw badRequest(`body is not JSON (${BODY_SHAPE}): ${(err as Error).message}`, err);
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw badRequest(`body must be a JSON object: ${BODY_SHAPE}`);
        const { dtab: dtabText, version } = body as { dtab?: unknown; version?: unknown };
        if (typeof dtabText !== 'string') throw badRequest('`dtab` must be a string of dentries');
        if (version !== null && typeof version !== 'string') {
          throw badRequest(
            '`version` is required: the version read from /admin/dtab-store.json, or null when nothing is stored',
          );
        }
        let dtab: Dtab;
        try {
          dtab = Dtab.read(dtabText);
        } catch (err) {
          throw badRequest(`invalid dtab: ${(err as Error).message}`, err);
        }
        const result = await store.update(dtab, version ?? undefined);
        switch (result.kind) {
          case 'updated':
            sendJson(res, 200, document(label, store, result.stored), url);
            return;
          case 'conflict':
            sendJson(res, 409, { error: result.message, current: document(label, store) }, url);
            return;
        }
      },
      ['PUT', 'POST'],
    ),
  ]);
}
