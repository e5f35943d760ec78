/**
 * The `io.l5d.fs` file format, as Linkerd's `WatchingNamer` reads it: one endpoint per line,
 * `host port` or `host port * weight`, fields separated by blanks; `#` starts a comment that
 * runs to the end of the line; blank lines are skipped. Unlike Linkerd, where one bad line
 * fails the whole file, a bad line is reported and the others still count.
 */
import { FsLineError } from './errors.js';

/** One endpoint line of a service file. */
export interface FsEntry {
  /** Host name or IP literal (IPv6 brackets removed). */
  readonly host: string;
  /** 1–65535. */
  readonly port: number;
  /** Relative weight, finite and ≥ 0. 1 when the line has no `* weight`. */
  readonly weight: number;
  /** 1-based line number. */
  readonly line: number;
  /** The line without comment and surrounding blanks. */
  readonly text: string;
}

/** The endpoints of one file and the lines that could not be read. */
export interface FsParseResult {
  readonly entries: readonly FsEntry[];
  readonly errors: readonly FsLineError[];
}

const PORT = /^\+?[0-9]+$/;
const WEIGHT = /^\+?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Parses the text of service file `file` (the name used in error messages). */
export function parseFsFile(file: string, text: string): FsParseResult {
  const entries: FsEntry[] = [];
  const errors: FsLineError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    const lineNo = i + 1;
    const bad = (why: string) =>
      errors.push(new FsLineError(file, lineNo, line, `malformed address: ${line}${why}`));
    if (fields.length !== 2 && fields.length !== 4) {
      bad(' (expected "host port" or "host port * weight")');
      continue;
    }
    const [hostField, portField, star, weightField] = fields as [string, string, string?, string?];
    const port = PORT.test(portField) ? Number(portField) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) {
      bad(` (port must be 1-65535, got ${portField})`);
      continue;
    }
    let weight = 1;
    if (fields.length === 4) {
      if (star !== '*') {
        bad(` (expected "*" before the weight, got ${star})`);
        continue;
      }
      weight = WEIGHT.test(weightField!) ? Number(weightField) : Number.NaN;
      if (!Number.isFinite(weight)) {
        bad(` (weight must be a non-negative number, got ${weightField})`);
        continue;
      }
    }
    const host = hostField.startsWith('[') && hostField.endsWith(']') ? hostField.slice(1, -1) : hostField;
    entries.push({ host, port, weight, line: lineNo, text: line });
  }
  return { entries, errors };
}
