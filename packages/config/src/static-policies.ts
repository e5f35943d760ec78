/**
 * Linkerd 1's per-prefix `client` and `service` configs (`kind: io.l5d.static`): a list of
 * `{ prefix, …parameters }` entries. A client entry's prefix is matched against the bound name
 * (`/$/inet/127.0.0.1/8080`, `/#/io.l5d.k8s/ns/http/web`), a service entry's against the
 * logical name (`/svc/web`). Every entry whose prefix matches applies, in order, and a later
 * entry's parameters override an earlier one's, parameter by parameter (a parameter such as
 * `tls` is replaced whole). In a prefix `*` matches any one path element and `{name}` captures
 * one; captures can be used in the parameters Linkerd allowed them in (client `tls.commonName`,
 * e.g. `"{service}.example.com"`). This module holds the schema combinator, the prefix matcher
 * and the per-name evaluation; build-router turns entries into router options.
 */
import {
  type Field,
  INVALID,
  type ObjectOf,
  type ObjectOptions,
  object,
  refine,
  reject,
  required,
  type Schema,
  type SchemaDoc,
  string,
} from './schema.js';
import type { FieldPath } from './source.js';

/** One element of a prefix pattern. */
export type PrefixElement =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'capture'; readonly name: string };

/** A parsed `prefix`: its elements and its text as written. */
export interface PrefixPattern {
  readonly text: string;
  readonly elements: readonly PrefixElement[];
}

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;

/** Parses a prefix (`/$/inet/*` `/#/io.l5d.k8s/{ns}/http/{service}`); a string is an error message. */
export function parsePrefix(text: string): PrefixPattern | string {
  if (!text.startsWith('/')) return `a prefix is a path and starts with "/", got "${text}"`;
  const elements: PrefixElement[] = [];
  const seen = new Set<string>();
  for (const part of text.split('/').slice(1)) {
    if (part === '') continue;
    if (part === '*') {
      elements.push({ kind: 'any' });
      continue;
    }
    const capture = CAPTURE.exec(part);
    if (capture !== null) {
      const name = capture[1]!;
      if (seen.has(name)) return `capture {${name}} appears twice in "${text}"`;
      seen.add(name);
      elements.push({ kind: 'capture', name });
      continue;
    }
    if (part.includes('{') || part.includes('}'))
      return `"${part}" in "${text}" is neither a name nor a whole-element capture like {service}`;
    elements.push({ kind: 'literal', value: part });
  }
  return { text, elements };
}

/** The captures when `pattern` is a prefix of `path` (element-wise), else undefined. */
export function matchPrefix(
  pattern: PrefixPattern,
  path: readonly string[],
): Readonly<Record<string, string>> | undefined {
  if (pattern.elements.length > path.length) return undefined;
  let captures: Record<string, string> | undefined;
  for (const [i, element] of pattern.elements.entries()) {
    const segment = path[i]!;
    switch (element.kind) {
      case 'literal':
        if (segment !== element.value) return undefined;
        break;
      case 'any':
        break;
      case 'capture':
        captures ??= {};
        captures[element.name] = segment;
        break;
      default:
        return assertNeverElement(element);
    }
  }
  return captures ?? NO_CAPTURES;
}

const NO_CAPTURES: Readonly<Record<string, string>> = Object.freeze({});

function assertNeverElement(e: never): never {
  throw new Error(`unexpected prefix element ${JSON.stringify(e)}`);
}

/**
 * Replaces `{name}` in `template` with the captures; a name the prefix did not capture is
 * undefined (the schema refuses such templates, so this is only reached with known names).
 */
export function substitute(template: string, captures: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_-]*)\}/g, (whole, name: string) => captures[name] ?? whole);
}

