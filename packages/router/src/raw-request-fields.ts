/**
 * The request-side header rules of `headers.ts` on the raw field list (`request-head.ts`): the
 * context layer's stripping (`prepareRequestHeaders`), the absolute-form `Host` rewrite and the
 * fields the retries layer adds (`addForwardingHeaders`, `l5d-dst-*`, `l5d-reqid`,
 * `l5d-ctx-dtab`, `l5d-ctx-deadline`). Each gives the same header object as its object twin
 * (property-tested side by side); fields it keeps stay in the client's order and case.
 */
import {
  appendList,
  type ForwardedHeaderOptions,
  type ForwardingInfo,
  forwardedElement,
  type InboundContext,
  isHopByHop,
  isL5d,
  namesNoHeaders,
  VIA,
} from './headers.js';
import { nameIs } from './request-head.js';

const EMPTY_CONTEXT: InboundContext = Object.freeze({ dtabHeaders: Object.freeze([]) });

/** Lower-case first letter of a field name (ASCII letters; other characters unchanged). */
function firstLower(name: string): number {
  const c = name.charCodeAt(0);
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Whether a name could be one `prepareRequestHeaders` touches: hop-by-hop, `l5d-*`, `expect`, `dtab-local`. */
function mayPrepare(name: string): boolean {
  switch (firstLower(name)) {
    case 99 /* c */:
    case 100 /* d */:
    case 101 /* e */:
    case 107 /* k */:
    case 108 /* l */:
    case 112 /* p */:
    case 116 /* t */:
    case 117 /* u */:
      {
        const lower = name.toLowerCase();
        return isHopByHop(lower) || isL5d(lower) || lower === 'expect' || lower === 'dtab-local';
      }
    default:
      return false;
  }
}

/** `needsPreparing` on a raw list: true when `prepareRequestFields` would change or read a field. */
export function needsPreparingFields(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) if (mayPrepare(fields[i]!)) return true;
  return false;
}

function joined(had: string | undefined, value: string): string {
  return had === undefined ? value : `${had}, ${value}`;
}

/**
 * `prepareRequestHeaders` on a raw list: the fields to forward (a new list) and the dtab headers
 * read, by the same rules (hop-by-hop, those named by `Connection`, `Expect`; `l5d-*` and
 * `dtab-local` under `clearContext`, else the three dtab headers are read and removed).
 */
export function prepareRequestFields(
  fields: readonly string[],
  clearContext: boolean,
): { readonly fields: string[]; readonly context: InboundContext } {
  let dtabLocal: string | undefined;
  let ctxDtab: string | undefined;
  let l5dDtab: string | undefined;
  let connection: string | undefined;
  let out: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (!mayPrepare(name)) {
      out.push(name, value);
      continue;
    }
    const lower = name.toLowerCase();
    if (isHopByHop(lower)) {
      if (lower === 'connection') connection = joined(connection, value);
    } else if (lower === 'expect') {
      // answered by this hop
    } else if (isL5d(lower)) {
      if (clearContext) continue;
      if (lower === 'l5d-dtab') l5dDtab = joined(l5dDtab, value);
      else if (lower === 'l5d-ctx-dtab') ctxDtab = joined(ctxDtab, value);
      else out.push(name, value);
    } else if (lower === 'dtab-local') {
      if (!clearContext) dtabLocal = joined(dtabLocal, value);
    } else out.push(name, value);
  }
  if (connection !== undefined && !namesNoHeaders(connection)) {
    const named = new Set<string>();
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && name !== 'close' && name !== 'keep-alive') named.add(name);
    }
    if (named.size > 0) {
      const kept: string[] = [];
      for (let i = 0; i < out.length; i += 2) {
        if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
      }
      out = kept;
    }
  }
  if (dtabLocal === undefined && ctxDtab === undefined && l5dDtab === undefined)
    return { fields: out, context: EMPTY_CONTEXT };
  const dtabHeaders: (readonly [string, string])[] = [];
  if (dtabLocal !== undefined && dtabLocal.trim() !== '') dtabHeaders.push(['dtab-local', dtabLocal]);
  if (ctxDtab !== undefined && ctxDtab.trim() !== '') dtabHeaders.push(['l5d-ctx-dtab', ctxDtab]);
  if (l5dDtab !== undefined && l5dDtab.trim() !== '') dtabHeaders.push(['l5d-dtab', l5dDtab]);
  return { fields: out, context: { dtabHeaders } };
}

