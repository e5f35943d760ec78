/**
 * Internal: the dtab operations the interpreter uses, from `@switchyard/dtab`, plus the one it
 * does not offer: delegation must know *which* dentry fired for each alternative, which
 * `Dtab.lookup` does not expose.
 */
import { Dentry, type Dtab, NameTree, type Path } from '@switchyard/dtab';

/** A dentry as Linkerd's delegator JSON shows it: `{ prefix, dst }` in canonical text. */
export function showDentry(d: Dentry): { prefix: string; dst: string } {
  return { prefix: Dentry.Prefix.show(d.prefix), dst: NameTree.show(d.dst) };
}

/** The dentries matching `path`, latest first, each with the suffix of `path` left after its prefix. */
export function matchingDentries(dtab: Dtab, path: Path): { dentry: Dentry; suffix: Path }[] {
  const out: { dentry: Dentry; suffix: Path }[] = [];
  for (let i = dtab.length - 1; i >= 0; i--) {
    const d = dtab[i]!;
    if (Dentry.Prefix.matches(d.prefix, path)) out.push({ dentry: d, suffix: path.slice(d.prefix.length) });
  }
  return out;
}

/** True when `prefix` is the start of `path` (element by element, no wildcards). */
export function startsWith(path: Path, prefix: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}
