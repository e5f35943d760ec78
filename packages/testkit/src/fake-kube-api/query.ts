/**
 * Query parameters of list, watch and write requests, decoded and validated as kube-apiserver
 * does: booleans by apimachinery's `Convert_Slice_string_To_bool` (absent, `"0"` and any casing of
 * `"false"` are false; everything else, even an empty value, is true — so `watch=True`, `watch=t`
 * and `watch=1` all watch), integers by `strconv.ParseInt` (400 BadRequest otherwise), and the
 * cross-field rules of `ValidateListOptions` (422 Invalid, kind `ListOptions`).
 */
import { badRequest, invalid } from './status.js';

/** apimachinery's query boolean: only absence, `0` and `false` (any case) are false. */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** A query boolean that may be absent (`sendInitialEvents` distinguishes unset from false). */
export function queryOptionalBool(q: URLSearchParams, name: string): boolean | undefined {
  return q.has(name) ? queryBool(q, name) : undefined;
}

/** A query integer (`strconv.ParseInt`, base 10); absent or empty is `undefined`. */
export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v))
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** Decoded `ListOptions`. */
export interface ListQuery {
  readonly watch: boolean;
  readonly labelSelector: string | null;
  readonly fieldSelector: string | null;
  /** Raw `resourceVersion`: undefined (unset or empty), `"0"`, or a version. */
  readonly resourceVersion: string | undefined;
  readonly resourceVersionMatch: 'Exact' | 'NotOlderThan' | undefined;
  readonly limit: number;
  readonly continue: string | undefined;
  readonly allowWatchBookmarks: boolean;
  readonly sendInitialEvents: boolean | undefined;
  readonly timeoutSeconds: number | undefined;
}

/** Decodes and validates list/watch options. */
export function parseListQuery(q: URLSearchParams): ListQuery {
  const watch = queryBool(q, 'watch');
  const rv = q.get('resourceVersion') || undefined;
  const matchRaw = q.get('resourceVersionMatch') || undefined;
  const cont = q.get('continue') || undefined;
  const sendInitialEvents = queryOptionalBool(q, 'sendInitialEvents');
  const allowWatchBookmarks = queryBool(q, 'allowWatchBookmarks');
  const limit = queryInt(q, 'limit') ?? 0;
  const timeoutSeconds = queryInt(q, 'timeoutSeconds');
  const errors: { field: string; message: string; reason?: string }[] = [];
  const forbidden = (field: string, message: string) =>
    errors.push({ field, message: `Forbidden: ${message}`, reason: 'FieldValueForbidden' });
  if (matchRaw !== undefined && matchRaw !== 'Exact' && matchRaw !== 'NotOlderThan') {
    errors.push({
      field: 'resourceVersionMatch',
      message: `Unsupported value: "${matchRaw}": supported values: "Exact", "NotOlderThan", ""`,
      reason: 'FieldValueNotSupported',
    });
  }
  const match = matchRaw as ListQuery['resourceVersionMatch'];
  if (sendInitialEvents !== undefined && !watch) {
    forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (watch && sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') {
      forbidden(
        'resourceVersionMatch',
        'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      );
    }
    if (!allowWatchBookmarks) {
      forbidden('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
    }
  } else if (watch && match !== undefined) {
    forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch');
  } else if (match !== undefined) {
    if (rv === undefined) {
      forbidden(
        'resourceVersionMatch',
        'resourceVersionMatch is forbidden unless resourceVersion is provided',
      );
    }
    if (cont !== undefined)
      forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    if (match === 'Exact' && rv === '0') {
      forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
  }
  if (errors.length > 0) throw invalid('meta.k8s.io', 'ListOptions', '', errors);
  if (cont !== undefined && rv !== undefined && rv !== '0') {
    throw badRequest('specifying resource version is not allowed when using continue');
  }
  return {
    watch,
    labelSelector: q.get('labelSelector'),
    fieldSelector: q.get('fieldSelector'),
    resourceVersion: rv,
    resourceVersionMatch: match,
    limit: Math.max(limit, 0),
    continue: cont,
    allowWatchBookmarks,
    sendInitialEvents,
    timeoutSeconds,
  };
}

/** A resourceVersion as a number; 400 for anything that is not a positive integer. */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}
