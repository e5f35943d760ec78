/** @packageDocumentation */
export const SUBPATH = 'fs';
