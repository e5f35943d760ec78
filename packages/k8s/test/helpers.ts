/** Shared fixtures for the k8s socket tests: objects, and waiting on informer state without timers. */
import type { InformerEvent, InformerView, KubeObject, Service } from '@switchyard/k8s';

export function service(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  port = 80,
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, labels },
    spec: { ports: [{ name: 'http', port, targetPort: 8080 }] },
  };
}

/** Resolves when `predicate(view)` holds, re-checked on every informer event. */
export function until<T extends KubeObject>(view: InformerView<T>, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate()) return resolve();
    const dispose = view.subscribe(
      () => {
        if (predicate()) {
          queueMicrotask(dispose);
          resolve();
        }
      },
      { replay: false },
    );
  });
}

/** Records every event of an informer, for exact assertions on what consumers saw. */
export function record<T extends KubeObject>(view: InformerView<T>): InformerEvent<T>[] {
  const events: InformerEvent<T>[] = [];
  view.subscribe((e) => events.push(e));
  return events;
}

/** `kind:namespace/name@port` strings of the change events, for compact comparisons. */
export function describe(events: readonly InformerEvent<Service>[]): string[] {
  return events.map((e) =>
    e.kind === 'synced'
      ? `synced${e.relist ? ':relist' : ''}`
      : `${e.kind}:${e.object.metadata.namespace}/${e.object.metadata.name}@${e.object.spec?.ports?.[0]?.port}`,
  );
}

export function names(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
}
