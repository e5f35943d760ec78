import { describe, expect, it } from 'vitest';
import { hostMatches, normalizeHost } from './host-name.js';

describe('normalizeHost', () => {
  it('lowercases and drops one trailing dot', () => {
    expect(normalizeHost('WWW.Example.COM.')).toBe('www.example.com');
  });
  it('refuses what a CA cannot issue for, or what is unsafe as a file name', () => {
    for (const bad of [
      '',
      'localhost',
      '1.2.3.4',
      'a..b',
      '-a.b',
      'a-.b',
      'a b.c',
      '../x.y',
      'x/y.z',
      '*.a.b',
      `${'a'.repeat(64)}.b`,
    ]) {
      expect(normalizeHost(bad), bad).toBeUndefined();
    }
  });
  it('accepts a leading wildcard label only when asked', () => {
    expect(normalizeHost('*.Example.com', true)).toBe('*.example.com');
    expect(normalizeHost('a.*.example.com', true)).toBeUndefined();
  });
});

describe('hostMatches', () => {
  it('matches exact names and one label under a wildcard', () => {
    expect(hostMatches('a.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
  });
});
