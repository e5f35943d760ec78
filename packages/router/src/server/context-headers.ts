/**
 * Context headers: hop-by-hop and `l5d-*` handling, the per-request dtab, the call-depth guard
 * and the absolute-form rewrite, all before identification. Each rewrite hands on a new value.
 */
import type { RequestHead } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { BadDtabHeaderError, MaxCallDepthError } from '../errors.js';
import {
  type HeaderMap,
  type InboundContext,
  needsPreparing,
  prepareRequestHeaders,
  rewriteAbsoluteForm,
  viaHops,
} from '../headers.js';
import { needsPreparingFields, prepareRequestFields, withField } from '../raw-request-fields.js';
import { fieldsView, rawFieldsOf } from '../request-head.js';
import type { RouterRuntime } from '../runtime.js';
import type { ServerLayer } from '../stages.js';

export function contextLayer(rt: RouterRuntime): ServerLayer {
  return {
    kind: 'server',
    role: 'context',
    description:
      'strips hop-by-hop headers; clearContext: drops l5d-*/dtab-local, else appends l5d-ctx-dtab, l5d-dtab to the dtab',
    layer: (next) => (request) => {
      const clearContext = request.exchange.server.clearContext;
      const raw = rawFieldsOf(request.head.headers);
      let head: RequestHead;
      let inbound: InboundContext;
      if (raw !== undefined) {
        // The fields as received: filtered on the raw list, no header object built.
        if (!needsPreparingFields(raw)) return next(request);
        const prepared = prepareRequestFields(raw, clearContext);
        head = { ...request.head, headers: fieldsView(prepared.fields) };
        inbound = prepared.context;
      } else {
        if (!needsPreparing(request.head.headers)) return next(request);
        const headers: HeaderMap = { ...(request.head.headers as HeaderMap) };
        inbound = prepareRequestHeaders(headers, clearContext);
        head = { ...request.head, headers };
      }
      if (inbound.dtabHeaders.length === 0) return next({ ...request, head });
      let local: Dtab = Dtab.empty;
      const texts: string[] = [];
      for (const [header, text] of inbound.dtabHeaders) {
        try {
          local = Dtab.concat(local, rt.parseDtab(text));
        } catch (err) {
          return Promise.reject(new BadDtabHeaderError(header, err));
        }
        texts.push(text.trim());
      }
      return next({ ...request, head, local: { dtab: local, text: texts.join(';') } });
    },
  };
}

export function callDepthLayer(rt: RouterRuntime): ServerLayer {
  return {
    kind: 'server',
    role: 'call-depth',
    description: `rejects (400) requests with more than maxCallDepth (${rt.maxCallDepth}) Via hops`,
    layer: (next) => (request) => {
      const via = request.head.headers.via;
      if (via !== undefined) {
        const hops = viaHops(via as string | string[]);
        if (hops > rt.maxCallDepth) return Promise.reject(new MaxCallDepthError(hops, rt.maxCallDepth));
      }
      return next(request);
    },
  };
}

export function proxyRewriteLayer(): ServerLayer {
  return {
    kind: 'server',
    role: 'proxy-rewrite',
    description: 'absolute-form targets (GET http://h/p) become origin-form with Host: h',
    layer: (next) => (request) => {
      const { head } = request;
      if (head.url.charCodeAt(0) !== 47 /* / */) {
        const rewritten = rewriteAbsoluteForm(head.url);
        if (rewritten !== undefined) {
          const raw = rawFieldsOf(head.headers);
          const headers =
            raw !== undefined
              ? fieldsView(withField(raw, 'host', rewritten.host))
              : { ...head.headers, host: rewritten.host };
          return next({
            ...request,
            head: { ...head, url: rewritten.url, headers },
            clientHost: rewritten.host,
          });
        }
      }
      return next(request);
    },
  };
}
