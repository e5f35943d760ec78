/**
 * A small schema language for configuration: each schema validates plain data, fills defaults,
 * reports every problem with its field path, and describes itself so the configuration reference
 * in docs/ is generated from the same definitions that validate (it cannot drift).
 */
import { didYouMean } from './did-you-mean.js';
import type { ConfigIssue } from './errors.js';
import type { ConfigSource, FieldPath } from './source.js';

/** Marks a value that failed validation (the problem was already reported). */
export const INVALID: unique symbol = Symbol('switchyard.config.invalid');
/** The result of parsing: a value or `INVALID`. */
export type Parsed<T> = T | typeof INVALID;

/** Where parsing reports problems. */
export interface ParseContext {
  readonly source: ConfigSource;
  report(issue: ConfigIssue): void;
}

/** Self-description of a schema, for generated docs. */
export type SchemaDoc =
  | { readonly type: 'scalar'; readonly name: string; readonly values?: readonly string[] }
  | { readonly type: 'list'; readonly item: SchemaDoc }
  | { readonly type: 'object'; readonly name?: string; readonly fields: readonly FieldDoc[] }
  | { readonly type: 'kinds'; readonly category: string };

/** Documentation of one object field. */
export interface FieldDoc {
  readonly name: string;
  readonly doc: string;
  readonly required: boolean;
  readonly default?: unknown;
  readonly schema: SchemaDoc;
}

/** Validates and normalises a value of type `T`. */
export interface Schema<T> {
  parse(value: unknown, path: FieldPath, context: ParseContext): Parsed<T>;
  describe(): SchemaDoc;
}

/** Output type of a schema. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function fail(context: ParseContext, path: FieldPath, message: string, hint?: string): typeof INVALID {
  context.report(context.source.issue(path, message, hint === undefined ? {} : { hint }));
  return INVALID;
}

/** A string, optionally restricted to `values`. */
export function string(options: { values?: readonly string[]; nonEmpty?: boolean } = {}): Schema<string> {
  return {
    parse(value, path, context) {
      if (typeof value !== 'string')
        return fail(context, path, `expected a string, got ${describeValue(value)}`);
      if (options.nonEmpty && value.length === 0) return fail(context, path, 'must not be empty');
      if (options.values && !options.values.includes(value)) {
        const guess = didYouMean(value, options.values);
        return fail(
          context,
          path,
          `expected one of ${options.values.map((v) => `"${v}"`).join(', ')}, got "${value}"`,
          guess ? `did you mean "${guess}"?` : undefined,
        );
      }
      return value;
    },
    describe: () => ({
      type: 'scalar',
      name: 'string',
      ...(options.values ? { values: options.values } : {}),
    }),
  };
}

/** A number within [min, max]; `integer` rejects fractions. Numeric strings are not coerced. */
export function number(options: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
  const name = options.integer ? 'integer' : 'number';
  return {
    parse(value, path, context) {
      if (typeof value !== 'number' || Number.isNaN(value)) {
        return fail(
          context,
          path,
          `expected ${options.integer ? 'an integer' : 'a number'}, got ${describeValue(value)}`,
        );
      }
      if (options.integer && !Number.isInteger(value))
        return fail(context, path, `expected an integer, got ${value}`);
      if (options.min !== undefined && value < options.min)
        return fail(context, path, `must be ≥ ${options.min}, got ${value}`);
      if (options.max !== undefined && value > options.max)
        return fail(context, path, `must be ≤ ${options.max}, got ${value}`);
      return value;
    },
    describe: () => ({ type: 'scalar', name }),
  };
}

/** An integer port number 0–65535. */
export const port = (): Schema<number> => number({ integer: true, min: 0, max: 65535 });

/** A boolean. */
export function boolean(): Schema<boolean> {
  return {
    parse(value, path, context) {
      return typeof value === 'boolean'
        ? value
        : fail(context, path, `expected true or false, got ${describeValue(value)}`);
    },
    describe: () => ({ type: 'scalar', name: 'boolean' }),
  };
}

