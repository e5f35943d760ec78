/**
 * @packageDocumentation
 * `/$/inet`: finagle's system namer for literal addresses, `/$/inet/<host>/<port>[/residual…]`.
 * Every `createInterpreter` from `@switchyard/core` already answers `/$/inet/…` paths itself, so
 * nothing needs mounting for dtabs such as `/svc/web => /$/inet/127.0.0.1/8080`. The same namer
 * is re-exported here for code that wants to mount it under another prefix or call it directly.
 */
export type { DnsLookup as InetLookup, InetNamerOptions } from '@switchyard/core';
export { createInetNamer } from '@switchyard/core';
