/**
 * Closing a retired binding cache (after a namer or policy change) as soon as it is unused: each
 * old client closes once the last request using it ended (its pools then close their idle
 * connections at once), and what is left is closed at the cap, as before. A reload therefore
 * holds old connection pools only as long as requests still need them, not for the whole grace.
 */
import type { Clock } from '@switchyard/core';
import type { RouterBinder } from './types/binding.js';

/**
 * Closes each of `binder`'s clients gracefully once no request uses it, and the binder itself
 * (namer observations, any client still busy) once all are closed or after `capMs`, whichever is
 * first. `done` runs once, after the binder closed.
 */
export function closeWhenIdle(binder: RouterBinder, capMs: number, clock: Clock, done: () => void): void {
  const clients = binder.clients();
  let open = clients.length;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clock.clearTimeout(timer);
    void binder.close(false).finally(done);
  };
  const timer = clock.setTimeout(finish, capMs);
  (timer as { unref?: () => void }).unref?.();
  if (open === 0) {
    finish();
    return;
  }
  for (const client of clients) {
    client.whenIdle(() => {
      void client.close(false);
      if (--open === 0) finish();
    });
  }
}