/** The `{name}`s a template uses. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_-]*)\}/g)].map((m) => m[1]!);
}

/** The schema of a `prefix`: parse errors name the value's file:line:col. */
export function prefixSchema(): Schema<PrefixPattern> {
  return refine(string({ nonEmpty: true }), (text) => {
    const parsed = parsePrefix(text);
    return typeof parsed === 'string'
      ? reject(parsed, 'e.g. /$/inet/*/8080 or /#/io.l5d.k8s/{ns}/http/{service}')
      : parsed;
  });
}

/** One `io.l5d.static` entry: its prefix and the parameters it sets (only those written). */
export interface StaticEntry<P> {
  readonly prefix: PrefixPattern;
  readonly params: Partial<P>;
}

/** A `client` or `service` object: parameters for every name, or per-prefix entries. */
export type PolicyConfig<P> =
  | ({ readonly kind: 'io.l5d.global' } & P)
  | { readonly kind: 'io.l5d.static'; readonly configs: readonly StaticEntry<P>[] };

/** Keeps only the fields the input wrote (an entry's absent fields must not override earlier entries with defaults). */
function writtenOnly<T extends object>(schema: Schema<T>): Schema<Partial<T>> {
  return {
    parse(value, path, context) {
      const parsed = schema.parse(value, path, context);
      if (parsed === INVALID) return INVALID;
      const raw = value as Record<string, unknown>;
      const out: Partial<T> = {};
      for (const key of Object.keys(parsed) as (keyof T)[])
        if (raw[key as string] !== undefined && raw[key as string] !== null) out[key] = parsed[key];
      return out;
    },
    describe: () => schema.describe(),
  };
}

/**
 * Linkerd's `client` / `service` object: `kind: io.l5d.global` (default) with the parameters at
 * the top level, or `kind: io.l5d.static` with `configs: [{ prefix, …parameters }]`. `check`
 * refines each global object and each entry (e.g. cross-field rules), reporting at its field.
 */
export function policySchema<F extends Record<string, Field<unknown>>, P>(
  name: string,
  fields: F,
  options: ObjectOptions,
  finish: (schema: Schema<ObjectOf<F>>, where: 'global' | 'entry') => Schema<P>,
): Schema<PolicyConfig<P>> {
  const global = finish(
    object({ kind: required(string({ values: ['io.l5d.global'] }), ''), ...fields }, { ...options, name }),
    'global',
  );
  const entry = writtenOnly(finish(object(fields, options), 'entry') as Schema<P & object>);
  const entries = required(
    {
      parse(value, path: FieldPath, context) {
        if (!Array.isArray(value)) {
          context.report(context.source.issue(path, 'expected a list of { prefix, … } entries'));
          return INVALID;
        }
        const out: StaticEntry<P>[] = [];
        let ok = true;
        for (const [i, item] of value.entries()) {
          const at = [...path, i];
          if (typeof item !== 'object' || item === null || Array.isArray(item)) {
            context.report(context.source.issue(at, 'expected an object with a prefix'));
            ok = false;
            continue;
          }
          const { prefix: rawPrefix, ...rest } = item as Record<string, unknown>;
          if (rawPrefix === undefined) {
            context.report(context.source.issue(at, 'missing required option "prefix"'));
            ok = false;
          }
          const prefix =
            rawPrefix === undefined ? INVALID : prefixSchema().parse(rawPrefix, [...at, 'prefix'], context);
          const params = entry.parse(rest, at, context);
          if (prefix === INVALID || params === INVALID) {
            ok = false;
            continue;
          }
          const unknownCapture = captureProblem(prefix, params);
          if (unknownCapture !== undefined) {
            context.report(context.source.issue([...at, ...unknownCapture.field], unknownCapture.message));
            ok = false;
            continue;
          }
          out.push({ prefix, params: params as Partial<P> });
        }
        return ok ? out : INVALID;
      },
      describe: (): SchemaDoc => ({
        type: 'list',
        item: {
          type: 'object',
          name: `${name} config`,
          fields: [
            {
              name: 'prefix',
              doc: 'Names this entry applies to: `*` matches one element, `{name}` captures one.',
              required: true,
              schema: { type: 'scalar', name: 'string' },
            },
            ...(entry.describe() as Extract<SchemaDoc, { type: 'object' }>).fields,
          ],
        },
      }),
    } satisfies Schema<StaticEntry<P>[]>,
    'Per-prefix entries: every entry whose prefix matches applies, later entries override earlier ones parameter by parameter.',
  );
  const staticConfig = object(
    { kind: required(string({ values: ['io.l5d.static'] }), ''), configs: entries },
    { name: `${name} (io.l5d.static)` },
  );
  return {
    parse(value, path, context) {
      const kind = (value as { kind?: unknown } | null)?.kind;
      if (kind === 'io.l5d.static')
        return staticConfig.parse(value, path, context) as PolicyConfig<P> | typeof INVALID;
      const withKind =
        typeof value === 'object' && value !== null && !Array.isArray(value) && kind === undefined
          ? { kind: 'io.l5d.global', ...(value as object) }
          : value;
      return global.parse(withKind, path, context) as PolicyConfig<P> | typeof INVALID;
    },
    describe: (): SchemaDoc => {
      const doc = global.describe() as Extract<SchemaDoc, { type: 'object' }>;
      return {
        ...doc,
        fields: [
          {
            name: 'kind',
            doc: 'io.l5d.global: the parameters below apply to every name. io.l5d.static: only `configs`, per prefix.',
            required: false,
            default: 'io.l5d.global',
            schema: { type: 'scalar', name: 'string', values: ['io.l5d.global', 'io.l5d.static'] },
          },
          ...doc.fields.filter((f) => f.name !== 'kind'),
          {
            name: 'configs',
            doc: 'With kind io.l5d.static: `[{ prefix, …parameters above }]`; every entry whose prefix matches applies, later entries override earlier ones parameter by parameter.',
            required: false,
            schema: entries.schema.describe(),
          },
        ],
      };
    },
  };
}

