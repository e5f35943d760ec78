/**
 * `/config.json` shows the loaded configuration to anyone who can reach the admin port, so
 * secrets (private keys, their paths, tokens, passwords, client-auth material) are replaced by
 * `<redacted>` before it is served.
 */

/** The placeholder that replaces a secret value. */
export const REDACTED = '<redacted>';

// Compared after dropping '-' and '_': `client-key-data` → `clientkeydata`.
const SECRET_KEY =
  /^(private|client|tls|signing)?key(path|pem|file|data)?$|^(passphrase|clientauth|authorization|proxyauthorization|cookie)$|password|passwd|secret|token|credential|apikey|bearer/i;

// Values that are secrets whatever their key is called: PEM private keys, bearer/basic credentials.
const SECRET_VALUE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^\s*(bearer|basic)\s+\S/i;
// `scheme://user:password@host` — the password part.
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)[^/@\s]*@/i;

/**
 * True when a config key names a secret (`key`, `keyPath`, `privateKey`, `client-key-data`,
 * `token`, `password`, `clientAuth`, …). Over-redacting a harmless key is the accepted cost.
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/[-_]/g, ''));
}

/**
 * Deep-copies `value`, replacing the value of every secret key (see {@link isSecretKey}) by
 * `<redacted>`, whatever its type. Strings are also checked by content under any key: PEM private
 * keys and `Bearer …`/`Basic …` credentials become `<redacted>`, and a password in a URL's user
 * info becomes `<redacted>` in place. Cycles become `<cycle>`; functions are dropped.
 */
export function redactConfig(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') {
      if (SECRET_VALUE.test(v)) return REDACTED;
      return v.replace(URL_PASSWORD, `$1${REDACTED}@`);
    }
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