/**
 * A map of string keys to string values (HTTP headers, resource attributes). `check` may return a
 * problem for one entry, reported at that entry's field.
 */
export function stringMap(
  check: (key: string, value: string) => string | undefined = () => undefined,
): Schema<Record<string, string>> {
  return {
    parse(value, path, context) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return fail(context, path, `expected a map of strings, got ${describeValue(value)}`);
      const out: Record<string, string> = {};
      let ok = true;
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
        const problem =
          typeof entry !== 'string' ? `expected a string, got ${describeValue(entry)}` : check(key, entry);
        if (problem === undefined) out[key] = entry as string;
        else ok = fail(context, [...path, key], problem) !== INVALID;
      }
      return ok ? out : INVALID;
    },
    describe: () => ({ type: 'scalar', name: 'map of strings' }),
  };
}

/** A list of items. */
export function list<T>(item: Schema<T>, options: { nonEmpty?: boolean } = {}): Schema<T[]> {
  return {
    parse(value, path, context) {
      if (!Array.isArray(value)) return fail(context, path, `expected a list, got ${describeValue(value)}`);
      if (options.nonEmpty && value.length === 0) return fail(context, path, 'must list at least one entry');
      const out: T[] = [];
      let ok = true;
      value.forEach((element, index) => {
        const parsed = item.parse(element, [...path, index], context);
        if (parsed === INVALID) ok = false;
        else out.push(parsed);
      });
      return ok ? out : INVALID;
    },
    describe: () => ({ type: 'list', item: item.describe() }),
  };
}

/** Accepts one item or a list of them (Linkerd's `identifier: {...} | [...]`), always yielding a list. */
export function oneOrMany<T>(item: Schema<T>): Schema<T[]> {
  const many = list(item, { nonEmpty: true });
  return {
    parse: (value, path, context) =>
      Array.isArray(value)
        ? many.parse(value, path, context)
        : mapParsed(item.parse(value, path, context), (v) => [v]),
    describe: () => many.describe(),
  };
}

function mapParsed<A, B>(parsed: Parsed<A>, f: (a: A) => B): Parsed<B> {
  return parsed === INVALID ? INVALID : f(parsed);
}

const REJECTED: unique symbol = Symbol('switchyard.config.rejected');

/** A refinement's verdict that the value is invalid; build it with `reject`. */
export interface Rejection {
  readonly [REJECTED]: true;
  readonly error: string;
  readonly hint?: string;
  /** A more precise position than the value's start, e.g. inside an embedded dtab. */
  readonly at?: { readonly line: number; readonly column: number };
  /** The field (relative to the refined value) the problem is about, e.g. `['headersTimeoutMs']`. */
  readonly field?: FieldPath;
}

/** Rejects a value inside `refine` with a message, an optional hint and an optional precise position. */
export function reject(error: string, hint?: string, at?: Rejection['at']): Rejection {
  return {
    [REJECTED]: true,
    error,
    ...(hint === undefined ? {} : { hint }),
    ...(at === undefined ? {} : { at }),
  };
}

/** Why a Linkerd option is refused by name: it tunes the JVM or Finagle, which Node.js does not have. */
export const JVM_ONLY = 'a JVM/Finagle tuning knob with no Node.js equivalent';

/**
 * Rejects a refined object because of one of its fields: the problem is reported at that field
 * (its path and position), e.g. a cross-field rule like "headersTimeoutMs ≤ requestTimeoutMs".
 */
export function rejectField(field: FieldPath, error: string, hint?: string): Rejection {
  return { [REJECTED]: true, error, field, ...(hint === undefined ? {} : { hint }) };
}

function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && REJECTED in value;
}

