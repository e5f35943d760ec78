/**
 * A Zipkin v2 collector stand-in for the config tests: the spans POSTed to `/api/v2/spans` as
 * JSON are kept in arrival order; every request is answered 202, as a collector does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fields of a Zipkin v2 span the tests read. */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly kind: string;
  readonly tags?: Record<string, string>;
}

export interface ZipkinCollector<T = ZipkinSpan> {
  readonly port: number;
  /** Every span received so far (the array grows in place). */
  readonly spans: T[];
  close(): Promise<void>;
}

/** Starts a collector on an ephemeral loopback port; spans are pushed onto `spans`. */
export async function startZipkinCollector<T = ZipkinSpan>(spans: T[] = []): Promise<ZipkinCollector<T>> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url === '/api/v2/spans') spans.push(...(JSON.parse(body) as T[]));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
