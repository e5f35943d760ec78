/** The document the page polls, as the admin's `/admin/dashboard.json` serves it. */

import type { RecentRequest } from '../../views.js';
import type { DashboardFeed } from '../document.js';

/** `/admin/dashboard.json`: the feed plus the newest recent requests. */
export type Feed = DashboardFeed & { readonly recentRequests?: readonly RecentRequest[] };
