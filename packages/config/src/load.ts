/** Reads and validates a config file (or text) into a `LinkerConfig`. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import { type LinkerConfig, type LinkerKinds, linkerSchema } from './linker-schema.js';
import { validate } from './schema.js';
import { type ConfigSource, parseConfigSource } from './source.js';

/**
 * A validated config, the plain data it came from (shown, redacted, at `/config.json`) and the
 * parsed source, which locates any field for later problems (files, ports) at `file:line:column`.
 */
export interface LoadedConfig {
  readonly file: string;
  readonly config: LinkerConfig;
  readonly raw: unknown;
  readonly source: ConfigSource;
}

/** Parses and validates config text. Throws `ConfigError` listing every problem. */
export function parseLinkerConfig(text: string, file: string, kinds: LinkerKinds): LoadedConfig {
  const source = parseConfigSource(text, file);
  const result = validate(linkerSchema(kinds), source);
  if ('issues' in result) throw new ConfigError('SY_ERR_CONFIG_INVALID', result.issues);
  return { file, config: result.value, raw: source.data, source };
}

/** Reads `file` (`-` for standard input is the caller's job) and validates it. */
export async function readLinkerConfig(file: string, kinds: LinkerKinds): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(
      'SY_ERR_CONFIG_READ',
      [{ file, line: 1, column: 1, path: '', message: `cannot read the config file (${reason})` }],
      { cause: error },
    );
  }
  return parseLinkerConfig(text, file, kinds);
}
