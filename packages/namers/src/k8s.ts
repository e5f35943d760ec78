/** @packageDocumentation */
export const SUBPATH = 'k8s';
