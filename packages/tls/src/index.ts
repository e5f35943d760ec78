/** @packageDocumentation TLS termination with SNI, certificates from files or other sources, live reload keeping the last good certificate; upstream client TLS. */
export const PACKAGE_NAME = '@switchyard/tls';
