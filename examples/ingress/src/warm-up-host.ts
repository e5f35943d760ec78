/**
 * The Host and path of the start-up warm-up's request to a running router (warm-up.ts), in their
 * own module so that the logger can recognise that request's error answer without importing the
 * router. `.invalid` names nothing (RFC 6761), so no user route matches the host; a router error
 * message shows the request line or the name the identifier made (of the host or the path).
 */
export const WARM_UP_HOST = 'switchyard-warm-up.invalid';

/** The warm-up request's path. */
export const WARM_UP_PATH = '/switchyard-warm-up';
