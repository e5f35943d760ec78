/** @packageDocumentation The admin server: ping, readiness, metrics (JSON and Prometheus), delegator, config, and the live dashboard. */
export const PACKAGE_NAME = '@switchyard/admin';
