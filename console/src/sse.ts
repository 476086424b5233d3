// Server-sent events read with fetch: EventSource cannot send the X-API-Key header.
import { request } from './api';

export interface SseEvent {
  event: string;
  data: string;
}

/** Splits a text/event-stream into events; feed it chunks as they arrive. */
export class SseParser {
  private buffer = '';
  private carriageReturn = false;

  feed(chunk: string): SseEvent[] {
    // A CRLF may be split between chunks: hold a trailing CR back until the next one.
    let text = (this.carriageReturn ? '\r' : '') + chunk;
    this.carriageReturn = text.endsWith('\r');
    if (this.carriageReturn) text = text.slice(0, -1);
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (name === 'event') event = value;
        else if (name === 'data') data.push(value);
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
    }
    return events;
  }
}

/**
 * Follows an SSE endpoint, calling `onEvent` with each event's parsed JSON, until the
 * stream ends or `signal` aborts. Resolves with the last event's data.
 */
export async function follow<T>(
  path: string,
  onEvent: (event: string, data: T) => void,
  signal: AbortSignal,
): Promise<T | undefined> {
  const response = await request(path, { signal, headers: { Accept: 'text/event-stream' } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let last: T | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const e of parser.feed(value)) {
        last = JSON.parse(e.data) as T;
        onEvent(e.event, last);
        if (e.event === 'end') return last;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return last;
}
