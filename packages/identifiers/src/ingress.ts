/** @packageDocumentation */
export const SUBPATH = 'ingress';
