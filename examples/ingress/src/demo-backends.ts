/**
 * The post's demo services, in-process: `world-v1` answers `world (<ip>)!` and `world-v2`
 * answers `earth (<ip>)!`, like buoyantio/helloworld with `-text=world` / `-text=earth`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running demo backend. */
export interface DemoBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a backend that answers every request with `<text> (<ip>)!`. */
export async function startDemoBackend(name: string, text: string, host = '127.0.0.1'): Promise<DemoBackend> {
  const server: Server = createServer((req, res) => {
    req.resume();
    const body = `${text} (${host})!\n`;
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    name,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
