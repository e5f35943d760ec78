/**
 * `node --expose-gc --import tsx bench/memory-idle-variants.ts` — what single additions to a bare
 * node:http server cost per idle keep-alive connection, to price the router's own per-connection
 * state found by memory-idle.ts's heap snapshots: a per-socket `once('close', closure)` (the
 * router's connection counter), one shared 'close' listener instead, and reading the socket's
 * addresses per request (Node caches them on the socket for its lifetime). CONNECTIONS (3000)
 * clients in a child process each make one request and stay open; the server process is GC'd
 * before and after. Not a test: it asserts nothing.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const N = Number(process.env.CONNECTIONS ?? 3000);
const self = fileURLToPath(import.meta.url);

async function clients(port: number): Promise<void> {
  const open: Socket[] = [];
  for (let i = 0; i < N; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, N - i) }, async () => {
        const s = connect(port, '127.0.0.1');
        await once(s, 'connect');
        s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        await once(s, 'data');
        open.push(s);
      }),
    );
  }
  process.send?.('open');
  process.on('disconnect', () => process.exit(0));
}

async function measure(variant: string): Promise<string> {
  let connections = 0;
  const onClose = () => connections--;
  let sink: unknown;
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 600_000 }, (req, res) => {
    if (variant.includes('addresses')) {
      const s = req.socket;
      sink = [s.remoteAddress, s.remotePort, s.localAddress, s.localPort];
    }
    res.end('ok');
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    if (variant.includes('once')) socket.once('close', () => connections--);
    if (variant.includes('shared')) socket.on('close', onClose);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m0 = process.memoryUsage();
  const child = fork(self, ['clients', String(port)], { execArgv: ['--import', 'tsx'] });
  await once(child, 'message');
  await new Promise((r) => setTimeout(r, 300));
  gc?.();
  const m1 = process.memoryUsage();
  child.disconnect();
  server.closeAllConnections();
  server.close();
  void sink;
  return `${variant.padEnd(18)} heap ${((m1.heapUsed - m0.heapUsed) / N).toFixed(0).padStart(5)} B/conn   RSS ${((m1.rss - m0.rss) / N / 1024).toFixed(2).padStart(6)} KiB/conn`;
}

if (process.argv[2] === 'clients') await clients(Number(process.argv[3]));
else if (process.argv[2] === 'variant') {
  console.log(await measure(process.argv[3]!));
  process.exit(0);
} else {
  console.log(`idle connection variants: node ${process.version}, ${N} connections`);
  // Each variant in a fresh process, so no variant pays for the last one's sockets.
  for (const variant of ['plain', 'once', 'shared', 'addresses', 'once+addresses']) {
    const child = fork(self, ['variant', variant], { execArgv: ['--import', 'tsx', '--expose-gc'] });
    await once(child, 'exit');
  }
}
