/** @packageDocumentation Linkerd-compatible YAML/JSON configuration: a kind registry, typed config with line:column errors, and builders. */
export const PACKAGE_NAME = '@switchyard/config';
