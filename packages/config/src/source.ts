/**
 * Reads config text (YAML or JSON — JSON is YAML) into plain data while keeping the position of
 * every node, so later validation errors can point at `file:line:column`.
 */
import { type Document, isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';

/** A field path: object keys and array indexes from the document root. */
export type FieldPath = readonly (string | number)[];

/** Shows a field path the way users write it: `routers[0].servers[1].port`. */
export function showFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/** Parsed config text that can locate any field path. */
export interface ConfigSource {
  readonly file: string;
  readonly data: unknown;
  /** Position of the value at `path` (or of its key with `{ key: true }`), falling back to the nearest parent. */
  locate(path: FieldPath, options?: { key?: boolean }): { line: number; column: number };
  /** The scalar node at `path`, when it is one; used to map positions inside embedded text (dtabs). */
  scalarAt(path: FieldPath): { line: number; column: number; block: boolean; indent: number } | undefined;
  /** Builds an issue for `path`. */
  issue(path: FieldPath, message: string, options?: { hint?: string; key?: boolean }): ConfigIssue;
}

/** Parses YAML/JSON text. Syntax errors throw `ConfigError` with code `SY_ERR_CONFIG_SYNTAX`. */
export function parseConfigSource(text: string, file: string): ConfigSource {
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  // Positions come from the text itself: yaml's LineCounter misses line starts while it recovers
  // from syntax errors, which put positions past the end of the file.
  const at = positionsOf(text);
  const syntaxError = (offset: number, message: string) =>
    new ConfigError('SY_ERR_CONFIG_SYNTAX', [
      { file, ...at(offset), path: '', message: message.split('\n')[0] ?? message },
    ]);
  if (document.errors.length > 0) {
    throw new ConfigError(
      'SY_ERR_CONFIG_SYNTAX',
      document.errors.map((error) => ({
        file,
        ...at(error.pos[0]),
        path: '',
        message: error.message.split('\n')[0] ?? error.message,
      })),
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An unresolved alias or an alias bomb surfaces only while converting.
    throw syntaxError(0, error instanceof Error ? error.message : String(error));
  }
  const locate = (path: FieldPath, options: { key?: boolean } = {}) => {
    const found = findNode(document, path, options.key ?? false);
    return found?.range ? at(found.range[0]) : { line: 1, column: 1 };
  };
  return {
    file,
    data,
    locate,
    scalarAt(path) {
      const node = findNode(document, path, false);
      if (!node || !isScalar(node) || !node.range) return undefined;
      const start = at(node.range[0]);
      const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
      const indent = block ? blockIndent(text, node.range[0]) : start.column - 1;
      return { ...start, block, indent };
    },
    issue(path, message, options = {}) {
      const position = locate(path, options);
      return {
        file,
        ...position,
        path: showFieldPath(path),
        message,
        ...(options.hint === undefined ? {} : { hint: options.hint }),
      };
    },
  };
}

/** Maps an offset in `text` to its 1-based line and column (clamped to the text). */
function positionsOf(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    const at = Math.max(0, Math.min(offset, text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - starts[lo]! + 1 };
  };
}

/** Indentation of a block scalar's content: the first non-empty line after its header. */
function blockIndent(text: string, headerOffset: number): number {
  const lineStart = text.indexOf('\n', headerOffset) + 1;
  const match = /^( *)\S/m.exec(text.slice(lineStart));
  return match ? match[1]!.length : 0;
}

/** Walks to the node at `path`; stops at the deepest existing ancestor when the path runs out. */
function findNode(document: Document, path: FieldPath, key: boolean): Node | undefined {
  let node: unknown = document.contents;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) return node as Node;
      if (last && key) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (!item) return node as Node;
      node = item;
    } else {
      return node as Node | undefined;
    }
  }
  return node as Node | undefined;
}
