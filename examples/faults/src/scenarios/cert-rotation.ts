/**
 * Certificate rotation: a TLS server's certificate files are replaced under HTTPS load (new
 * handshake per request): A → B must take over without a failed request; B → a mismatched pair
 * must be refused while B keeps serving; then back to A.
 */

import { X509Certificate } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestPki, type Issued } from '@switchyard/testkit';
import { replaceFile } from '../config.js';
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { eventually, sleep, startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

/** Certificates swapped on disk while serving. */
export const certRotation: Scenario = {
  name: 'cert-rotation',
  description: 'TLS cert files swapped A→B→(bad pair)→A under HTTPS load; no failures, bad pair refused',
  timeoutMs: 120_000,
  async run(ctx) {
    const pki = await createTestPki();
    ctx.defer(() => pki.dispose());
    const a = await pki.leaf('a', { cn: 'localhost', dns: ['localhost'] });
    const b = await pki.leaf('b', { cn: 'localhost', dns: ['localhost'] });
    const c = await pki.leaf('c', { cn: 'localhost', dns: ['localhost'] });
    const certPath = join(ctx.dir, 'tls.crt');
    const keyPath = join(ctx.dir, 'tls.key');
    await copyFile(a.certPath, certPath);
    await copyFile(a.keyPath, keyPath);
    const f = await startFixture(ctx, {
      services: { localhost: ['web-1', 'web-2'] },
      servers: [{ tls: { certPath, keyPath } }],
    });
    const rss = sampleRss(f.router.pid);
    const serial = (issued: Issued) => new X509Certificate(issued.certPem).serialNumber.toUpperCase();
    let latest = '';
    const load = startLoad({
      signal: ctx.signal,
      port: f.router.ports[0]!,
      targets: [f.target('localhost')],
      concurrency: 4,
      keepAlive: false,
      tls: { ca: pki.ca.certPem, servername: 'localhost' },
      onAnswer: (answer) => {
        latest = (answer.peerCertificateSerial ?? '').toUpperCase();
      },
    });
    const problems: string[] = [];
    const rotate = async (label: string, cert: Issued, key: Issued, expected: Issued) => {
      // Key first, then certificate: each file is replaced atomically.
      await replaceFile(keyPath, key.keyPem);
      await replaceFile(certPath, cert.certPem);
      const ok = await eventually(() => latest === serial(expected), 10_000);
      if (!ok) problems.push(`${label}: handshakes did not present the expected certificate within 10 s`);
    };
    await eventually(() => latest !== '', 10_000);
    if (latest !== serial(a)) problems.push('the initial certificate is not A');
    await rotate('A→B', b, b, b);
    // A mismatched pair (C's certificate, B's key) must be refused; B keeps serving.
    await replaceFile(certPath, c.certPem);
    await sleep(3000);
    if (latest !== serial(b)) problems.push('after the mismatched pair, B is no longer served');
    await rotate('→A', a, a, a);
    await sleep(500);
    const result = await load.stop();
    return { ...loadCounts(result, f.router, rss.stop()), problems };
  },
};