/** The list with every `name` (lower-case) field replaced by one `name: value`, at the first one's place. */
export function withField(fields: readonly string[], name: string, value: string): string[] {
  const out: string[] = [];
  let placed = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (!nameIs(fields[i]!, name)) out.push(fields[i]!, fields[i + 1]!);
    else if (!placed) {
      out.push(fields[i]!, value);
      placed = true;
    }
  }
  if (!placed) out.push(name, value);
  return out;
}

/** The router's own fields on a forwarded request (the retries layer sets them on every attempt). */
export interface RouterFields {
  readonly service: string;
  readonly client: string;
  /** `l5d-dst-residual`; undefined removes any. */
  readonly residual: string | undefined;
  readonly requestId: string;
  /** `l5d-ctx-dtab`; undefined leaves the field as it is. */
  readonly ctxDtab: string | undefined;
  /** `l5d-ctx-deadline`; undefined removes any. */
  readonly ctxDeadline: string | undefined;
}

/**
 * The fields to forward: `fields` with `addForwardingHeaders` applied (Via, X-Forwarded-*,
 * Forwarded) and the router's own fields set, as the retries layer does on the header object.
 * Appended-to fields (Via, X-Forwarded-For, Forwarded) become one field at the end.
 */
export function forwardRequestFields(
  fields: readonly string[],
  info: ForwardingInfo,
  options: ForwardedHeaderOptions,
  own: RouterFields,
): string[] {
  const xForwarded = options.xForwarded !== false;
  const rfc = options.rfc7239;
  const rfcOn = rfc !== undefined && rfc !== false;
  let via: string | undefined;
  let xff: string | undefined;
  let forwarded: string | undefined;
  const out: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const c = firstLower(name);
    // Only names starting with f, l, v or x can be ours: the rest are kept without lower-casing.
    if (c === 102 || c === 108 || c === 118 || c === 120) {
      switch (name.toLowerCase()) {
        case 'via':
          via = joined(via, value);
          continue;
        case 'x-forwarded-for':
          if (!xForwarded) break;
          xff = joined(xff, value);
          continue;
        case 'x-forwarded-proto':
          if (xForwarded) continue;
          break;
        case 'x-forwarded-host':
          if (xForwarded && info.host !== undefined) continue;
          break;
        case 'forwarded':
          if (!rfcOn) break;
          forwarded = joined(forwarded, value);
          continue;
        case 'l5d-dst-service':
        case 'l5d-dst-client':
        case 'l5d-dst-residual':
        case 'l5d-reqid':
        case 'l5d-ctx-deadline':
          continue;
        case 'l5d-ctx-dtab':
          if (own.ctxDtab !== undefined) continue;
          break;
      }
    }
    out.push(name, value);
  }
  out.push('via', appendList(via, VIA));
  const proto = info.secure ? 'https' : 'http';
  if (xForwarded) {
    out.push('x-forwarded-for', appendList(xff, info.remoteAddress), 'x-forwarded-proto', proto);
    if (info.host !== undefined) out.push('x-forwarded-host', info.host);
  }
  if (rfcOn) out.push('forwarded', appendList(forwarded, forwardedElement(info, proto, rfc)));
  out.push('l5d-dst-service', own.service, 'l5d-dst-client', own.client);
  if (own.residual !== undefined) out.push('l5d-dst-residual', own.residual);
  out.push('l5d-reqid', own.requestId);
  if (own.ctxDtab !== undefined) out.push('l5d-ctx-dtab', own.ctxDtab);
  if (own.ctxDeadline !== undefined) out.push('l5d-ctx-deadline', own.ctxDeadline);
  return out;
}
