/**
 * clearContext: on a server that treats clients as untrusted, client `l5d-*` and `dtab-local`
 * headers must have no effect on routing and never reach a backend, and backends' `l5d-*`
 * response headers must not reach the client.
 */
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

const MARKER = 'faults-marker';
const STEER = '/svc/web => /#/io.l5d.fs/evil';
/** Headers a hostile client sends: dtab overrides that would steer web to evil, and context. */
const HOSTILE: Readonly<Record<string, string>> = {
  'l5d-dtab': STEER,
  'l5d-ctx-dtab': STEER,
  'dtab-local': STEER,
  'l5d-ctx-trace': MARKER,
  'l5d-ctx-deadline': MARKER,
  'l5d-sample': MARKER,
  'l5d-marker': MARKER,
};

const DTAB_HEADERS = new Set(['l5d-dtab', 'l5d-ctx-dtab', 'dtab-local']);

/** Client context headers are ignored and stripped under clearContext. */
export const clearContext: Scenario = {
  name: 'clear-context',
  description:
    'l5d-*/dtab-local headers from clients never steer routing or reach backends; l5d-* never leaks back',
  timeoutMs: 60_000,
  async run(ctx) {
    const f = await startFixture(ctx, {
      services: { web: ['web-1', 'web-2'], evil: ['evil-1'] },
      servers: [{ clearContext: true }],
      recordHeaders: true,
    });
    const rss = sampleRss(f.router.pid);
    const leakedBack = new Set<string>();
    const result = await startLoad({
      signal: ctx.signal,
      port: f.router.ports[0]!,
      targets: [f.target('web')],
      concurrency: 8,
      total: 300,
      headers: HOSTILE,
      onAnswer: (answer) => {
        for (const name of Object.keys(answer.headers)) {
          if (name.startsWith('l5d-') && !name.startsWith('l5d-dst-')) leakedBack.add(name);
        }
      },
    }).done;
    const problems: string[] = [];
    let leakedBytes = 0;
    const seen = new Set<string>();
    for (const backend of f.backends.values()) {
      for (const { headers } of backend.heads) {
        for (const [name, value] of Object.entries(headers)) {
          const text = String(value);
          // Dtab headers leak by name; context headers by value (the router may add its own trace).
          const leaked = DTAB_HEADERS.has(name) || text.includes(MARKER) || text.includes(STEER);
          if (leaked) {
            seen.add(name);
            leakedBytes += name.length + text.length;
          }
        }
      }
    }
    if (seen.size > 0) problems.push(`client headers reached backends: ${[...seen].sort().join(', ')}`);
    if (leakedBack.size > 0)
      problems.push(`backend l5d-* headers reached the client: ${[...leakedBack].join(', ')}`);
    return { ...loadCounts(result, f.router, rss.stop()), leakedBytes, problems };
  },
};
