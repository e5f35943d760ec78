/**
 * The built-in plugin kinds, one registry per category. Users register their own kinds on the
 * returned categories before loading a config (`kinds.namer.register({...})`).
 */
import type { Backoff, FailureAccrualPolicy, ResponseClassifier } from '@switchyard/balancers';
import type { BuildContext } from './build-context.js';
import {
  type BuiltBalancer,
  type BuiltFailureAccrual,
  backoffKinds,
  failureAccrualKinds,
  loadBalancerKinds,
  responseClassifierKinds,
} from './kinds/balancers.js';
import { registerGatewayKinds } from './kinds/gateway.js';
import { type BuiltIdentifier, identifierKinds } from './kinds/identifiers.js';
import { registerKubernetesKinds } from './kinds/kubernetes.js';
import { type BuiltNamer, namerKinds } from './kinds/namers.js';
import type { LinkerKinds } from './linker-schema.js';
import type { KindCategory } from './registry.js';
import { type BuiltTelemeter, telemeterKinds } from './telemetry.js';

/** Every plugin category with its built type. */
export interface DefaultKinds extends LinkerKinds {
  readonly namer: KindCategory<BuiltNamer, BuildContext>;
  readonly identifier: KindCategory<BuiltIdentifier, BuildContext>;
  readonly loadBalancer: KindCategory<BuiltBalancer, BuildContext>;
  readonly failureAccrual: KindCategory<BuiltFailureAccrual, BuildContext>;
  readonly responseClassifier: KindCategory<ResponseClassifier, BuildContext>;
  readonly telemeter: KindCategory<BuiltTelemeter, BuildContext>;
  readonly backoff: KindCategory<Backoff, BuildContext>;
}

/** Fresh registries holding every built-in kind (Linkerd 1 names). */
export function createDefaultKinds(): DefaultKinds {
  const backoff = backoffKinds();
  const kinds: DefaultKinds = {
    namer: namerKinds(),
    identifier: identifierKinds(),
    loadBalancer: loadBalancerKinds(),
    failureAccrual: failureAccrualKinds(backoff),
    responseClassifier: responseClassifierKinds(),
    telemeter: telemeterKinds(),
    backoff,
  };
  registerKubernetesKinds(kinds);
  registerGatewayKinds(kinds);
  return kinds;
}

export type { FailureAccrualPolicy };
