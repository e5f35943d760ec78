/**
 * Fixtures of the k8s socket tests: recording informer events. The Service builder and the wait on
 * informer state are testkit's (`kubeService`, `untilInformer`), re-exported under the names these
 * tests use.
 */
import type { InformerEvent, InformerView, KubeObject, Service } from '@switchyard/k8s';

export { kubeService as service, untilInformer as until } from '@switchyard/testkit';

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
