/**
 * Configuration errors. Every problem names the file, line, column and field path, with a hint
 * where one helps ("did you mean `clearContext`?"), so an operator can fix a config without
 * reading source code.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/config`. */
export type ConfigErrorCode =
  | 'SY_ERR_CONFIG_INVALID'
  | 'SY_ERR_CONFIG_SYNTAX'
  | 'SY_ERR_CONFIG_READ'
  | 'SY_ERR_CONFIG_RELOAD'
  | 'SY_ERR_CONFIG_START';

/** One problem found in a config file. `line`/`column` are 1-based; `path` is e.g. `routers[0].servers[0].port`. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
}

/** Formats an issue as `file:line:column: path: message (hint)`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const field = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}: ${field}${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}

/** A config that could not be read, parsed or validated. `issues` lists every problem found. */
export class ConfigError extends SwitchyardError<ConfigErrorCode> {
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const lines = issues.map(formatIssue);
    const what =
      code === 'SY_ERR_CONFIG_START' ? 'the configuration failed to start' : 'invalid configuration';
    const head = issues.length === 1 ? what : `${what} (${issues.length} problems)`;
    super(code, `${head}:\n  ${lines.join('\n  ')}`, options);
    this.issues = issues;
  }
}
