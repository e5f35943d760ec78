/**
 * NDJSON framing laws: however a watch stream's bytes are cut into chunks (inside an event, inside
 * a multi-byte UTF-8 character, at a `\r\n`), `splitLines` yields the same objects in order, and
 * an event cut off by the end of the stream comes back whole as the remainder, never as a line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLines } from './ndjson.js';

async function frame(chunks: readonly Uint8Array[]): Promise<{ lines: string[]; rest: string }> {
  async function* source() {
    for (const c of chunks) yield c;
  }
  const it = splitLines(source());
  const lines: string[] = [];
  for (;;) {
    const step = await it.next();
    if (step.done) return { lines, rest: step.value };
    lines.push(step.value);
  }
}

/** Cuts `bytes` at the given offsets (any order, duplicates allowed: empty chunks happen too). */
function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const at = [...offsets.map((o) => o % (bytes.length + 1))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of at) {
    chunks.push(bytes.slice(from, to));
    from = to;
  }
  chunks.push(bytes.slice(from));
  return chunks;
}

const event = fc.record({
  type: fc.constantFrom('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK'),
  object: fc.jsonValue({ maxDepth: 3 }),
  note: fc.string({ unit: 'grapheme', maxLength: 8 }),
});

describe('splitLines (properties)', () => {
  it('arbitrary chunk splits give the same objects, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (events, eol, offsets) => {
          const text = events.map((e) => `${JSON.stringify(e)}${eol}`).join('');
          const { lines, rest } = await frame(cut(new TextEncoder().encode(text), offsets));
          expect(lines.map((l) => JSON.parse(l))).toEqual(events.map((e) => JSON.parse(JSON.stringify(e))));
          expect(rest).toBe('');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a final event without its newline is the remainder, whatever the chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (events, offsets) => {
          const last = JSON.stringify(events.at(-1));
          const text = `${events
            .slice(0, -1)
            .map((e) => `${JSON.stringify(e)}\n`)
            .join('')}${last}`;
          const { lines, rest } = await frame(cut(new TextEncoder().encode(text), offsets));
          expect(lines).toHaveLength(events.length - 1);
          expect(rest).toBe(last.trim());
        },
      ),
      { numRuns: 200 },
    );
  });
});