/** A `{name}` used in a parameter that the entry's prefix does not capture. */
function captureProblem(
  prefix: PrefixPattern,
  params: unknown,
): { field: FieldPath; message: string } | undefined {
  const captured = new Set(prefix.elements.flatMap((e) => (e.kind === 'capture' ? [e.name] : [])));
  const commonName = (params as { tls?: { commonName?: unknown } }).tls?.commonName;
  if (typeof commonName !== 'string') return undefined;
  for (const name of templateNames(commonName)) {
    if (!captured.has(name))
      return {
        field: ['tls', 'commonName'],
        message: `{${name}} is not captured by the prefix "${prefix.text}"`,
      };
  }
  return undefined;
}

/**
 * The per-name evaluation: every entry whose prefix matches `path`, in order, each turned into
 * options by `make(entry, captures)`, laid over each other (later fields win).
 */
export function staticPolicy<O extends object>(
  entries: readonly {
    readonly prefix: PrefixPattern;
    readonly make: (captures: Readonly<Record<string, string>>) => O;
  }[],
): (path: readonly string[]) => O {
  return (path) => {
    let out = {} as O;
    for (const entry of entries) {
      const captures = matchPrefix(entry.prefix, path);
      if (captures !== undefined) out = { ...out, ...entry.make(captures) };
    }
    return out;
  };
}

/**
 * The parameters `config` sets for `path`: the global object's, or the matching entries' laid
 * over each other (captures are not substituted). For views such as the admin's client table.
 */
export function paramsFor<P>(config: PolicyConfig<P> | undefined, path: readonly string[]): Partial<P> {
  if (config === undefined) return {};
  if (config.kind === 'io.l5d.global') return config as Partial<P>;
  let out: Partial<P> = {};
  for (const entry of config.configs)
    if (matchPrefix(entry.prefix, path) !== undefined) out = { ...out, ...entry.params };
  return out;
}
