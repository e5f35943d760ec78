/** The document the page polls, as the admin's `/admin/dashboard.json` serves it. */
import type { DashboardFeed } from '../../dashboard-feed.js';
import type { RecentRequest } from '../../views.js';

/** `/admin/dashboard.json`: the feed plus the newest recent requests. */
export type Feed = DashboardFeed & { readonly recentRequests?: readonly RecentRequest[] };
