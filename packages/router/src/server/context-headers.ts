/**
 * Context headers: hop-by-hop and `l5d-*` handling, the per-request dtab, the call-depth guard
 * and the absolute-form rewrite, all before identification.
 */
import { Dtab } from '@switchyard/dtab';
import type { RouterLayer } from '../context.js';
import { BadDtabHeaderError, MaxCallDepthError } from '../errors.js';
import { prepareRequestHeaders, rewriteAbsoluteForm, viaHops } from '../headers.js';
import { ctxOf } from '../request-ctx.js';
import type { RouterRuntime } from '../runtime.js';

export function contextLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'context',
    description:
      'strips hop-by-hop headers; clearContext: drops l5d-*/dtab-local, else appends l5d-ctx-dtab, l5d-dtab to the dtab',
    layer: (next) => (ctx) => {
      const c = ctxOf(ctx);
      const inbound = prepareRequestHeaders(c.headers, c.server.clearContext);
      if (inbound.dtabHeaders.length > 0) {
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
        c.dtabLocal = local;
        c.dtabLocalText = texts.join(';');
      }
      return next(ctx);
    },
  };
}

export function callDepthLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'call-depth',
    description: `rejects (400) requests with more than maxCallDepth (${rt.maxCallDepth}) Via hops`,
    layer: (next) => (ctx) => {
      const via = ctxOf(ctx).headers.via;
      if (via !== undefined) {
        const hops = viaHops(via);
        if (hops > rt.maxCallDepth) return Promise.reject(new MaxCallDepthError(hops, rt.maxCallDepth));
      }
      return next(ctx);
    },
  };
}

export function proxyRewriteLayer(): RouterLayer {
  return {
    role: 'proxy-rewrite',
    description: 'absolute-form targets (GET http://h/p) become origin-form with Host: h',
    layer: (next) => (ctx) => {
      const c = ctxOf(ctx);
      if (c.url.charCodeAt(0) !== 47 /* / */) {
        const rewritten = rewriteAbsoluteForm(c.url);
        if (rewritten !== undefined) {
          c.url = rewritten.url;
          c.headers.host = rewritten.host;
          c.clientHost = rewritten.host;
          c.refreshHead();
        }
      }
      return next(ctx);
    },
  };
}
