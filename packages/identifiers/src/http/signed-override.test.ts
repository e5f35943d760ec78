import { createHmac, randomBytes } from 'node:crypto';
import { Dtab } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import { IdentifierConfigError } from './errors.js';
import { checkOverrideKeys, mintSignedOverride, verifySignedOverride } from './signed-override.js';

const k1 = { id: 'k1', secret: randomBytes(32) };
const k2 = { id: 'k2', secret: randomBytes(32) };
const HOUR = 3_600_000;
const now = Date.UTC(2026, 11, 7, 9, 0, 0);

describe('signed dtab overrides', () => {
  it('round-trips a dtab signed by a held key until it expires', () => {
    const value = mintSignedOverride({
      dtab: '/svc/world => /svc/world-v2',
      key: k1,
      expiresAt: now + 8 * HOUR,
    });
    expect(value).toMatch(/^v1\.k1\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const ok = verifySignedOverride(value, [k2, k1], now);
    expect(ok.kind).toBe('valid');
    if (ok.kind === 'valid') {
      expect(Dtab.show(ok.dtab)).toBe('/svc/world=>/svc/world-v2');
      expect(ok.keyId).toBe('k1');
      expect(ok.expiresAt).toBe(now + 8 * HOUR);
    }
    expect(verifySignedOverride(value, [k1], now + 8 * HOUR)).toEqual({
      kind: 'rejected',
      reason: 'expired',
      keyId: 'k1',
    });
  });

  it('rejects forged, tampered, unknown-key and malformed values', () => {
    const value = mintSignedOverride({ dtab: '/svc/world => /svc/world-v2', key: k1, expiresAt: now + HOUR });
    const forged = mintSignedOverride({
      dtab: '/svc/world => /svc/world-v2',
      key: { id: 'k1', secret: randomBytes(32) },
      expiresAt: now + HOUR,
    });
    expect(verifySignedOverride(forged, [k1], now)).toEqual({
      kind: 'rejected',
      reason: 'badSignature',
      keyId: 'k1',
    });
    // A longer expiry or another dtab under the original signature.
    const parts = value.split('.');
    const later = [parts[0], parts[1], String(Number(parts[2]) + 3600), parts[3], parts[4]].join('.');
    expect(verifySignedOverride(later, [k1], now).kind).toBe('rejected');
    const other = [
      parts[0],
      parts[1],
      parts[2],
      Buffer.from('/svc => /svc/evil').toString('base64url'),
      parts[4],
    ].join('.');
    expect(verifySignedOverride(other, [k1], now)).toMatchObject({ reason: 'badSignature' });
    expect(verifySignedOverride(value, [k2], now)).toEqual({
      kind: 'rejected',
      reason: 'unknownKey',
      keyId: 'k1',
    });
    for (const bad of ['', 'v1', 'v2.k1.1.AA.x', `${value}x`, value.replace('v1.', 'v1..')]) {
      expect(verifySignedOverride(bad, [k1], now)).toMatchObject({ kind: 'rejected' });
    }
  });

  it('rejects a correctly signed value whose text is not a dtab', () => {
    // Signed with the right key by someone holding it, but the payload is garbage: still ignored.
    const payload = `v1.k1.${Math.floor((now + HOUR) / 1000)}.${Buffer.from('not a dtab').toString('base64url')}`;
    const value = `${payload}.${createHmac('sha256', k1.secret).update(payload).digest('base64url')}`;
    expect(verifySignedOverride(value, [k1], now)).toEqual({
      kind: 'rejected',
      reason: 'badDtab',
      keyId: 'k1',
    });
  });

  it('names the field of a bad key list or dtab', () => {
    expect(() => checkOverrideKeys([])).toThrow(/signedDtabOverrides: keys: expected one or two keys/);
    expect(() => checkOverrideKeys([k1, k2, { id: 'k3', secret: randomBytes(32) }])).toThrow(
      IdentifierConfigError,
    );
    expect(() => checkOverrideKeys([{ id: 'a b', secret: randomBytes(32) }])).toThrow(/keys\[0\]\.id/);
    expect(() => checkOverrideKeys([{ id: 'k', secret: randomBytes(16) }])).toThrow(
      /keys\[0\]\.secret: a key needs at least 32 bytes, got 16/,
    );
    expect(() => checkOverrideKeys([k1, { ...k2, id: 'k1' }])).toThrow(/keys\[1\]\.id: duplicate/);
    expect(() => mintSignedOverride({ dtab: '/a =>', key: k1, expiresAt: now })).toThrow(
      /signedDtabOverrides: dtab: /,
    );
  });
});
