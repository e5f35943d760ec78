/**
 * Path: a hierarchical name, finagle's `com.twitter.finagle.Path`.
 *
 * A path is an immutable array of labels. Each label is a string whose characters are bytes
 * (code points 0–255): `\xHH` escapes in the text form decode to one such character each, so a
 * path round-trips byte-exactly through `read`/`show` as finagle's `Buf`-based paths do.
 */
export type Path = readonly string[];
