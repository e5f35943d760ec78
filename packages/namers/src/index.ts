/** @packageDocumentation Namers: io.l5d.fs, io.l5d.k8s, /$/inet, io.l5d.rewrite, io.l5d.dnssrv. */
export const PACKAGE_NAME = '@switchyard/namers';
