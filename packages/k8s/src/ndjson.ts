/**
 * Newline-delimited JSON framing for watch streams. A chunk boundary can fall anywhere, inside an
 * event or inside a multi-byte UTF-8 character, so bytes are decoded with a streaming decoder and
 * a line is only released once its `\n` has arrived. A trailing partial line at end of stream is
 * an incomplete event and is reported, never parsed.
 */

/** Splits a byte stream into complete lines (without the newline). Empty lines are skipped. */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<string, string> {
  const decoder = new TextDecoder('utf-8');
  let buffered = '';
  for await (const chunk of chunks) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf('\n');
    while (nl !== -1) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line !== '') yield line;
      nl = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  // The remainder is an event cut off by the end of the stream; the caller decides what that means.
  return buffered.trim();
}
