/** @packageDocumentation */
export const SUBPATH = 'http';
