/** The proxy choice from the environment (`HTTPS_PROXY`/`HTTP_PROXY`, `NO_PROXY`), as pure functions. */
import { describe, expect, it } from 'vitest';
import { noProxyMatches, proxyFor } from './proxy.js';

describe('proxyFor', () => {
  it('HTTPS_PROXY/HTTP_PROXY from the environment, except NO_PROXY matches and loopback', () => {
    expect(proxyFor('https://api.example.com:6443', undefined, { https_proxy: 'http://p:3128' })).toBe(
      'http://p:3128',
    );
    expect(proxyFor('http://api.example.com', undefined, { HTTPS_PROXY: 'http://p:3128' })).toBeUndefined();
    const env = { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '.corp.example,10.0.0.0/8,api.other:6443' };
    expect(proxyFor('https://k8s.corp.example', undefined, env)).toBeUndefined();
    expect(proxyFor('https://10.1.2.3:443', undefined, env)).toBeUndefined();
    expect(proxyFor('https://api.other:6443', undefined, env)).toBeUndefined();
    expect(proxyFor('https://api.other:443', undefined, env)).toBe('http://p:3128');
    expect(proxyFor('https://127.0.0.1:6443', undefined, env)).toBeUndefined();
    expect(proxyFor('https://127.0.0.1:6443', 'http://explicit:1', env)).toBe('http://explicit:1');
    expect(noProxyMatches('*', 'anything', '1')).toBe(true);
  });
});
