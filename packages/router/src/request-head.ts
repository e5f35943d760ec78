/**
 * The request fields as node received them (`req.rawHeaders`: name, value, name, value…) carried
 * from the server to undici's dispatch without building a header object. `RequestHead.headers`
 * stays the lower-cased object identifiers and users' layers read, but for the router's own heads
 * it is a lazy view over the raw list (a Proxy): reading one field scans the list, and the
 * object — built with node's rules for repeated fields — exists only once something enumerates,
 * copies or writes it. A head whose `headers` is still an unwritten view is forwarded from its
 * raw list (`rawFieldsOf`); any other `headers` object (a layer's rewrite, an HTTP/2 head) is
 * forwarded as an object, as before.
 */
import type { HeaderMap } from './headers.js';

/** The state behind one view: the raw list, and the object once built. */
interface ViewState {
  readonly fields: readonly string[];
  view: HeaderMap | undefined;
  /** Written through the view: the object, not the list, is the head's fields from then on. */
  written: boolean;
}

/** What the view answers for its own state (never a field name: field names are strings). */
const STATE: unique symbol = Symbol('switchyard.router.fieldsView');

/**
 * Repeated fields node keeps the first of (the `message.headers` rules in node's docs); `cookie`
 * joins with `; `, `set-cookie` is always an array, every other name joins with `, `.
 */
const FIRST_ONLY = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** True when the raw `name` is `lower` (a lower-case name) compared case-insensitively; no allocation. */
export function nameIs(name: string, lower: string): boolean {
  const n = lower.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const a = name.charCodeAt(i);
    const b = lower.charCodeAt(i);
    if (a !== b && !(a >= 65 && a <= 90 && a + 32 === b)) return false;
  }
  return true;
}

function hasUpper(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/**
 * `headers[lower]` as node's header object of `fields` would give it (`lower` must be lower-case),
 * without building the object.
 */
export function fieldValue(fields: readonly string[], lower: string): string | string[] | undefined {
  // node's object has no own `__proto__` (see headerObject).
  if (lower === '__proto__') return undefined;
  let out: string | string[] | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (!nameIs(fields[i]!, lower)) continue;
    const value = fields[i + 1]!;
    if (out === undefined) {
      if (lower === 'set-cookie') out = [value];
      else if (FIRST_ONLY.has(lower)) return value;
      else out = value;
    } else if (typeof out !== 'string') out.push(value);
    else out = `${out}${lower === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** Node's header object of a raw list: lower-case names, repeated fields as node's docs say. */
export function headerObject(fields: readonly string[]): HeaderMap {
  const out: HeaderMap = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const lower = fields[i]!.toLowerCase();
    const value = fields[i + 1]!;
    // node assigns `__proto__` on a plain object, which sets nothing.
    if (lower === '__proto__') continue;
    const had = Object.hasOwn(out, lower) ? out[lower] : undefined;
    if (lower === 'set-cookie') {
      if (had === undefined) out[lower] = [value];
      else (had as string[]).push(value);
    } else if (had === undefined) out[lower] = value;
    else if (!FIRST_ONLY.has(lower))
      out[lower] = `${had as string}${lower === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

function objectOf(state: ViewState): HeaderMap {
  state.view ??= headerObject(state.fields);
  return state.view;
}

const inherited = Object.prototype as unknown as Record<PropertyKey, unknown>;

/**
 * What a view answers for `Symbol.for('switchyard.router.withFields')`: a function making a new
 * view of the same list without the fields `drop` names (given lower-case names) and with `add`
 * (`[name, value, …]`) appended. Lets a package that cannot import the router (telemetry's trace
 * propagation) change a few fields without turning the list into an object. Absent on written views.
 */
export const WITH_FIELDS: unique symbol = Symbol.for('switchyard.router.withFields') as never;

/** `WITH_FIELDS` on `state`'s list. */
function derive(
  fields: readonly string[],
  drop: (lower: string) => boolean,
  add: readonly string[],
): HeaderMap {
  const out: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    if (!drop(name.toLowerCase())) out.push(name, fields[i + 1]!);
  }
  for (let i = 0; i + 1 < add.length; i += 2) out.push(add[i]!, add[i + 1]!);
  return fieldsView(out);
}

/** The traps of every view: reads scan the list until the object exists; anything else builds it. */
const VIEW: ProxyHandler<ViewState> = {
  get(state, name) {
    if (name === STATE) return state;
    if (name === WITH_FIELDS) {
      if (state.written) return undefined;
      const fields = state.fields;
      return (drop: (lower: string) => boolean, add: readonly string[]) => derive(fields, drop, add);
    }
    if (state.view !== undefined) return state.view[name as string];
    if (typeof name === 'string' && !hasUpper(name)) {
      const value = fieldValue(state.fields, name);
      if (value !== undefined) return value;
    }
    return inherited[name];
  },
  has(state, name) {
    if (state.view !== undefined) return name in state.view;
    if (typeof name === 'string' && !hasUpper(name) && fieldValue(state.fields, name) !== undefined)
      return true;
    return name in inherited;
  },
  ownKeys(state) {
    return Reflect.ownKeys(objectOf(state));
  },
  getOwnPropertyDescriptor(state, name) {
    const d = Reflect.getOwnPropertyDescriptor(objectOf(state), name);
    if (d !== undefined) d.configurable = true;
    return d;
  },
  set(state, name, value) {
    state.written = true;
    return Reflect.set(objectOf(state), name, value);
  },
  deleteProperty(state, name) {
    state.written = true;
    return Reflect.deleteProperty(objectOf(state), name);
  },
  defineProperty(state, name, descriptor) {
    state.written = true;
    return Reflect.defineProperty(objectOf(state), name, descriptor);
  },
};

/** `RequestHead.headers` over a raw field list: a lazy, node-compatible view (see the module header). */
export function fieldsView(fields: readonly string[]): HeaderMap {
  return new Proxy<ViewState>({ fields, view: undefined, written: false }, VIEW) as unknown as HeaderMap;
}

/**
 * The raw list behind `headers` when it is a view nobody wrote through: what the router forwards
 * (and filters) as it is. Undefined for any other header object.
 */
export function rawFieldsOf(headers: RequestHeadHeaders): readonly string[] | undefined {
  const state = (headers as { readonly [STATE]?: ViewState })[STATE];
  return state === undefined || state.written ? undefined : state.fields;
}

type RequestHeadHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;
