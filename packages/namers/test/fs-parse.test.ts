/** The io.l5d.fs file format: `host port [* weight]`, `#` comments, bad lines reported by line. */
import { describe, expect, it } from 'vitest';
import { parseFsFile } from '../src/fs/parse.js';
import { FsLineError } from '../src/fs.js';

describe('parseFsFile', () => {
  it('reads host port and host port * weight, skipping comments and blank lines', () => {
    const text = [
      '# web servers',
      '127.0.0.1 8080',
      '',
      '   10.0.0.2   8081   # trailing comment',
      'web-3.internal 9000 * 2.5',
      '\t::1\t80 * 0',
      '[::2] 81',
      'host 443 * 1e1\r',
    ].join('\n');
    const { entries, errors } = parseFsFile('web', text);
    expect(errors).toEqual([]);
    expect(entries.map(({ host, port, weight, line }) => ({ host, port, weight, line }))).toEqual([
      { host: '127.0.0.1', port: 8080, weight: 1, line: 2 },
      { host: '10.0.0.2', port: 8081, weight: 1, line: 4 },
      { host: 'web-3.internal', port: 9000, weight: 2.5, line: 5 },
      { host: '::1', port: 80, weight: 0, line: 6 },
      { host: '::2', port: 81, weight: 1, line: 7 },
      { host: 'host', port: 443, weight: 10, line: 8 },
    ]);
  });

  it('reports each malformed line with file:line and keeps the others', () => {
    const text = [
      '127.0.0.1 8080',
      'nonsense',
      '127.0.0.1 0',
      '127.0.0.1 65536',
      '127.0.0.1 80 2',
      '127.0.0.1 80 x 2',
      '127.0.0.1 80 * -1',
      '127.0.0.1 80 * heavy',
      '127.0.0.1 http',
      '127.0.0.2 9090 # fine',
    ].join('\n');
    const { entries, errors } = parseFsFile('eu/web', text);
    expect(entries.map((e) => `${e.host}:${e.port}`)).toEqual(['127.0.0.1:8080', '127.0.0.2:9090']);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(FsLineError);
      expect(e.code).toBe('SY_ERR_NAMERS_FS_LINE');
      expect(e.file).toBe('eu/web');
      expect(e.message.startsWith(`eu/web:${e.line}: malformed address: ${e.text}`)).toBe(true);
    }
    expect(errors[0]!.message).toBe(
      'eu/web:2: malformed address: nonsense (expected "host port" or "host port * weight")',
    );
    expect(errors[2]!.reason).toContain('port must be 1-65535, got 65536');
  });

  it('an empty file or a comments-only file has no endpoints and no errors', () => {
    expect(parseFsFile('f', '')).toEqual({ entries: [], errors: [] });
    expect(parseFsFile('f', '# nobody home\n\n')).toEqual({ entries: [], errors: [] });
  });
});
