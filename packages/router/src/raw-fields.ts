/**
 * Header rules of `headers.ts` on raw field lists (`name, value, name, value…`), as undici hands
 * a response head to a raw handler (Buffers) and node gives `rawHeaders` (strings): the relayed
 * response head is filtered and written as a flat list, never built into an object and
 * re-serialised. Same rules as `prepareResponseHeaders`, unit-tested side by side.
 */
import { appendList, type HeaderMap, isHopByHop, isL5d, namesNoHeaders, VIA } from './headers.js';

/** A raw field list as undici (Buffers) and node (`rawHeaders`, strings) give it: name, value, name, value… */
export type RawFields = readonly (Buffer | string)[];

function fieldText(field: Buffer | string): string {
  return typeof field === 'string' ? field : field.toString('latin1');
}

/**
 * The header object of a raw field list, as undici builds it: lower-cased names, latin1 values,
 * a repeated field as an array of its values in order.
 */
export function parseRawFields(raw: RawFields | null | undefined): HeaderMap {
  const out: HeaderMap = {};
  if (raw == null) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = fieldText(raw[i]!).toLowerCase();
    const value = fieldText(raw[i + 1]!);
    const had = Object.hasOwn(out, name) ? out[name] : undefined;
    if (had === undefined) {
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true });
      else out[name] = value;
    } else if (typeof had === 'string') out[name] = [had, value];
    else had.push(value);
  }
  return out;
}

/** The first value of `name` (lower-case) in a raw field list, without building the object. */
export function rawFieldValue(raw: RawFields, name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i]!;
    if (field.length === name.length && fieldText(field).toLowerCase() === name)
      return fieldText(raw[i + 1]!);
  }
  return undefined;
}

/**
 * `prepareResponseHeaders` on a raw field list, for `writeHead(status, message, fields)`: the
 * same fields dropped (hop-by-hop, those named by Connection, `l5d-*` under `clearContext`),
 * `Via` appended to the first `Via` field (or added), then `extra` (replacing fields of the same
 * name) and `Connection: close` when `close`. Names keep the endpoint's case; the result is a
 * flat `[name, value, …]` list of strings.
 */
export function prepareRawResponseHeaders(
  raw: RawFields,
  clearContext: boolean,
  extra: Readonly<Record<string, string>> | undefined,
  close: boolean,
): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  let via = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = fieldText(raw[i]!);
    const lower = name.toLowerCase();
    if (isHopByHop(lower)) {
      if (lower === 'connection') {
        const value = fieldText(raw[i + 1]!);
        connection = connection === undefined ? value : `${connection},${value}`;
      }
      continue;
    }
    if (clearContext && isL5d(lower)) continue;
    if (extra !== undefined && Object.hasOwn(extra, lower)) continue;
    if (lower === 'via') {
      const value = fieldText(raw[i + 1]!);
      // One Via field, at the first one's place: `a, b, 1.1 switchyard`.
      if (via < 0) {
        via = out.length;
        out.push(name, value);
      } else out[via + 1] = appendList(out[via + 1], value);
      continue;
    }
    out.push(name, fieldText(raw[i + 1]!));
  }
  if (connection !== undefined && !namesNoHeaders(connection)) {
    const named = new Set<string>();
    for (const token of connection.split(',')) named.add(token.trim().toLowerCase());
    for (let i = out.length - 2; i >= 0; i -= 2) {
      if (named.has(out[i]!.toLowerCase())) {
        if (i < via) via -= 2;
        else if (i === via) via = -1;
        out.splice(i, 2);
      }
    }
  }
  if (via < 0) out.push('via', VIA);
  else out[via + 1] = appendList(out[via + 1], VIA);
  if (extra !== undefined) for (const name in extra) out.push(name, extra[name]!);
  if (close) out.push('connection', 'close');
  return out;
}
