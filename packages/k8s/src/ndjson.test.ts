import { describe, expect, it } from 'vitest';
import { splitLines } from './ndjson.js';

async function collect(chunks: Uint8Array[]): Promise<{ lines: string[]; rest: string }> {
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

describe('splitLines', () => {
  const text = '{"type":"ADDED","object":{"name":"café-☕"}}\n\n{"type":"BOOKMARK"}\n{"type":"DEL';
  const bytes = new TextEncoder().encode(text);

  it('gives the same lines wherever the chunk boundaries fall, including inside UTF-8 sequences', async () => {
    for (let a = 0; a <= bytes.length; a++) {
      for (const b of [a, Math.min(bytes.length, a + 1), Math.min(bytes.length, a + 7), bytes.length]) {
        const { lines, rest } = await collect([bytes.slice(0, a), bytes.slice(a, b), bytes.slice(b)]);
        expect(lines).toEqual(['{"type":"ADDED","object":{"name":"café-☕"}}', '{"type":"BOOKMARK"}']);
        expect(rest).toBe('{"type":"DEL');
      }
    }
  });

  it('returns an empty remainder when the stream ends on a newline', async () => {
    const { lines, rest } = await collect([new TextEncoder().encode('{"a":1}\r\n')]);
    expect(lines).toEqual(['{"a":1}']);
    expect(rest).toBe('');
  });
});
