/** Readiness as the admin reads it: `/admin/ready` and the dashboard's readiness row agree. */
import type { ReadinessSource } from './views.js';

/** A readiness check that throws counts as not ready. */
export function safeReady(r: ReadinessSource): boolean {
  try {
    return r.ready() === true;
  } catch {
    return false;
  }
}
