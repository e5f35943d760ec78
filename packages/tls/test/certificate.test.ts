import { createTestPki, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCertificatePair } from '../src/certificate.js';
import type { CertificatePair } from '../src/source.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
}, 60_000);
afterAll(() => pki?.dispose());

const now = () => Date.now();

function pair(id: string, certPem: string, keyPem: string, chainPem?: string): CertificatePair {
  return { id, certPem, keyPem, ...(chainPem === undefined ? {} : { chainPem }) };
}

describe('validateCertificatePair', () => {
  it.each(['ec-sec1', 'ec-pkcs8', 'rsa-pkcs1', 'rsa-pkcs8'] as const)('accepts %s keys', async (key) => {
    const leaf = await pki.leaf(`fmt-${key}`, { cn: `${key}.test`, dns: [`${key}.test`], key });
    const header = {
      'ec-sec1': 'EC PRIVATE KEY',
      'ec-pkcs8': 'PRIVATE KEY',
      'rsa-pkcs1': 'RSA PRIVATE KEY',
      'rsa-pkcs8': 'PRIVATE KEY',
    }[key];
    expect(leaf.keyPem).toContain(`-----BEGIN ${header}-----`);
    const result = validateCertificatePair(pair(leaf.certPath, leaf.certPem, leaf.keyPem), { now: now() });
    expect(result.kind).toBe('valid');
    if (result.kind !== 'valid') return;
    expect(result.certificate.names).toEqual([`${key}.test`]);
    expect(result.certificate.keyType).toBe(key.startsWith('ec') ? 'ec' : 'rsa');
  });

  it('takes names from DNS SANs (lowercased, wildcards kept) and ignores CN then', async () => {
    const leaf = await pki.leaf('sans', {
      cn: 'cn.test',
      dns: ['A.Example.com', '*.example.com'],
      ip: ['127.0.0.1'],
    });
    const result = validateCertificatePair(pair('x', leaf.certPem, leaf.keyPem), { now: now() });
    expect(result.kind === 'valid' && result.certificate.names).toEqual(['a.example.com', '*.example.com']);
  });

  it('falls back to the CN without DNS SANs', async () => {
    const leaf = await pki.leaf('cn-only', { cn: 'Only.CN.test' });
    const result = validateCertificatePair(pair('x', leaf.certPem, leaf.keyPem), { now: now() });
    expect(result.kind === 'valid' && result.certificate.names).toEqual(['only.cn.test']);
  });

  it('rejects a key that does not match the certificate, naming the source', async () => {
    const leaf = await pki.leaf('mismatch', { cn: 'm.test', dns: ['m.test'] });
    const other = await pki.key('other', 'ec-pkcs8');
    const result = validateCertificatePair(pair('secret ns/web-tls', leaf.certPem, other.keyPem), {
      now: now(),
    });
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.error.code).toBe('SY_ERR_TLS_KEY_MISMATCH');
    expect(result.error.source).toBe('secret ns/web-tls');
    expect(result.error.message).toMatch(/^secret ns\/web-tls: the private key does not match/);
  });

  it('rejects expired and not-yet-valid certificates unless allowExpired', async () => {
    const expired = await pki.leaf('expired', {
      cn: 'e.test',
      start: '20200101000000Z',
      end: '20200102000000Z',
    });
    const future = await pki.leaf('future', {
      cn: 'f.test',
      start: '20990101000000Z',
      end: '20990102000000Z',
    });
    const e = validateCertificatePair(pair('/etc/tls/e.crt', expired.certPem, expired.keyPem), {
      now: now(),
    });
    expect(e.kind === 'invalid' && e.error.code).toBe('SY_ERR_TLS_EXPIRED');
    expect(e.kind === 'invalid' && e.error.message).toContain(
      '/etc/tls/e.crt: the certificate expired at 2020-01-02',
    );
    const f = validateCertificatePair(pair('f', future.certPem, future.keyPem), { now: now() });
    expect(f.kind === 'invalid' && f.error.code).toBe('SY_ERR_TLS_NOT_YET_VALID');
    expect(
      validateCertificatePair(pair('e', expired.certPem, expired.keyPem), { now: now(), allowExpired: true })
        .kind,
    ).toBe('valid');
  });

  it('rejects bad PEM in the certificate, the chain and the key', async () => {
    const leaf = await pki.leaf('bad', { cn: 'b.test' });
    const garbled = leaf.certPem.replace(/^(-----BEGIN CERTIFICATE-----\n)(.{10})/, '$1AAAAAAAAAA');
    const cases: [CertificatePair, string, RegExp][] = [
      [pair('c1', 'not a pem', leaf.keyPem), 'SY_ERR_TLS_BAD_CERT', /no PEM "CERTIFICATE" block/],
      [pair('c2', garbled, leaf.keyPem), 'SY_ERR_TLS_BAD_CERT', /cannot parse the leaf certificate/],
      [pair('c3', leaf.certPem, leaf.keyPem, 'junk'), 'SY_ERR_TLS_BAD_CERT', /intermediate/],
      [pair('c4', leaf.certPem, 'junk'), 'SY_ERR_TLS_BAD_KEY', /cannot parse the private key/],
    ];
    for (const [p, code, message] of cases) {
      const result = validateCertificatePair(p, { now: now() });
      expect(result.kind === 'invalid' && result.error.code, p.id).toBe(code);
      expect(result.kind === 'invalid' && result.error.message, p.id).toMatch(message);
      expect(result.kind === 'invalid' && result.error.message.startsWith(`${p.id}: `)).toBe(true);
    }
  });

  it('keeps the chain after the leaf', async () => {
    const leaf = await pki.leaf('chain', { cn: 'c.test' });
    const result = validateCertificatePair(pair('x', leaf.certPem, leaf.keyPem, pki.ca.certPem), {
      now: now(),
    });
    expect(
      result.kind === 'valid' && result.certificate.certChainPem.match(/BEGIN CERTIFICATE/g)?.length,
    ).toBe(2);
  });
});
