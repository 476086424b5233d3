import { SseParser } from './sse';

describe('SseParser', () => {
  it('reads named events and their data', () => {
    const p = new SseParser();
    expect(p.feed('event: progress\ndata: {"a":1}\n\nevent: end\ndata: {"a":2}\n\n')).toEqual([
      { event: 'progress', data: '{"a":1}' },
      { event: 'end', data: '{"a":2}' },
    ]);
  });

  it('keeps a partial event until the rest arrives, across any split', () => {
    const text = 'event: progress\r\ndata: {"percent": 50}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const events = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      expect(events).toEqual([{ event: 'progress', data: '{"percent": 50}' }]);
    }
  });

  it('joins multi-line data, ignores comments and defaults the name to message', () => {
    const p = new SseParser();
    expect(p.feed(': keep-alive\n\ndata: one\ndata: two\n\n')).toEqual([
      { event: 'message', data: 'one\ntwo' },
    ]);
  });
});
