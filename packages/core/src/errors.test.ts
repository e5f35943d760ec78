import { describe, expect, it } from 'vitest';
import { errorCodeSymbol, hasErrorCode, SwitchyardError } from './errors.js';

class BindDepthError extends SwitchyardError<'SY_ERR_CORE_BIND_DEPTH'> {
  static readonly code = 'SY_ERR_CORE_BIND_DEPTH';
  constructor(message: string) {
    super('SY_ERR_CORE_BIND_DEPTH', message);
  }
}

/** What an error made by another copy of `@switchyard/core` looks like to this one. */
function foreignError(code: string, className = 'SwitchyardError'): Error {
  const Foreign = { [className]: class extends Error {} }[className]!;
  const err = new Foreign('from another copy');
  Object.defineProperty(err, Symbol.for('switchyard.error'), { value: true });
  Object.defineProperty(err, errorCodeSymbol(code), { value: true });
  Object.assign(err, { code });
  return err;
}

describe('SwitchyardError', () => {
  it('carries code, name and cause', () => {
    const cause = new Error('root');
    const e = new SwitchyardError('SY_ERR_CORE_BIND_FAILED', 'namer failed', { cause });
    expect(e.code).toBe('SY_ERR_CORE_BIND_FAILED');
    expect(e.name).toBe('SwitchyardError');
    expect(e.cause).toBe(cause);
    expect(e).toBeInstanceOf(Error);
    expect(new BindDepthError('deep').name).toBe('BindDepthError');
  });

  it('instanceof works for errors from another copy of the package, keyed by code', () => {
    const foreign = foreignError('SY_ERR_CORE_BIND_DEPTH');
    expect(foreign instanceof SwitchyardError).toBe(true);
    expect(foreign instanceof BindDepthError).toBe(true);
    expect(foreignError('SY_ERR_CORE_BIND_FAILED') instanceof BindDepthError).toBe(false);
    expect(new Error('plain') instanceof SwitchyardError).toBe(false);
    expect((null as unknown as object) instanceof SwitchyardError).toBe(false);
  });

  it('subclasses without a static code match foreign instances by class name', () => {
    class DtabParseError extends SwitchyardError<'SY_ERR_DTAB_PARSE'> {}
    expect(foreignError('SY_ERR_DTAB_PARSE', 'DtabParseError') instanceof DtabParseError).toBe(true);
    expect(foreignError('SY_ERR_DTAB_PARSE', 'Other') instanceof DtabParseError).toBe(false);
    expect(new DtabParseError('SY_ERR_DTAB_PARSE', 'x') instanceof DtabParseError).toBe(true);
  });

  it('hasErrorCode checks the code', () => {
    expect(hasErrorCode(new BindDepthError('x'), 'SY_ERR_CORE_BIND_DEPTH')).toBe(true);
    expect(hasErrorCode(new BindDepthError('x'), 'SY_ERR_CORE_BIND_FAILED')).toBe(false);
    expect(hasErrorCode(foreignError('SY_ERR_UNKNOWN_DST'), 'SY_ERR_UNKNOWN_DST')).toBe(true);
    expect(hasErrorCode('SY_ERR_UNKNOWN_DST', 'SY_ERR_UNKNOWN_DST')).toBe(false);
  });
});
