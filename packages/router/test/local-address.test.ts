import http from 'node:http';
import net, { type Socket } from 'node:net';
import type { RequestHead } from '@switchyard/core';
import { httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, headerIdentifier } from './helpers.js';

const { backend, router } = fixtures(500);

describe('request head local address and port', () => {
  it("come from the listener, not from each socket (Node keeps a socket's address once asked)", async () => {
    const b = await backend();
    let socketReads = 0;
    const seen: RequestHead[] = [];
    const identify = headerIdentifier();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: (head) => {
        seen.push(head);
        return identify(head);
      },
      servers: [
        {
          port: 0,
          createServer: (options) => {
            const server = http.createServer(options);
            server.on('connection', (socket: Socket) => {
              for (const name of ['localAddress', 'localPort'] as const) {
                const getter = Object.getOwnPropertyDescriptor(net.Socket.prototype, name)?.get;
                Object.defineProperty(socket, name, {
                  configurable: true,
                  get() {
                    socketReads++;
                    return getter?.call(socket);
                  },
                });
              }
            });
            return server;
          },
        },
      ],
    });
    for (let i = 0; i < 3; i++)
      expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
    expect(seen.map((h) => [h.localAddress, h.localPort])).toEqual([
      ['127.0.0.1', port],
      ['127.0.0.1', port],
      ['127.0.0.1', port],
    ]);
    expect(socketReads).toBe(0);
  });
});
