/**
 * A router's client and service policies from `client:` and `service:` (one global object, or
 * io.l5d.static entries per prefix), as the router takes them: balancers with failure accrual,
 * pools, upstream TLS (with `{var}` captures in `commonName`), timeouts, classifiers, budgets.
 */
import { resolve } from 'node:path';
import {
  consecutiveFailures,
  requeueBudget,
  retryBackoff,
  retryBudget,
  withFailureAccrual,
} from '@switchyard/balancers';
import type { Path } from '@switchyard/dtab';
import type {
  ClientProtocol,
  RouterClientOptions,
  RouterPolicies,
  RouterServiceOptions,
} from '@switchyard/router';
import { clientTlsOptions } from '@switchyard/tls';
import type { BuildContext } from './build-context.js';
import type { DefaultKinds } from './default-kinds.js';
import type { RouterConfig } from './linker-schema.js';
import { staticPolicy, substitute, templateNames } from './static-policies.js';

/** `client.tls` as `tls.connect` options; certificate files are read (and checked) now. */
function upstreamTls(tls: NonNullable<ClientParams['tls']>, context: BuildContext) {
  const at = (p: string) => resolve(context.baseDir, p);
  return clientTlsOptions({
    ...(tls.commonName ? { commonName: tls.commonName } : {}),
    ...(tls.trustCertsBundle ? { trustCertsBundle: at(tls.trustCertsBundle) } : {}),
    disableValidation: tls.disableValidation,
    ...(tls.clientAuth
      ? { clientAuth: { certPath: at(tls.clientAuth.certPath), keyPath: at(tls.clientAuth.keyPath) } }
      : {}),
  });
}

type ClientConfig = NonNullable<RouterConfig['client']>;

/** The parameters of a client: the global object's, or one io.l5d.static entry's (those it wrote). */
type ClientParams = Partial<Omit<Extract<ClientConfig, { kind: 'io.l5d.global' }>, 'kind'>>;

type ServiceConfig = NonNullable<RouterConfig['service']>;

type ServiceParams = Partial<Omit<Extract<ServiceConfig, { kind: 'io.l5d.global' }>, 'kind'>>;

/**
 * Router client options from client parameters: kinds (balancer, failure accrual) are built
 * now; the result is made per name, substituting the prefix's captures into `tls.commonName`.
 */
