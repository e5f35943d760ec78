/**
 * The dashboard's HTML shell. Everything else is served from memory (`/dashboard.js`,
 * `/dashboard.css`): no CDN, nothing fetched from outside, so it works on an air-gapped cluster
 * and under a strict Content-Security-Policy (no inline script or style).
 */

/** The favicon: a switch track in the dashboard's accent colour. */
export const DASHBOARD_FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f172a"/>' +
  '<path d="M6 24h8l8-16h4M6 8h8l3 6" stroke="#38bdf8" stroke-width="3" fill="none" stroke-linecap="round"/></svg>';

/** The page served at `/` and `/delegator`. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard admin</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<div id="app"><noscript>The Switchyard dashboard needs JavaScript. The JSON endpoints are listed at /admin.</noscript></div>
<script src="/dashboard.js" defer></script>
</body>
</html>
`;
}
