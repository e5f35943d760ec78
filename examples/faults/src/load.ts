/**
 * Bounded HTTP(S) load over node:http: a fixed number of workers, each sending one request at a
 * time on a keep-alive agent, until a request budget is spent or `stop()` is called. Each answer
 * is checked: status 200 and a body naming one of the backends the Host may reach.
 */
import http from 'node:http';
import https from 'node:https';
import { eventually as pollUntil } from '@switchyard/testkit';

/** A target: requests carry `host` and must be answered by one of `backends` (by name). */
export interface Target {
  readonly host: string;
  readonly backends: ReadonlySet<string> | (() => ReadonlySet<string>);
}

/** Load options. */
export interface LoadOptions {
  readonly port: number;
  readonly targets: readonly Target[];
  readonly concurrency: number;
  /** Stop after this many requests (default: until `stop()`). */
  readonly total?: number;
  /** Stop starting requests after this long, ms (default: no limit). */
  readonly durationMs?: number;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** HTTPS with this trust root and SNI name. */
  readonly tls?: { readonly ca: string; readonly servername: string };
  /** false: a new connection per request (default keep-alive). */
  readonly keepAlive?: boolean;
  /** Per-request limit, ms (default 15 s: longer than the router's 10 s binding timeout, so its 503 is seen). */
  readonly requestTimeoutMs?: number;
  /** Stops starting requests when aborted (pass the scenario's signal: a timed-out scenario stops). */
  readonly signal?: AbortSignal;
  /** Called with every answer (e.g. to look at response headers). */
  readonly onAnswer?: (answer: Answer) => void;
}

/** One answer. */
export interface Answer {
  readonly target: Target;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly backend: string;
  readonly peerCertificateSerial?: string;
}

/** What a load run counted. */
export interface LoadResult {
  readonly sent: number;
  readonly failed: number;
  readonly wrongBackend: number;
  /** Answers per backend name. */
  readonly byBackend: ReadonlyMap<string, number>;
  /** Up to 5 examples of failures, for the report. */
  readonly samples: readonly string[];
}

/** A load run in progress. */
export interface Load {
  /** Requests answered so far (any outcome). */
  readonly completed: number;
  /** Current counts (safe to read while running). */
  snapshot(): LoadResult;
  /** Stops starting new requests; resolves when in-flight ones are done. */
  stop(): Promise<LoadResult>;
  /** Resolves when the budget is spent (or after `stop()`). */
  readonly done: Promise<LoadResult>;
}

/** Starts load; see `LoadOptions`. */
export function startLoad(options: LoadOptions): Load {
  const secure = options.tls !== undefined;
  const agentOptions = { keepAlive: options.keepAlive ?? true, maxSockets: options.concurrency };
  const agent = secure
    ? new https.Agent({
        ...agentOptions,
        ca: options.tls!.ca,
        servername: options.tls!.servername,
        // No session resumption: every new connection is a full handshake that shows the current certificate.
        maxCachedSessions: 0,
      })
    : new http.Agent(agentOptions);
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let wrongBackend = 0;
  let stopped = false;
  const byBackend = new Map<string, number>();
  const samples: string[] = [];
  const sample = (text: string) => {
    if (samples.length < 5) samples.push(text);
  };
  const snapshot = (): LoadResult => ({ sent, failed, wrongBackend, byBackend: new Map(byBackend), samples });

  const one = async (target: Target) => {
    try {
      const answer = await request(options, secure ? https : http, agent, target);
      options.onAnswer?.(answer);
      if (answer.status !== 200) {
        failed++;
        sample(`${target.host}: ${answer.status} ${answer.body.slice(0, 120).replace(/\s+/g, ' ')}`);
        return;
      }
      byBackend.set(answer.backend, (byBackend.get(answer.backend) ?? 0) + 1);
      const allowed = typeof target.backends === 'function' ? target.backends() : target.backends;
      if (!allowed.has(answer.backend)) {
        wrongBackend++;
        sample(`${target.host}: answered by ${answer.backend}`);
      }
    } catch (error) {
      failed++;
      sample(`${target.host}: ${(error as NodeJS.ErrnoException).code ?? ''} ${(error as Error).message}`);
    } finally {
      completed++;
    }
  };
  const until = options.durationMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.durationMs;
  const worker = async (index: number) => {
    let i = index;
    while (
      !stopped &&
      !options.signal?.aborted &&
      (options.total === undefined || sent < options.total) &&
      Date.now() < until
    ) {
      sent++;
      await one(options.targets[i++ % options.targets.length]!);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i))).then(() => {
    agent.destroy();
    return snapshot();
  });
  return {
    get completed() {
      return completed;
    },
    snapshot,
    stop() {
      stopped = true;
      return done;
    },
    done,
  };
}

function request(
  options: LoadOptions,
  client: typeof http | typeof https,
  agent: http.Agent,
  target: Target,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = client.request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        method: 'GET',
        agent,
        headers: { ...options.headers, host: target.host },
      },
      (res) => {
        // Read the certificate now: without keep-alive the socket is gone by 'end'.
        const socket = res.socket as import('node:tls').TLSSocket | null;
        const serial =
          socket && 'getPeerCertificate' in socket ? socket.getPeerCertificate()?.serialNumber : undefined;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          resolve({
            target,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            backend: body.split(' ')[0] ?? '',
            ...(serial ? { peerCertificateSerial: serial } : {}),
          });
        });
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.setTimeout(options.requestTimeoutMs ?? 15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Sends `count` requests to `target` one after another; a short sequential probe. */
export function probe(
  options: Omit<LoadOptions, 'concurrency' | 'total' | 'targets'>,
  target: Target,
  count: number,
): Promise<LoadResult> {
  return startLoad({ ...options, targets: [target], concurrency: 1, total: count }).done;
}

/**
 * Polls `check` every 50 ms until it is true; false when `timeoutMs` passes first (a scenario
 * counts that as a problem rather than failing on an exception). A check that throws rejects.
 * The polling is testkit's `eventually`.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  let thrown: { readonly error: unknown } | undefined;
  const guarded = async (): Promise<boolean> => {
    try {
      return await check();
    } catch (error) {
      thrown = { error };
      return true;
    }
  };
  try {
    await pollUntil(guarded, { timeoutMs, intervalMs: 50 });
  } catch {
    return false;
  }
  if (thrown !== undefined) throw thrown.error;
  return true;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
