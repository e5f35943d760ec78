/**
 * Namer kinds (`namers[]`): each built namer is mounted at `/#/<prefix>`, prefix defaulting to
 * the kind's name as in Linkerd 1 (`/#/io.l5d.fs/...`).
 */
import { resolve } from 'node:path';
import type { Namer } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { createDnsSrvNamer, createRewriteNamer } from '@switchyard/namers';
import { createFsNamer } from '@switchyard/namers/fs';
import type { BuildContext } from '../build-context.js';
import { directoryProblems } from '../file-checks.js';
import { createKindCategory, type KindCategory } from '../registry.js';
import {
  boolean,
  list,
  number,
  object,
  optional,
  refine,
  reject,
  required,
  string,
  withDefault,
} from '../schema.js';

/** A built namer and the prefix it is mounted at (without `#`). */
export interface BuiltNamer {
  readonly kind: string;
  readonly prefix: Path;
  readonly namer: Namer;
}

/** A namer prefix option: a path like `/io.l5d.fs`. */
export function prefixField(defaultPrefix: string) {
  return withDefault(
    refine(string(), (text) => {
      try {
        const path = Path.read(text);
        return path.length > 0 ? text : reject('must not be empty');
      } catch (error) {
        return reject(`invalid path: ${(error as Error).message}`);
      }
    }),
    defaultPrefix,
    'Mount point: the namer serves /#<prefix>/... .',
  );
}

/** Linkerd's `experimental: true` flag, accepted on every namer. */
export const experimentalField = () =>
  withDefault(boolean(), false, 'Linkerd 1 flag for experimental kinds; accepted.');

/** Creates the namer category; `io.l5d.k8s` is added by `k8sNamerKind`. */
export function namerKinds(): KindCategory<BuiltNamer, BuildContext> {
  const kinds = createKindCategory<BuiltNamer, BuildContext>('namer');
  kinds.register({
    kind: 'io.l5d.fs',
    doc: 'One file per service in rootDir; each line `host port [* weight]`. Changes apply within a second.',
    schema: object({
      rootDir: required(
        string({ nonEmpty: true }),
        'Directory of service files (relative to the config file).',
      ),
      prefix: prefixField('/io.l5d.fs'),
      experimental: experimentalField(),
    }),
    build: (o, c) => {
      const namer = createFsNamer({
        rootDir: resolve(c.baseDir, o.rootDir),
        prefix: o.prefix,
        clock: c.clock,
        stats: c.stats.scope('namer', 'io.l5d.fs'),
      });
      c.onClose(() => (namer as { close?: () => void }).close?.());
      return { kind: 'io.l5d.fs', prefix: Path.read(o.prefix), namer };
    },
    validate: (o, c) => directoryProblems('rootDir', resolve(c.baseDir, o.rootDir)),
  });
  kinds.register({
    kind: 'io.l5d.rewrite',
    doc: 'Rewrites paths matching `pattern` ({var} captures, `*`) into `name`.',
    schema: object({
      prefix: required(string({ nonEmpty: true }), 'Mount point (Linkerd has no default for this namer).'),
      pattern: required(string({ nonEmpty: true }), 'Segments to match, e.g. /{service}/*.'),
      name: required(string({ nonEmpty: true }), 'Path to produce, e.g. /svc/{service}.'),
      experimental: experimentalField(),
    }),
    build: (o) => ({ kind: 'io.l5d.rewrite', prefix: Path.read(o.prefix), namer: createRewriteNamer(o) }),
  });
  kinds.register({
    kind: 'io.l5d.dnssrv',
    doc: 'Resolves /<srv-name> through DNS SRV records, refreshed periodically.',
    schema: object({
      prefix: prefixField('/io.l5d.dnssrv'),
      refreshIntervalSeconds: withDefault(number({ min: 0.1 }), 5, 'Seconds between lookups.'),
      dnsHosts: optional(list(string()), 'DNS servers (ip or ip:port); default the system resolver.'),
      experimental: experimentalField(),
    }),
    build: (o, c) => {
      const namer = createDnsSrvNamer({
        prefix: o.prefix,
        refreshIntervalSeconds: o.refreshIntervalSeconds,
        ...(o.dnsHosts ? { dnsHosts: o.dnsHosts } : {}),
        clock: c.clock,
        stats: c.stats.scope('namer', 'io.l5d.dnssrv'),
      });
      return { kind: 'io.l5d.dnssrv', prefix: Path.read(o.prefix), namer };
    },
  });
  return kinds;
}
