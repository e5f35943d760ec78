/** @packageDocumentation */
export const SUBPATH = 'inet';
