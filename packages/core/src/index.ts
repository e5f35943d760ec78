/**
 * @packageDocumentation
 * Names that change over time: Var, Activity, Addr, Name, Namer, binding, errors, Stats, layers.
 */
export type { Activity, ActivityState } from './activity.js';
export type { Addr, Address } from './addr.js';
export type { Clock, Random, TimerHandle } from './clock.js';
export type { CoreErrorCode } from './errors.js';
export { hasErrorCode, SwitchyardError } from './errors.js';
export type { Identification, Identifier, RequestHead } from './identifier.js';
export { firstIdentified, identified, unidentified } from './identifier.js';
export type { Layer, NamedLayer } from './layer.js';
export { compose } from './layer.js';
export type { BoundName, Name } from './name.js';
export type { Namer } from './namer.js';
export type { Counter, Gauge, Histogram, Stats } from './stats.js';
export type { Dispose, Var, WritableVar } from './var.js';
