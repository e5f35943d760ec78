/**
 * `/config.json` shows the loaded configuration to anyone who can reach the admin port, so
 * secrets (private keys, their paths, tokens, passwords, client-auth material) are replaced by
 * `<redacted>` before it is served.
 */

/** The placeholder that replaces a secret value. */
export const REDACTED = '<redacted>';

const SECRET_KEY =
  /^(key|keypath|keypem|privatekey|passphrase|clientauth|authorization|cookie)$|password|passwd|secret|token|credential|apikey|bearer/i;

/** True when a config key names a secret (`keyPath`, `token`, `password`, `clientAuth`, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/[-_]/g, ''));
}

/**
 * Deep-copies `value`, replacing the value of every secret key (see {@link isSecretKey}) by
 * `<redacted>`, whatever its type. Cycles become `<cycle>`; functions are dropped.
 */
export function redactConfig(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '<cycle>';
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map(walk);
    else if (v instanceof Date) out = v.toISOString();
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (isSecretKey(k)) o[k] = x === undefined ? undefined : REDACTED;
        else o[k] = walk(x);
      }
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return walk(value);
}
