import { describe, expect, it } from 'vitest';
import { portsFromBanner, shellCommands, substitute } from './runner.js';
import { parseTimes } from './shell.js';

const ports = { http: 40001, https: 40002, admin: 40003 };

describe('substitute', () => {
  it('replaces the documented ports and state directory, leaving other numbers alone', () => {
    expect(
      substitute(
        'curl --cacert ~/.cache/switchyard-ingress/tls/tls.crt --resolve hello.world:4143:127.0.0.1 localhost:4140 127.0.0.1:9990 41400 1.4140',
        ports,
        '/tmp/h',
      ),
    ).toBe(
      'curl --cacert /tmp/h/tls/tls.crt --resolve hello.world:40002:127.0.0.1 localhost:40001 127.0.0.1:40003 41400 1.4140',
    );
  });

  it('refuses a documented port before any server started', () => {
    expect(() => substitute('curl localhost:4140', undefined, '/tmp/h')).toThrow(/names port 4140/);
    expect(substitute('echo hi', undefined, '/tmp/h')).toBe('echo hi');
  });
});

describe('shellCommands', () => {
  it('one command per line, continuations joined, comments and blank lines dropped', () => {
    expect(shellCommands('# setup\nexport A=1\n\ncurl a \\\n  b   # trailing comment\n')).toEqual([
      'export A=1',
      'curl a    b   # trailing comment',
    ]);
  });
});

describe('portsFromBanner', () => {
  it("reads the local default's ports from what run.ts prints", () => {
    const banner = `
  curl http://localhost:40001/
  curl --cacert /x/tls.crt -H 'Host: world.v2' https://localhost:40002/
Admin dashboard: http://127.0.0.1:40003/
`;
    expect(portsFromBanner(banner)).toEqual(ports);
    expect(() => portsFromBanner('nothing')).toThrow(/no HTTP port/);
  });
});

describe('substitute: installs', () => {
  it('runs a documented pnpm install offline against the lockfile, alone or in a && list', () => {
    expect(substitute('npx -y pnpm@10.34.8 install', ports, '/tmp/h')).toBe(
      'npx -y pnpm@10.34.8 install --offline --frozen-lockfile',
    );
    expect(substitute('npx -y pnpm@10.34.8 install && npx -y pnpm@10.34.8 start', ports, '/tmp/h')).toBe(
      'npx -y pnpm@10.34.8 install --offline --frozen-lockfile && npx -y pnpm@10.34.8 start',
    );
    expect(substitute('pnpm install; pnpm test', ports, '/tmp/h')).toBe(
      'pnpm install --offline --frozen-lockfile; pnpm test',
    );
  });

  it('leaves other commands and an install with arguments of its own alone', () => {
    for (const text of ['npm install', 'pnpm install lodash', 'pnpm installer', 'pnpm start --check'])
      expect(substitute(text, ports, '/tmp/h')).toBe(text);
  });
});

describe('parseTimes', () => {
  it("adds the shell's and its children's user and system time", () => {
    expect(parseTimes('0m0.010s 0m0.004s\n1m2.500s 0m0.486s\n')).toBe(10 + 4 + 62_500 + 486);
    expect(parseTimes('')).toBeUndefined();
  });
});
