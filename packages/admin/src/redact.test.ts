import { describe, expect, it } from 'vitest';
import { isSecretKey, redactConfig } from './redact.js';

describe('redaction', () => {
  it('recognises secret keys and leaves the rest', () => {
    for (const k of [
      'keyPath',
      'key',
      'token',
      'tokenPath',
      'password',
      'clientAuth',
      'client_secret',
      'apiKey',
      'privateKey',
      'privateKeyPath',
      'client-key-data',
      'clientKey',
      'keyFile',
      'proxy-authorization',
    ]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['certPath', 'caCertPath', 'kind', 'port', 'keepAlive', 'monkey', 'hashKey', 'keys'])
      expect(isSecretKey(k), k).toBe(false);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redactConfig(cyclic)).toEqual({ a: 1, self: '<cycle>' });
    expect(redactConfig({ list: [{ password: 'x' }], when: new Date(0), n: 10n })).toEqual({
      list: [{ password: '<redacted>' }],
      when: '1970-01-01T00:00:00.000Z',
      n: '10',
    });
  });

  it('redacts secrets by content under any key', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n';
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(
      redactConfig({
        material: pem,
        inline: ['x', `${cert}-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----`],
        headers: { 'x-upstream': 'Bearer abc.def', other: 'Basic dXNlcjpwYXNz' },
        url: 'https://user:hunter2@example.test:8443/p',
        plain: 'https://example.test/p',
        ca: cert,
      }),
    ).toEqual({
      material: '<redacted>',
      inline: ['x', '<redacted>'],
      headers: { 'x-upstream': '<redacted>', other: '<redacted>' },
      url: 'https://user:<redacted>@example.test:8443/p',
      plain: 'https://example.test/p',
      ca: cert,
    });
  });
});