async function clientOptionsMaker(
  p: ClientParams,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<(captures: Readonly<Record<string, string>>) => RouterClientOptions> {
  const lb = p.loadBalancer ? await kinds.loadBalancer.build(p.loadBalancer, context) : undefined;
  const accrual = p.failureAccrual ? await kinds.failureAccrual.build(p.failureAccrual, context) : undefined;
  const balancer =
    lb || accrual
      ? withFailureAccrual(
          lb?.factory ??
            (await kinds.loadBalancer.build({ kind: 'p2c', options: { maxEffort: 5 } }, context)).factory,
          accrual?.policy ?? consecutiveFailures({ failures: 5 }),
          { clock: context.clock, ...(accrual?.backoff ? { backoff: accrual.backoff } : {}) },
        )
      : undefined;
  const requeue = p.requeueBudget;
  const tls = p.tls;
  const templated = tls?.commonName !== undefined && templateNames(tls.commonName).length > 0;
  const fixedTls = tls !== undefined && !templated ? upstreamTls(tls, context) : undefined;
  const options: RouterClientOptions = {
    ...(balancer ? { balancer } : {}),
    ...(p.requestAttemptTimeoutMs ? { requestAttemptTimeoutMs: p.requestAttemptTimeoutMs } : {}),
    ...(p.hostConnectionPool?.maxSize ? { maxConnections: p.hostConnectionPool.maxSize } : {}),
    ...(p.hostConnectionPool?.idleTimeMs ? { keepAliveTimeoutMs: p.hostConnectionPool.idleTimeMs } : {}),
    ...(requeue ? { requeueBudget: () => requeueBudget({ ...requeue, clock: context.clock }) } : {}),
    ...(fixedTls ? { tls: fixedTls } : {}),
    ...(p.protocol !== undefined ? { protocol: p.protocol as ClientProtocol } : {}),
  };
  if (!templated) return () => options;
  return (captures) => ({
    ...options,
    tls: upstreamTls({ ...tls!, commonName: substitute(tls!.commonName!, captures) }, context),
  });
}

/** Linkerd 1's h2 router speaks HTTP/2 to backends too: h2c, or h2 when the client has TLS. */
function withRouterProtocol(rc: RouterConfig, o: RouterClientOptions): RouterClientOptions {
  return o.protocol === undefined && rc.protocol === 'h2' ? { ...o, protocol: o.tls ? 'h2' : 'h2c' } : o;
}

/**
 * A router's client and service policies (`client`, `service`): one global object, or
 * io.l5d.static entries per prefix; kinds (balancers, classifiers, backoffs) are built now.
 * `Linker.reload` builds them anew and swaps them in with `router.reconfigure({ policies })`.
 */
export async function buildPolicies(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<RouterPolicies> {
  const { client, clientPolicy } = await clientPolicies(rc, context, kinds);
  const { service, servicePolicy } = await servicePolicies(rc, context, kinds);
  return {
    client,
    ...(clientPolicy ? { clientPolicy } : {}),
    service,
    ...(servicePolicy ? { servicePolicy } : {}),
  };
}

/** `client`: the router-wide client options, and for io.l5d.static the per-bound-name policy. */
async function clientPolicies(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<{ client: RouterClientOptions; clientPolicy?: (bound: Path) => RouterClientOptions }> {
  const config = rc.client;
  if (config === undefined || config.kind === 'io.l5d.global') {
    const make = await clientOptionsMaker(config ?? {}, context, kinds);
    return { client: withRouterProtocol(rc, make({})) };
  }
  const entries = await Promise.all(
    config.configs.map(async (e) => ({
      prefix: e.prefix,
      make: await clientOptionsMaker(e.params, context, kinds),
    })),
  );
  const evaluate = staticPolicy(entries);
  return {
    client: withRouterProtocol(rc, {}),
    clientPolicy: (bound) => withRouterProtocol(rc, evaluate(bound)),
  };
}

/** Router service options from service parameters (kinds built now). */
async function serviceOptionsOf(
  p: ServiceParams,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<RouterServiceOptions> {
  const classifier = p.responseClassifier
    ? await kinds.responseClassifier.build(p.responseClassifier, context)
    : undefined;
  const budget = p.retries?.budget;
  const retryDelays = p.retries?.backoff ? await kinds.backoff.build(p.retries.backoff, context) : undefined;
  return {
    ...(p.totalTimeoutMs ? { totalTimeoutMs: p.totalTimeoutMs } : {}),
    ...(classifier ? { responseClassifier: classifier } : {}),
    ...(budget ? { retryBudget: () => retryBudget({ ...budget, clock: context.clock }) } : {}),
    ...(retryDelays ? { retryBackoff: () => retryBackoff(retryDelays, Math.random) } : {}),
  };
}

/** `service`: the router-wide service options, and for io.l5d.static the per-logical-name policy. */
async function servicePolicies(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<{ service: RouterServiceOptions; servicePolicy?: (logical: Path) => RouterServiceOptions }> {
  const config = rc.service;
  if (config === undefined || config.kind === 'io.l5d.global')
    return { service: await serviceOptionsOf(config ?? {}, context, kinds) };
  const entries = await Promise.all(
    config.configs.map(async (e) => {
      const options = await serviceOptionsOf(e.params, context, kinds);
      return { prefix: e.prefix, make: () => options };
    }),
  );
  return { service: {}, servicePolicy: staticPolicy(entries) };
}
