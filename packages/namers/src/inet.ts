/**
 * @packageDocumentation
 * `/$/inet` and `/$/fixedinet`: finagle's system namers for literal addresses,
 * `/$/inet/[<host>/]<port>[/residual…]`. Every `createInterpreter` from `@switchyard/core` already
 * answers these paths itself, so nothing needs mounting for dtabs such as
 * `/svc/web => /$/inet/127.0.0.1/8080`. The same namers are re-exported here for code that wants
 * to mount them under another prefix or call them directly.
 */
export type { DnsLookup as InetLookup, InetNamerOptions } from '@switchyard/core';
export { createFixedInetNamer, createInetNamer } from '@switchyard/core';
