import type { Dentry } from './dentry.js';

/** A delegation table: an ordered list of dentries; later dentries take precedence. */
export type Dtab = readonly Dentry[];
