/**
 * Fenced code blocks of a Markdown page, with the line they start on and the docs-runner marker
 * (an HTML comment, invisible on the rendered page) written just before them.
 */

/** What the runner does with a block; written as `<!-- docs-runner: … -->` before the fence. */
export type Marker =
  /** Run every command; a `console` block's output must match. `exit` is the expected exit code. */
  | { readonly kind: 'run'; readonly exit: number }
  /** Start the last command in the background (the server the later blocks talk to). */
  | { readonly kind: 'start' }
  /** Not run here, for the reason given (e.g. it needs a cluster). */
  | { readonly kind: 'skip'; readonly reason: string };

/** One fenced block. `line` is the 1-based line of its opening fence. */
export interface Block {
  readonly file: string;
  readonly line: number;
  /** The info string's first word (`sh`, `console`, `yaml`…), or `''`. */
  readonly lang: string;
  readonly body: string;
  readonly marker: Marker | undefined;
}

/** A marker that does not parse; the message names the place. */
export class MarkerError extends Error {
  override readonly name = 'MarkerError';
}

const MARKER = /^<!--\s*docs-runner:\s*(.*?)\s*-->$/;

/** Parses the text after `docs-runner:`; `where` is `file:line` for the error. */
export function parseMarker(text: string, where: string): Marker {
  const run = /^run(?:\s+exit=(\d+))?$/.exec(text);
  if (run) return { kind: 'run', exit: Number(run[1] ?? 0) };
  if (text === 'start') return { kind: 'start' };
  const skip = /^skip\s*(?:—|-|:)\s*(\S.*)$/.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1]! };
  throw new MarkerError(
    `${where}: docs-runner marker "${text}" is not one of "run", "run exit=N", "start", "skip — reason"`,
  );
}

/**
 * The fenced blocks of `text` (backtick fences of three or more, as CommonMark). A marker applies to
 * the next fence when only blank lines stand between them.
 */
export function extractBlocks(text: string, file: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let pending: Marker | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = MARKER.exec(line.trim());
    if (marker) {
      pending = parseMarker(marker[1]!, `${file}:${i + 1}`);
      continue;
    }
    const open = /^(`{3,})\s*([^\s`]*)/.exec(line);
    if (!open) {
      if (line.trim() !== '') pending = undefined;
      continue;
    }
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new MarkerError(`${file}:${start + 1}: the fenced block is never closed`);
    blocks.push({ file, line: start + 1, lang: open[2]!, body: body.join('\n'), marker: pending });
    pending = undefined;
  }
  return blocks;
}
