/**
 * Switchyard's typed errors. Every error carries a stable `code` (`SY_ERR_<AREA>_<WHAT>`) that
 * callers switch on, and an ES2022 `cause`. `instanceof` works across duplicated ESM/CJS copies
 * of this package because the check is keyed by global symbols
 * (`Symbol.for('switchyard.error.<CODE>')`), not by class identity.
 */

const BRAND = Symbol.for('switchyard.error');

/** The global symbol every error carrying `code` is marked with. */
export function errorCodeSymbol(code: string): symbol {
  return Symbol.for(`switchyard.error.${code}`);
}

/** Codes owned by `@switchyard/core`. Other packages extend the union with their own codes. */
export type CoreErrorCode =
  | 'SY_ERR_CORE_BIND_DEPTH'
  | 'SY_ERR_CORE_NAMER_NOT_FOUND'
  | 'SY_ERR_CORE_BIND_FAILED'
  | 'SY_ERR_CORE_INVALID_ARGUMENT'
  | 'SY_ERR_CORE_ACTIVITY_PENDING'
  | 'SY_ERR_CORE_DNS'
  | 'SY_ERR_UNKNOWN_DST'
  | 'SY_ERR_NO_BROKERS';

/**
 * Base class of every Switchyard error. `code` is `SY_ERR_<AREA>_<WHAT>`.
 *
 * A subclass that always carries one code may declare `static readonly code = 'SY_ERR_…'`; then
 * `x instanceof Sub` is true for any error with that code, from any copy of the package. Without
 * a static `code`, a foreign-copy instance matches when its class chain has a class of the same
 * name.
 */
export class SwitchyardError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
    Object.defineProperty(this, errorCodeSymbol(code), { value: true });
  }

  /** Recognises Switchyard errors from any copy of this package (ESM and CJS loaded together). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of `instanceof` (a subclass, or another copy); the answer depends on which one.
    const c = this as { name: string; code?: unknown };
    if (Function.prototype[Symbol.hasInstance].call(c, value)) return true;
    if (!(BRAND in value)) return false;
    if (c.name === 'SwitchyardError') return true;
    if (Object.hasOwn(c, 'code') && typeof c.code === 'string') return errorCodeSymbol(c.code) in value;
    return classChainHasName(value, c.name);
  }
}

function classChainHasName(value: object, name: string): boolean {
  for (let p = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor?: { name?: unknown } }).constructor;
    if (ctor?.name === name) return true;
  }
  return false;
}

/** True when `value` is a Switchyard error carrying `code` (from any copy of the package). */
export function hasErrorCode<C extends string>(value: unknown, code: C): value is SwitchyardError<C> {
  return (
    typeof value === 'object' &&
    value !== null &&
    errorCodeSymbol(code) in value &&
    value instanceof SwitchyardError
  );
}
