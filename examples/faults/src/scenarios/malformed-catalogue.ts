/**
 * The smuggling and malformed-request catalogue: raw requests an HTTP/1.1 edge must answer itself
 * (RFC 9112 §6.3 framing, §5.2 obs-fold, §2.2 line endings, §3.2.4 asterisk-form, RFC 9110 §9.3.6
 * CONNECT, limits). Each entry lists the statuses it may get; none of them may reach a backend.
 */

/** One malformed request. */
export interface MalformedCase {
  readonly name: string;
  readonly bytes: string;
  /** Acceptable answers. */
  readonly expect: readonly number[];
}

const CRLF = '\r\n';
/** A request smuggled after a body, to show up at the backend if framing is misread. */
const SMUGGLED = `GET /smuggled HTTP/1.1${CRLF}Host: web${CRLF}${CRLF}`;

/** A request head from its lines, then `body` verbatim. */
function request(lines: readonly string[], body = ''): string {
  return `${lines.join(CRLF)}${CRLF}${CRLF}${body}`;
}

/** The catalogue. Host is always `web`, a routable service, so anything forwarded would arrive. */
export const MALFORMED: readonly MalformedCase[] = [
  {
    name: 'CL+TE',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Content-Length: 5', 'Transfer-Encoding: chunked'],
      `0${CRLF}${CRLF}${SMUGGLED}`,
    ),
    expect: [400],
  },
  {
    name: 'TE+CL',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding: chunked', 'Content-Length: 40'],
      `0${CRLF}${CRLF}${SMUGGLED}`,
    ),
    expect: [400],
  },
  {
    name: 'double CL (different)',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Content-Length: 4', 'Content-Length: 40'],
      `abcd${SMUGGLED}`,
    ),
    expect: [400],
  },
  {
    name: 'double CL (same)',
    bytes: request(['POST / HTTP/1.1', 'Host: web', 'Content-Length: 4', 'Content-Length: 4'], 'abcd'),
    expect: [400],
  },
  {
    name: 'CL list',
    bytes: request(['POST / HTTP/1.1', 'Host: web', 'Content-Length: 4, 40'], `abcd${SMUGGLED}`),
    expect: [400],
  },
  {
    name: 'chunk size not hex',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding: chunked'],
      `zz${CRLF}hello${CRLF}0${CRLF}${CRLF}`,
    ),
    expect: [400],
  },
  {
    name: 'chunk size overflow',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding: chunked'],
      `fffffffffffffffff5${CRLF}hello${CRLF}0${CRLF}${CRLF}`,
    ),
    expect: [400],
  },
  {
    name: 'chunk size negative',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding: chunked'],
      `-5${CRLF}hello${CRLF}0${CRLF}${CRLF}`,
    ),
    expect: [400],
  },
  {
    name: 'chunk data overrun',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding: chunked'],
      `5${CRLF}helloXX${CRLF}0${CRLF}${CRLF}`,
    ),
    expect: [400],
  },
  {
    name: 'TE chunked not last',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding: chunked, identity'],
      `0${CRLF}${CRLF}${SMUGGLED}`,
    ),
    expect: [400, 501],
  },
  {
    name: 'TE space before colon',
    bytes: request(
      ['POST / HTTP/1.1', 'Host: web', 'Transfer-Encoding : chunked'],
      `0${CRLF}${CRLF}${SMUGGLED}`,
    ),
    expect: [400],
  },
  {
    name: 'obs-fold',
    bytes: request(['GET / HTTP/1.1', 'Host: web', 'X-Folded: a', ' b']),
    expect: [400],
  },
  { name: 'bare LF', bytes: 'GET / HTTP/1.1\nHost: web\n\n', expect: [400] },
  { name: 'bare CR', bytes: `GET / HTTP/1.1\rHost: web${CRLF}${CRLF}`, expect: [400] },
  { name: 'NUL in header', bytes: request(['GET / HTTP/1.1', 'Host: web', 'X-Nul: a\0b']), expect: [400] },
  { name: 'NUL in target', bytes: request(['GET /a\0b HTTP/1.1', 'Host: web']), expect: [400] },
  {
    name: 'space in header name',
    bytes: request(['GET / HTTP/1.1', 'Host: web', 'Bad Name: x']),
    expect: [400],
  },
  { name: 'no Host', bytes: request(['GET / HTTP/1.1']), expect: [400] },
  { name: 'duplicate Host', bytes: request(['GET / HTTP/1.1', 'Host: web', 'Host: api']), expect: [400] },
  { name: 'GET *', bytes: request(['GET * HTTP/1.1', 'Host: web']), expect: [400] },
  { name: 'OPTIONS *', bytes: request(['OPTIONS * HTTP/1.1', 'Host: web']), expect: [200] },
  { name: 'CONNECT', bytes: request(['CONNECT web:443 HTTP/1.1', 'Host: web:443']), expect: [405] },
  { name: 'HTTP/2.0 request line', bytes: request(['GET / HTTP/2.0', 'Host: web']), expect: [505] },
  // Node's parser rejects majors above 2 itself (400); either answer keeps it local.
  { name: 'HTTP/3.0 request line', bytes: request(['GET / HTTP/3.0', 'Host: web']), expect: [400, 505] },
  {
    name: 'oversized head',
    bytes: request(['GET / HTTP/1.1', 'Host: web', `X-Big: ${'a'.repeat(16 * 1024)}`]),
    expect: [431],
  },
  {
    name: 'oversized URL',
    bytes: request([`GET /${'u'.repeat(16 * 1024)} HTTP/1.1`, 'Host: web']),
    expect: [414, 431],
  },
  {
    name: 'header count',
    bytes: request(['GET / HTTP/1.1', 'Host: web', ...Array.from({ length: 3000 }, (_, i) => `h${i}: x`)]),
    expect: [431],
  },
];
