/**
 * One-shot list requests once per pod under `--workers N`. Besides their informers (relayed by
 * the primary), workers list the API directly at start-up only to ask whether a resource is
 * served: the `io.l5d.k8s` namer's EndpointSlice check and the identifiers' checks of optional
 * kinds (IngressClass, Gateway API), each a `list` with `limit: 1`. Without this every worker
 * would send them, N × the start-up requests, and a restarted worker would send them again.
 *
 * A worker's client sends its `list` calls to the primary (`relayedListClient`), which makes
 * the request once and shares the answer with every worker asking the same (API server, resource,
 * options) while it is in flight and for {@link LIST_ANSWER_MS} after. Only answers that say
 * what the server serves are shared: a list, 403 or 404. A failure (5xx, a broken connection) is
 * answered to that worker alone, whose caller retries as it would alone. Every other call of the
 * worker's client (get, writes, watch) is its own.
 */
import type { Dispose } from '@switchyard/core';
import {
  createKubeClient,
  KubeApiError,
  type KubeClient,
  type KubeConnectionConfig,
  type KubeList,
  type KubeObject,
  type ListOptions,
  type ResourceDescriptor,
} from '@switchyard/k8s';

/** How long the primary shares a list answer with workers asking the same, ms. */
export const LIST_ANSWER_MS = 60_000;

/** One list message, discriminated by `op`. */
export type ListMessage =
  | {
      readonly kind: 'lists';
      readonly op: 'list';
      readonly id: number;
      readonly connection: KubeConnectionConfig;
      readonly resource: ResourceDescriptor<KubeObject>;
      readonly options: Omit<ListOptions, 'signal'>;
    }
  | {
      readonly kind: 'lists';
      readonly op: 'answer';
      readonly id: number;
      readonly list?: KubeList<KubeObject>;
      /** The API's answer when it was an error status. */
      readonly status?: { readonly code: number; readonly body: KubeApiError['body']; readonly path: string };
      /** Any other failure's message. */
      readonly error?: string;
    };

/** One end of the IPC channel. */
export interface ListPort {
  send(message: ListMessage): void;
  onMessage(listener: (message: unknown) => void): Dispose;
}

type Answer = Omit<Extract<ListMessage, { op: 'answer' }>, 'kind' | 'op' | 'id'>;

function isListMessage(value: unknown): value is ListMessage {
  const m = value as { kind?: unknown; op?: unknown } | null;
  return typeof m === 'object' && m !== null && m.kind === 'lists' && typeof m.op === 'string';
}

function connectionKey(c: KubeConnectionConfig): string {
  return JSON.stringify([c.server, c.tls, c.credentials, c.proxyUrl ?? null, c.impersonate ?? null]);
}

/** The primary side, see {@link serveLists}. */
export interface ListsServer {
  attach(port: ListPort): Dispose;
  /** Closes the clients it made. */
  close(): Promise<void>;
}

/**
 * The primary side: makes each distinct list once and shares its answer (see the module
 * comment). `clock` is for tests.
 */
export function serveLists(options: { readonly now?: () => number } = {}): ListsServer {
  const now = options.now ?? Date.now;
  const clients = new Map<string, KubeClient>();
  const answers = new Map<string, { answer: Promise<Answer>; until: number }>();

  const ask = (message: Extract<ListMessage, { op: 'list' }>): Promise<Answer> => {
    const connection = connectionKey(message.connection);
    const key = JSON.stringify([connection, message.resource, message.options]);
    const shared = answers.get(key);
    if (shared !== undefined && shared.until > now()) return shared.answer;
    let client = clients.get(connection);
    if (client === undefined) {
      client = createKubeClient(message.connection);
      clients.set(connection, client);
    }
    const answer = client.list(message.resource, message.options).then(
      (list): Answer => ({ list }),
      (error: unknown): Answer =>
        error instanceof KubeApiError
          ? {
              status: {
                code: error.status,
                body: error.body,
                path: `${message.resource.group || 'core'}/${message.resource.version} ${message.resource.plural}`,
              },
            }
          : { error: String((error as Error)?.message ?? error) },
    );
    const entry = { answer, until: Number.POSITIVE_INFINITY };
    answers.set(key, entry);
    void answer.then((a) => {
      const servedOrNot = a.list !== undefined || a.status?.code === 403 || a.status?.code === 404;
      if (servedOrNot) entry.until = now() + LIST_ANSWER_MS;
      else if (answers.get(key) === entry) answers.delete(key);
    });
    return answer;
  };

  return {
    attach(port) {
      return port.onMessage((message) => {
        if (!isListMessage(message) || message.op !== 'list') return;
        let answer: Promise<Answer>;
        try {
          answer = ask(message);
        } catch (error) {
          // A connection config the client refuses: that worker's caller sees the error.
          answer = Promise.resolve({ error: String((error as Error)?.message ?? error) });
        }
        void answer.then((a) => port.send({ kind: 'lists', op: 'answer', id: message.id, ...a }));
      });
    },
    async close() {
      answers.clear();
      await Promise.all([...clients.values()].map((c) => c.close()));
      clients.clear();
    },
  };
}

let nextId = 1;

/**
 * The worker side: `client` with its `list` answered by the primary ({@link serveLists}); an
 * error status comes back as a {@link KubeApiError} with the same status, so callers that check
 * for 404 behave as with their own request. A `signal` in the options is not relayed.
 */
export function relayedListClient(port: ListPort, client: KubeClient): KubeClient {
  const waiting = new Map<number, (answer: Extract<ListMessage, { op: 'answer' }>) => void>();
  port.onMessage((message) => {
    if (isListMessage(message) && message.op === 'answer') waiting.get(message.id)?.(message);
  });
  const list = <T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    options: ListOptions = {},
  ): Promise<KubeList<T>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (answer) => {
        waiting.delete(id);
        if (answer.list !== undefined) resolve(answer.list as KubeList<T>);
        else if (answer.status !== undefined)
          reject(new KubeApiError('GET', answer.status.path, answer.status.code, answer.status.body));
        else reject(new Error(`list through the primary failed: ${answer.error}`));
      });
      const { signal: _signal, ...relayed } = options;
      port.send({
        kind: 'lists',
        op: 'list',
        id,
        connection: client.config,
        resource: { ...resource } as unknown as ResourceDescriptor<KubeObject>,
        options: relayed,
      });
    });
  return Object.freeze({ ...client, list });
}