/** Transforms a parsed value; `f` may return `reject(...)` to report a problem. */
export function refine<A, B>(
  schema: Schema<A>,
  f: (value: A, path: FieldPath, context: ParseContext) => B | Rejection,
): Schema<B> {
  return {
    parse(value, path, context) {
      const parsed = schema.parse(value, path, context);
      if (parsed === INVALID) return INVALID;
      const out = f(parsed, path, context);
      if (!isRejection(out)) return out;
      const where = out.field ? [...path, ...out.field] : path;
      const issue = context.source.issue(where, out.error, out.hint === undefined ? {} : { hint: out.hint });
      context.report(out.at ? { ...issue, ...out.at } : issue);
      return INVALID;
    },
    describe: () => schema.describe(),
  };
}

/** One field of an object schema. */
export interface Field<T> {
  readonly schema: Schema<unknown>;
  readonly doc: string;
  readonly required: boolean;
  readonly default?: unknown;
  /** Phantom: the field's output type. */
  readonly __type?: T;
}

/** A field that must be present. */
export function required<T>(schema: Schema<T>, doc: string): Field<T> {
  return { schema, doc, required: true };
}

/** A field that may be absent (then `undefined`). */
export function optional<T>(schema: Schema<T>, doc: string): Field<T | undefined> {
  return { schema, doc, required: false };
}

/** A field with a default used when absent. */
export function withDefault<T>(schema: Schema<T>, value: T, doc: string): Field<T> {
  return { schema, doc, required: false, default: value };
}

/** Output of an object schema with fields `F`. */
export type ObjectOf<F extends Record<string, Field<unknown>>> = {
  -readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

/** Options of `object`: Linkerd options we knowingly do not implement, and keys accepted but ignored. */
export interface ObjectOptions {
  readonly name?: string;
  /** Rejected by name with this explanation (never silently ignored). */
  readonly unsupported?: Readonly<Record<string, string>>;
  /** Accepted and ignored, with the reason (documented). */
  readonly ignored?: Readonly<Record<string, string>>;
}

/** An object with known fields; unknown keys are errors with a did-you-mean hint. */
export function object<F extends Record<string, Field<unknown>>>(
  fields: F,
  options: ObjectOptions = {},
): Schema<ObjectOf<F>> {
  const known = Object.keys(fields);
  return {
    parse(value, path, context) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(context, path, `expected an object, got ${describeValue(value)}`);
      }
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const key of Object.keys(record)) {
        if (key in fields || options.ignored?.[key] !== undefined) continue;
        ok = false;
        const unsupported = options.unsupported?.[key];
        if (unsupported !== undefined) {
          context.report(
            context.source.issue([...path, key], `option "${key}" is not supported by Switchyard`, {
              hint: unsupported,
              key: true,
            }),
          );
          continue;
        }
        const guess = didYouMean(key, known);
        context.report(
          context.source.issue([...path, key], `unknown option "${key}"`, {
            key: true,
            hint: guess ? `did you mean "${guess}"?` : `known options: ${known.join(', ')}`,
          }),
        );
      }
      for (const [key, field] of Object.entries(fields)) {
        const present = record[key] !== undefined && record[key] !== null;
        if (!present) {
          if (field.required) {
            ok = false;
            context.report(context.source.issue(path, `missing required option "${key}"`));
          } else out[key] = field.default;
          continue;
        }
        const parsed = field.schema.parse(record[key], [...path, key], context);
        if (parsed === INVALID) ok = false;
        else out[key] = parsed;
      }
      return ok ? (out as ObjectOf<F>) : INVALID;
    },
    describe: () => ({
      type: 'object',
      ...(options.name === undefined ? {} : { name: options.name }),
      fields: Object.entries(fields).map(([name, field]) => ({
        name,
        doc: field.doc,
        required: field.required,
        ...(field.default === undefined ? {} : { default: field.default }),
        schema: field.schema.describe(),
      })),
    }),
  };
}

/** Runs a schema over a parsed source, collecting all issues. */
export function validate<T>(
  schema: Schema<T>,
  source: ConfigSource,
): { value: T } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const value = schema.parse(source.data ?? {}, [], { source, report: (issue) => issues.push(issue) });
  if (value === INVALID || issues.length > 0) return { issues };
  return { value };
}
