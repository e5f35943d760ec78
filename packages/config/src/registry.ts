/**
 * The kind registry: Linkerd-style plugins chosen by a `kind` string. Each category (namers,
 * identifiers, balancers, ...) maps kinds to a schema for their options and a builder. Users add
 * their own kinds from code with `register`; the YAML then names them like any built-in.
 */
import { didYouMean } from './did-you-mean.js';
import { INVALID, type Schema, type SchemaDoc } from './schema.js';

/** A plugin: the options schema (without `kind`) and how to build the runtime value. */
export interface KindDefinition<Config, Built, Context> {
  readonly kind: string;
  /** One sentence for the generated configuration reference. */
  readonly doc: string;
  readonly schema: Schema<Config>;
  build(config: Config, context: Context): Built | Promise<Built>;
  /**
   * Checks what the options refer to outside the config file (a directory, a file) without
   * building anything, so `--check` finds every problem start-up would. Optional.
   */
  validate?(config: Config, context: KindValidateContext): KindProblems | Promise<KindProblems>;
}

/** What a kind's `validate` gets: where relative paths resolve. */
export interface KindValidateContext {
  /** Directory of the config file; relative paths in options resolve against it. */
  readonly baseDir: string;
}

/** A problem a kind's `validate` found, about one of its options (`field`, e.g. `rootDir`). */
export interface KindProblem {
  readonly field: string;
  readonly message: string;
  readonly hint?: string;
}

/** The problems a kind's `validate` found; empty when none. */
export type KindProblems = readonly KindProblem[];

/** A parsed plugin config: the definition it refers to and its validated options. */
export interface KindConfig<Config = unknown> {
  readonly kind: string;
  readonly options: Config;
}

/** Plugins for one category, e.g. all namer kinds. */
export interface KindCategory<Built, Context> {
  readonly name: string;
  register<Config>(definition: KindDefinition<Config, Built, Context>): void;
  get(kind: string): KindDefinition<unknown, Built, Context> | undefined;
  kinds(): readonly string[];
  /** Builds a parsed config with the definition registered for its kind. */
  build(config: KindConfig, context: Context): Promise<Built>;
  /** Runs the kind's `validate` (if it has one) on a parsed config. */
  validate(config: KindConfig, context: KindValidateContext): Promise<KindProblems>;
  /** A schema accepting `{ kind: <registered kind>, ...options }`. */
  schema(): Schema<KindConfig>;
}

/** Creates a category of plugins. */
export function createKindCategory<Built, Context>(name: string): KindCategory<Built, Context> {
  const definitions = new Map<string, KindDefinition<unknown, Built, Context>>();
  const category: KindCategory<Built, Context> = {
    name,
    register(definition) {
      if (definitions.has(definition.kind))
        throw new TypeError(`${name} kind "${definition.kind}" is already registered`);
      definitions.set(definition.kind, definition as KindDefinition<unknown, Built, Context>);
    },
    get: (kind) => definitions.get(kind),
    kinds: () => [...definitions.keys()],
    async build(config, context) {
      const definition = definitions.get(config.kind);
      if (!definition) throw new TypeError(`no ${name} kind "${config.kind}" is registered`);
      return definition.build(config.options, context);
    },
    async validate(config, context) {
      const definition = definitions.get(config.kind);
      return definition?.validate ? definition.validate(config.options, context) : [];
    },
    schema: () => ({
      parse(value, path, context) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          context.report(context.source.issue(path, `expected a ${name} object with a "kind"`));
          return INVALID;
        }
        const { kind, ...options } = value as Record<string, unknown>;
        if (typeof kind !== 'string') {
          context.report(
            context.source.issue(path, `missing "kind" for ${name}`, {
              hint: `known kinds: ${[...definitions.keys()].join(', ')}`,
            }),
          );
          return INVALID;
        }
        const definition = definitions.get(kind);
        if (!definition) {
          const guess = didYouMean(kind, definitions.keys());
          context.report(
            context.source.issue([...path, 'kind'], `unknown ${name} kind "${kind}"`, {
              hint: guess ? `did you mean "${guess}"?` : `known kinds: ${[...definitions.keys()].join(', ')}`,
            }),
          );
          return INVALID;
        }
        const parsed = definition.schema.parse(options, path, context);
        return parsed === INVALID ? INVALID : { kind, options: parsed };
      },
      describe: (): SchemaDoc => ({ type: 'kinds', category: name }),
    }),
  };
  return category;
}
