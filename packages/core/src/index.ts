/**
 * @packageDocumentation
 * Names that change over time: Var, Activity, Addr, Name, Namer, the binding interpreter,
 * DelegateTree, errors, Stats, clocks and layers — finagle's naming model in TypeScript.
 */
export type { ActivityState, WritableActivity } from './activity.js';
export { Activity, assertNever } from './activity.js';
export type { Address } from './addr.js';
export { Addr, address } from './addr.js';
export type {
  CertificateEntry,
  CertificatePair,
  CertificateSnapshot,
  CertificateSource,
} from './certificate-source.js';
export type { Clock, Random, TimerHandle } from './clock.js';
export { systemClock } from './clock.js';
export type {
  DelegateAddr,
  DelegateAddress,
  DelegateBound,
  DelegateDentry,
  DelegateTree,
  DelegateWeighted,
} from './delegate-tree.js';
export type { CoreErrorCode } from './errors.js';
export { errorCodeSymbol, hasErrorCode, SwitchyardError } from './errors.js';
export type { Identification, Identifier, MirrorLimits, RequestHead, RouteActions } from './identifier.js';
export { firstIdentified, identified, unidentified } from './identifier.js';
export type { DnsLookup, InetNamerOptions } from './inet.js';
export { createFixedInetNamer, createInetNamer, systemDnsLookup } from './inet.js';
export type { InterpreterOptions, NameInterpreter, NamerEntry } from './interpreter.js';
export { ADDR_WEIGHT_KEY, createInterpreter } from './interpreter.js';
export type { Layer, NamedLayer } from './layer.js';
export { compose } from './layer.js';
export type { BoundName } from './name.js';
export { Name } from './name.js';
export type { Namer } from './namer.js';
export type {
  Counter,
  Gauge,
  Histogram,
  HistogramBucket,
  MetricSample,
  MetricsRegistry,
  Stats,
} from './stats.js';
export { createMetricsRegistry, HISTOGRAM_BUCKET_BOUNDS, nullStats } from './stats.js';
export type { Dispose, WritableVar } from './var.js';
export { Var } from './var.js';
