/** The config tests' view of a refused config: its issues as `line:col path: message` strings. */
import { ConfigError, type LinkerKinds, parseLinkerConfig } from '../src/index.js';

/**
 * Parses `text` as `file` with `kinds` and returns each issue of the `ConfigError` as
 * `line:col path: message`; `[]` when it parses. Any other error is rethrown.
 */
export function configIssues(text: string, file: string, kinds: LinkerKinds): string[] {
  try {
    parseLinkerConfig(text, file, kinds);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}
