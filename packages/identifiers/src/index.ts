/** @packageDocumentation HTTP identifiers (io.l5d.header.token, io.l5d.header, io.l5d.path, io.l5d.methodAndHost, io.l5d.static) and io.l5d.ingress. */
export const PACKAGE_NAME = '@switchyard/identifiers';
