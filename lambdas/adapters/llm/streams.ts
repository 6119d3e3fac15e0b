/**
 * Reading a streamed HTTP body as the providers send it: lines (Ollama's NDJSON) and Server-Sent
 * Events (OpenAI's `data:` lines), across chunk boundaries that fall anywhere, even inside a
 * multi-byte character. Pure over the bytes they are given.
 */

/** The lines of a byte stream, without their `\n` or `\r\n`; a last line without one included. */
export async function* lines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n', start)) {
      yield buffer.slice(start, nl).replace(/\r$/, '');
      start = nl + 1;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

export interface SseEvent {
  /** The `event:` field; unset for the default `message` event. */
  event: string | undefined;
  /** The `data:` lines, joined with `\n`. */
  data: string;
}

/**
 * The events of a Server-Sent Events stream (WHATWG HTML §9.2): `data:` lines accumulate until a
 * blank line dispatches them; comments (`:`), `id:` and `retry:` are skipped. An event the stream
 * ends in the middle of is still given (servers that end without the final blank line exist).
 */
export async function* sseEvents(source: AsyncIterable<string>): AsyncGenerator<SseEvent> {
  let data: string[] = [];
  let event: string | undefined;
  for await (const line of source) {
    if (line === '') {
      if (data.length > 0) yield { event, data: data.join('\n') };
      data = [];
      event = undefined;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  if (data.length > 0) yield { event, data: data.join('\n') };
}

/** A web `ReadableStream` as an async iterable that releases (cancels) the stream when left early. */
export async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Left early (the answer ended, or failed): free the connection. Cancelling a stream that has
    // already failed rejects with that same failure, which the caller is handling already.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
