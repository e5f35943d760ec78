/**
 * `console` blocks: `$ command` lines, each followed by the output it prints. A line that is only
 * `…` (indented or not) in the expected output stands for any number of lines (pnpm's banner, a
 * long JSON body, the elided part of a YAML file).
 */

/** One command of a console block and the output the page promises for it. */
export interface ConsoleStep {
  readonly command: string;
  readonly expected: readonly string[];
}

/** Splits a console block into its commands; text before the first `$ ` is an error. */
export function parseConsole(body: string, where: string): ConsoleStep[] {
  const steps: { command: string; expected: string[] }[] = [];
  for (const line of body.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
    else if (steps.length === 0) throw new Error(`${where}: a console block starts with "$ command"`);
    else steps.at(-1)!.expected.push(line);
  }
  return steps;
}

const ANY = '…';

/**
 * Whether `actual` (the command's output) matches `expected`: line by line, trailing spaces and
 * trailing empty lines ignored, `…` lines matching any run of lines. Returns `undefined` on a
 * match, else the first expected line that could not be found.
 */
export function matchOutput(expected: readonly string[], actual: string): string | undefined {
  const want = trimEnd(expected.map((l) => l.trimEnd()));
  const got = trimEnd(actual.split('\n').map((l) => l.trimEnd()));
  // memo[i][j]: does want[i..] match got[j..]? (small inputs: a page's output, tens of lines)
  const memo = new Map<string, boolean>();
  let furthest = 0;
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    furthest = Math.max(furthest, i);
    let result: boolean;
    if (i === want.length) result = j === got.length;
    else if (want[i]!.trim() === ANY) result = match(i + 1, j) || (j < got.length && match(i, j + 1));
    else result = j < got.length && want[i] === got[j] && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  if (match(0, 0)) return undefined;
  return want[furthest] ?? '(end of output)';
}

function trimEnd(lines: string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return out;
}
