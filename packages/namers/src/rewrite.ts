/**
 * `io.l5d.rewrite`: a namer that rewrites the path it is given into another path, which is then
 * bound again through the dtab — Linkerd's `RewritingNamer` with its `PathMatcher`. Handy to
 * reorder segments (`/{svc}/{ns}` → `/#/io.l5d.k8s/{ns}/http/{svc}`) where a dtab alone cannot.
 *
 * Semantics, as in Linkerd: `pattern` is matched segment by segment against the START of the
 * path — a literal matches itself, `*` any one segment, `{var}` any one segment and captures
 * it; segments after the pattern are ignored (not carried over). `name` is a path template in
 * which each `{var}` is replaced by the captured segment. No match is `neg`.
 */
import type { Namer } from '@switchyard/core';
import { Activity, Name, SwitchyardError } from '@switchyard/core';
import { NameTree, Path } from '@switchyard/dtab';

/** The Linkerd kind of {@link createRewriteNamer}. */
export const REWRITE_KIND = 'io.l5d.rewrite';

/** Codes owned by the `io.l5d.rewrite` namer. */
export type RewriteNamerErrorCode = 'SY_ERR_NAMERS_REWRITE_CONFIG';

/** A bad `pattern`, `name` or `prefix` option; the message names the field. */
export class RewriteNamerConfigError extends SwitchyardError<RewriteNamerErrorCode> {
  static readonly code = 'SY_ERR_NAMERS_REWRITE_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_NAMERS_REWRITE_CONFIG', `io.l5d.rewrite: ${message}`, options);
  }
}

/** Options of {@link createRewriteNamer}. */
export interface RewriteNamerOptions {
  /**
   * Required (Linkerd has no default for this namer). The prefix it is mounted at, without the
   * leading `#`, e.g. `/rewrite` for paths `/#/rewrite/…`.
   */
  readonly prefix: string | Path;
  /** Segments to match: labels, `*`, `{var}`; e.g. `/{service}/*`. */
  readonly pattern: string;
  /** The path to produce, with `{var}` placeholders; e.g. `/svc/{service}`. */
  readonly name: string;
}

/** The `io.l5d.rewrite` namer. */
export interface RewriteNamer extends Namer {
  readonly kind: typeof REWRITE_KIND;
  /** The mount prefix, without `#`. */
  readonly prefix: Path;
  readonly pattern: string;
  readonly name: string;
}

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'capture'; readonly name: string };

const CAPTURE = /^\{([^{}]*)\}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

function compilePattern(pattern: string): Segment[] {
  if (typeof pattern !== 'string') throw new RewriteNamerConfigError('pattern is required');
  // Linkerd: expr.split("/").dropWhile(_.isEmpty) — trailing empties go too (Java's split).
  const parts = pattern.split('/');
  while (parts.length > 0 && parts[0] === '') parts.shift();
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((part) => {
    if (part === '*') return { kind: 'any' };
    const capture = CAPTURE.exec(part);
    if (capture !== null) {
      if (capture[1] === '') throw new RewriteNamerConfigError(`pattern: empty capture {} in ${pattern}`);
      return { kind: 'capture', name: capture[1]! };
    }
    let label: Path;
    try {
      label = Path.read(`/${part}`);
      if (label.length !== 1) throw new Error('not one segment');
    } catch (err) {
      throw new RewriteNamerConfigError(
        `pattern: segment ${JSON.stringify(part)} of ${pattern} is not a label, "*" or "{var}"`,
        { cause: err },
      );
    }
    // Compared with the path's shown labels, as Linkerd's PathMatcher does (canonical form,
    // so `\x66oo` in a pattern matches the label `foo`).
    return { kind: 'literal', text: Path.showLabel(label[0]!) };
  });
}

/**
 * Builds `io.l5d.rewrite`. With `pattern: /{service}/*`, `name: /svc/{service}`, a lookup of
 * `/web/v2/extra` yields the path `/svc/web` (which the interpreter binds again); `/web` is neg.
 * @throws {RewriteNamerConfigError} when `prefix` is missing, `pattern` has a segment that is not
 * a label, `*` or `{var}`, or `name` uses a variable the pattern does not capture or is not a
 * path once filled in.
 */
export function createRewriteNamer(options: RewriteNamerOptions): RewriteNamer {
  if (options?.prefix === undefined || options.prefix === null) {
    throw new RewriteNamerConfigError("The 'prefix' property is required for the io.l5d.rewrite namer.");
  }
  let prefix: Path;
  try {
    prefix = typeof options.prefix === 'string' ? Path.read(options.prefix) : options.prefix;
  } catch (err) {
    throw new RewriteNamerConfigError(`prefix: ${(err as Error).message}`, { cause: err });
  }
  if (prefix[0] === '#') prefix = prefix.slice(1);
  const segments = compilePattern(options.pattern);
  const template = options.name;
  if (typeof template !== 'string') throw new RewriteNamerConfigError('name is required');
  const captured = new Set(segments.flatMap((s) => (s.kind === 'capture' ? [s.name] : [])));
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!captured.has(m[1]!)) {
      throw new RewriteNamerConfigError(
        `name: {${m[1]}} in ${template} is not captured by pattern ${options.pattern}`,
      );
    }
  }
  try {
    Path.read(template.replace(PLACEHOLDER, 'x'));
  } catch (err) {
    throw new RewriteNamerConfigError(`name: ${template} is not a path: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const neg = Activity.value<NameTree<Name>>(NameTree.neg);

  function lookup(path: Path): Activity<NameTree<Name>> {
    if (path.length < segments.length) return neg;
    const vars = new Map<string, string>();
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const label = Path.showLabel(path[i]!);
      if (seg.kind === 'capture') vars.set(seg.name, label);
      else if (seg.kind === 'literal' && seg.text !== label) return neg;
    }
    const text = template.replace(PLACEHOLDER, (whole, name: string) => vars.get(name) ?? whole);
    try {
      return Activity.value<NameTree<Name>>(NameTree.leaf(Name.path(Path.read(text))));
    } catch (err) {
      // Unreachable for validated templates; a namer reports instead of throwing.
      return Activity.exception(new RewriteNamerConfigError(`name: ${text} is not a path`, { cause: err }));
    }
  }

  return Object.freeze({
    kind: REWRITE_KIND,
    prefix: Object.freeze([...prefix]),
    pattern: options.pattern,
    name: template,
    lookup,
  });
}
