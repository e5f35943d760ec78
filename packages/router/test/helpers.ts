/**
 * Router test fixtures: a tiny header identifier (the identifiers package is written
 * separately), a namer the test drives, a router wired to core's interpreter, and per-file
 * cleanup. Backends and HTTP clients are testkit's (`startBackend`, `httpRequest`, `rawExchange`).
 */
import {
  Activity as Act,
  type Activity,
  type Addr,
  createInterpreter,
  type Identifier,
  identified,
  Name,
  type NamerEntry,
  type RequestHead,
  unidentified,
  Var,
  type WritableVar,
} from '@switchyard/core';
import { Dtab, type NameTree } from '@switchyard/dtab';
import { type Backend, type BackendHandler, startBackend } from '@switchyard/testkit';
import { afterEach } from 'vitest';
import { createRouter, type Router, type RouterOptions } from '../src/index.js';

/** `/svc/<value of header>`; unidentified when the header is absent (like io.l5d.header.token). */
export function headerIdentifier(header = 'x-dst', status?: number): Identifier<RequestHead> {
  return async (req) => {
    const value = req.headers[header];
    if (typeof value !== 'string' || value === '') return unidentified(`${header} header is absent`, status);
    return identified(['svc', value], req);
  };
}

/** A namer under `/#/test` whose names and address sets the test changes at will. */
export function testNamer(): {
  entry: NamerEntry;
  addr(name: string): WritableVar<Addr>;
} {
  const vars = new Map<string, WritableVar<Addr>>();
  const addr = (name: string) => {
    let v = vars.get(name);
    if (v === undefined) {
      v = Var.value<Addr>({ kind: 'pending' });
      vars.set(name, v);
    }
    return v;
  };
  return {
    entry: {
      prefix: ['#', 'test'],
      namer: {
        lookup(path): Activity<NameTree<Name>> {
          const name = path[0];
          if (name === undefined) return Act.value({ kind: 'neg' });
          return Act.value({
            kind: 'leaf',
            value: Name.bound(['#', 'test', name], addr(name), path.slice(1)),
          });
        },
      },
    },
    addr,
  };
}

/** A router on an ephemeral loopback port with the given dtab text. */
export async function startRouter(
  dtab: string,
  options: Partial<RouterOptions> & { namers?: readonly NamerEntry[] } = {},
): Promise<{ router: Router; port: number }> {
  const { namers, ...rest } = options;
  const router = createRouter({
    servers: [{ port: 0 }],
    identifier: headerIdentifier(),
    interpreter: createInterpreter({ namers: namers ?? [] }),
    dtab: Dtab.read(dtab),
    ...rest,
  });
  const [server] = await router.listen();
  return { router, port: server!.port };
}

/**
 * Per-file fixtures: backends and routers started through these (and anything pushed on
 * `cleanup`) are closed after each test, in reverse order, even when the test fails.
 */
export function fixtures(graceMs: number): {
  cleanup: (() => Promise<unknown>)[];
  backend(handler?: BackendHandler): Promise<Backend>;
  router(dtab: string, options?: Parameters<typeof startRouter>[1]): ReturnType<typeof startRouter>;
} {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()!();
  });
  return {
    cleanup,
    async backend(handler) {
      const b = await startBackend(handler);
      cleanup.push(() => b.close());
      return b;
    },
    async router(dtab, options = {}) {
      const r = await startRouter(dtab, options);
      // close() is idempotent: a test that closes the router itself is unaffected.
      cleanup.push(() => r.router.close({ graceMs }));
      return r;
    },
  };
}
