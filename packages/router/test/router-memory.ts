/**
 * The router's own memory during a test's work: the router runs in a process of its own
 * (fixtures/router-process.ts), because the test's backend and client allocate their buffers in
 * the test process, which says nothing about the router's memory.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** What a test's work may ask the router process. */
export interface RouterProcess {
  /** Moves the base to now: a full GC, then the current RSS. */
  reset(): Promise<void>;
  /** Bytes of buffers the router still references, after a full GC (no garbage). */
  liveBuffers(): Promise<number>;
}

/**
 * Starts a router process routing every request to `/svc/big` under `dtab` (`h2`: h2c and
 * HTTP/1.1 on its port, h2c to the endpoint), sends `warm` (one small request of the same kind),
 * takes the base after it and a full GC, runs `work`, and returns its result and the router
 * process's peak RSS growth in bytes: the body's cost, not the process's first request (code
 * loaded and compiled once, undici's parser). `work` may ask the process (`RouterProcess`).
 * The process is killed by `cleanup`.
 */
export async function routerRssGrowth<T>(
  cleanup: (() => Promise<unknown>)[],
  options: { readonly dtab: string; readonly h2?: boolean },
  warm: (routerPort: number) => Promise<unknown>,
  work: (routerPort: number, child: RouterProcess) => Promise<T>,
): Promise<{ result: T; growth: number }> {
  const child = fork(
    fileURLToPath(new URL('./fixtures/router-process.ts', import.meta.url)),
    options.h2 ? [options.dtab, 'h2'] : [options.dtab],
    {
      // From the package folder, where `tsx` resolves.
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      execArgv: ['--import', 'tsx', '--conditions=switchyard:source', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  });
  const ask = (message?: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`router process exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as Record<string, number>);
      });
      if (message !== undefined) child.send(message);
    });
  const { port } = await ask();
  await warm(port!);
  await ask('reset');
  const result = await work(port!, {
    reset: async () => {
      await ask('reset');
    },
    liveBuffers: async () => (await ask('live')).arrayBuffers!,
  });
  const { base, peak } = await ask('peak');
  return { result, growth: peak! - base! };
}
