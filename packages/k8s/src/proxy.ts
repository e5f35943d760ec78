/**
 * Which HTTP proxy a request to the API server goes through, as client-go decides it: the
 * kubeconfig cluster's `proxy-url` when set; otherwise the environment (`HTTPS_PROXY` for https
 * servers, `HTTP_PROXY` for http, either case) unless `NO_PROXY` matches the host — Go's
 * `httpproxy` rules: `*` matches everything, an entry matches the host or any subdomain (a leading
 * `.` is optional), an IP or CIDR matches addresses, `host:port` also checks the port — and never
 * for `localhost` or loopback addresses.
 */
import { isIP } from 'node:net';

/** Environment variables consulted; default `process.env`. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

function envValue(env: ProxyEnv, name: string): string | undefined {
  return env[name.toUpperCase()] || env[name.toLowerCase()] || undefined;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  if (isIP(ip) !== 4 || isIP(base) !== 4) return false;
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(base) & mask);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** True when `NO_PROXY` (a comma list) excludes `host:port`. */
export function noProxyMatches(noProxy: string, host: string, port: string): boolean {
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (inCidr(host, entry)) return true;
      continue;
    }
    let name = entry;
    let entryPort: string | undefined;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m && isIP(entry) === 0) {
      name = m[1]!;
      entryPort = m[2];
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    if (isIP(name)) {
      if (name === host) return true;
      continue;
    }
    const suffix = name.startsWith('.') ? name.slice(1) : name;
    if (host === suffix || host.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

/** The proxy URL for `server`, or undefined for a direct connection. */
export function proxyFor(
  server: string,
  proxyUrl: string | undefined,
  env: ProxyEnv = process.env,
): string | undefined {
  if (proxyUrl) return proxyUrl;
  const url = new URL(server);
  const https = url.protocol === 'https:';
  const proxy = envValue(env, https ? 'HTTPS_PROXY' : 'HTTP_PROXY');
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(host)) return undefined;
  const port = url.port || (https ? '443' : '80');
  const noProxy = envValue(env, 'NO_PROXY');
  if (noProxy && noProxyMatches(noProxy, host, port)) return undefined;
  return proxy;
}
