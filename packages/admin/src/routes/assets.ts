/**
 * The dashboard's static assets, served from memory: the HTML shell (at `/` and `/delegator`,
 * with a strict Content-Security-Policy), the bundled script and stylesheet, and the favicon.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DASHBOARD_CSS, DASHBOARD_JS } from '../dashboard/bundle.generated.js';
import { DASHBOARD_FAVICON, dashboardHtml } from '../dashboard/page.js';
import { send } from '../respond.js';
import { type Route, read } from './route.js';

const HTML_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The page and its assets. */
export function assetRoutes(): [string, Route][] {
  const page = (_req: IncomingMessage, res: ServerResponse) =>
    send(res, 200, 'text/html; charset=utf-8', dashboardHtml(), { 'content-security-policy': HTML_CSP });
  return [
    ['/', read(page)],
    ['/delegator', read(page)],
    ['/dashboard.js', read((_req, res) => send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS))],
    ['/dashboard.css', read((_req, res) => send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS))],
    ['/favicon.svg', read((_req, res) => send(res, 200, 'image/svg+xml', DASHBOARD_FAVICON))],
    ['/favicon.ico', read((_req, res) => send(res, 200, 'image/svg+xml', DASHBOARD_FAVICON))],
  ];
}
