/**
 * @packageDocumentation
 * Linkerd-compatible configuration: YAML/JSON with positions, a schema language whose errors name
 * file:line:column and the field path, and a registry of plugin kinds users extend from code.
 */
export type { BuildContext, Readiness } from './build-context.js';
export type { DefaultKinds } from './default-kinds.js';
export { createDefaultKinds } from './default-kinds.js';
export { DTAB_STORE_CHANNEL } from './dtab-store.js';
export type { ConfigErrorCode, ConfigIssue } from './errors.js';
export { ConfigError, formatIssue } from './errors.js';
export type { BuiltBalancer, BuiltFailureAccrual } from './kinds/balancers.js';
export type { BuiltIdentifier, IngressRuleRow } from './kinds/identifiers.js';
export type { BuiltNamer } from './kinds/namers.js';
export type { AcmeServerStatus, LinkerOptions, ReloadResult } from './linker.js';
export { Linker } from './linker.js';
export type { LinkerConfig, LinkerKinds, RouterConfig, ServerConfig } from './linker-schema.js';
export { dtabSchema, linkerSchema } from './linker-schema.js';
export type { LoadedConfig } from './load.js';
export { parseLinkerConfig, readLinkerConfig } from './load.js';
export type {
  KindCategory,
  KindConfig,
  KindDefinition,
  KindProblem,
  KindProblems,
  KindValidateContext,
} from './registry.js';
export { createKindCategory } from './registry.js';
export type {
  Field,
  FieldDoc,
  Infer,
  ObjectOf,
  ObjectOptions,
  ParseContext,
  Parsed,
  Schema,
  SchemaDoc,
} from './schema.js';
export {
  boolean,
  INVALID,
  list,
  number,
  object,
  oneOrMany,
  optional,
  port,
  refine,
  reject,
  rejectField,
  required,
  string,
  validate,
  withDefault,
} from './schema.js';
export type { ConfigSource, FieldPath } from './source.js';
export { parseConfigSource, showFieldPath } from './source.js';
export type { BuiltTelemeter } from './telemetry.js';
export type { ValidateOptions } from './validate-linker.js';
export { validateLinker } from './validate-linker.js';
