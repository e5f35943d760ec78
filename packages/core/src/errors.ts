/**
 * Switchyard's typed errors. Every error carries a stable `code` (`SY_ERR_<AREA>_<WHAT>`) that
 * callers switch on, and an ES2022 `cause`. `instanceof` works across duplicated ESM/CJS copies
 * of this package because the check is keyed by a global symbol, not by class identity.
 */

const BRAND = Symbol.for('switchyard.error');

/** Codes owned by `@switchyard/core`. Other packages extend the union with their own codes. */
export type CoreErrorCode =
  | 'SY_ERR_CORE_BIND_DEPTH'
  | 'SY_ERR_CORE_NAMER_NOT_FOUND'
  | 'SY_ERR_CORE_BIND_FAILED'
  | 'SY_ERR_CORE_INVALID_ARGUMENT'
  | 'SY_ERR_UNKNOWN_DST'
  | 'SY_ERR_NO_BROKERS';

/** Base class of every Switchyard error. `code` is `SY_ERR_<AREA>_<WHAT>`. */
export class SwitchyardError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: code });
  }

  /** Recognises Switchyard errors from any copy of this package (ESM and CJS loaded together). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
    if (this === SwitchyardError) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value) || sameClassName(this, value);
  }
}

function sameClassName(cls: { name: string }, value: object): boolean {
  return (value as { name?: unknown }).name === cls.name;
}

/** True when `value` is a Switchyard error carrying `code`. */
export function hasErrorCode<C extends string>(value: unknown, code: C): value is SwitchyardError<C> {
  return value instanceof SwitchyardError && value.code === code;
}
