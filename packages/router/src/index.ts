/** @packageDocumentation The HTTP data path: server, identification, binding, balancing, pooled undici dispatch, streaming, limits, errors. */
export const PACKAGE_NAME = '@switchyard/router';
