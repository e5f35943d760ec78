/**
 * What a name binds under: the dtab of an identified request (base, the identification's dentries,
 * the request's own) and the binder's cache keys. Shared by `bind` and the mirror layer.
 */
import type { BoundName } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import type { RouterRuntime } from '../runtime.js';
import type { Identified } from '../stages.js';

const boundIds = new WeakMap<BoundName, string>();

const dtabTexts = new WeakMap<Dtab, string>();

/** `Dtab.show`, once per dtab object (identifiers reuse the object for the same content). */
function showDtab(dtab: Dtab): string {
  let text = dtabTexts.get(dtab);
  if (text === undefined) {
    text = Dtab.show(dtab);
    dtabTexts.set(dtab, text);
  }
  return text;
}

/** The bound id of `bound`, shown (the client cache key); memoized per bound name. */
export function showBoundId(bound: BoundName): string {
  let id = boundIds.get(bound);
  if (id === undefined) {
    id = Path.show(bound.id);
    boundIds.set(bound, id);
  }
  return id;
}

/**
 * The dtab `dst` of `identified` binds under — base, then the identification's dentries, then the
 * request's own (which still override) — and the binder's cache key of that pair.
 */
export function bindingOf(
  rt: RouterRuntime,
  identified: Identified,
  dst: Path,
): { readonly key: string; readonly pathKey: string; readonly dtab: Dtab } {
  const local = identified.request.local;
  const pathKey = dst.join('/');
  let key = local.text === '' ? pathKey : `${pathKey}\n${local.text}`;
  let dtab = local.dtab.length === 0 ? rt.baseDtab : Dtab.concat(rt.baseDtab, local.dtab);
  const extra = identified.dtab;
  if (extra.length > 0) {
    key = `${key}\n#${showDtab(extra)}`;
    dtab = Dtab.concat(Dtab.concat(rt.baseDtab, extra), local.dtab);
  }
  return { key, pathKey, dtab };
}
