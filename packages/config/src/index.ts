/**
 * @packageDocumentation
 * Linkerd-compatible configuration: YAML/JSON with positions, a schema language whose errors name
 * file:line:column and the field path, and a registry of plugin kinds users extend from code.
 */
export type { ConfigErrorCode, ConfigIssue } from './errors.js';
export { ConfigError, formatIssue } from './errors.js';
export type { LinkerConfig, LinkerKinds, RouterConfig, ServerConfig } from './linker-schema.js';
export { dtabSchema, linkerSchema } from './linker-schema.js';
export type { KindCategory, KindConfig, KindDefinition } from './registry.js';
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
  required,
  string,
  validate,
  withDefault,
} from './schema.js';
export type { ConfigSource, FieldPath } from './source.js';
export { parseConfigSource, showFieldPath } from './source.js';
