import { bytes, count, delimiterName, rate, timeLeft } from './format';

describe('format', () => {
  it('writes time left in words a supervisor reads', () => {
    expect(timeLeft(null)).toBe('–');
    expect(timeLeft(0.4)).toBe('a moment');
    expect(timeLeft(42.4)).toBe('42 s');
    expect(timeLeft(125)).toBe('2 min 5 s');
    expect(timeLeft(3 * 3600 + 61)).toBe('3 h 1 min');
    expect(timeLeft(-1)).toBe('–');
  });

  it('writes rates and counts with separators', () => {
    expect(rate(12345.6)).toBe('12,346 rows/s');
    expect(rate(0)).toBe('–');
    expect(count(1234567)).toBe('1,234,567');
    expect(count(undefined)).toBe('–');
  });

  it('names delimiters and sizes', () => {
    expect(delimiterName('\t')).toBe('Tab');
    expect(delimiterName(';')).toBe('Semicolon (;)');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(200 * 1024 * 1024)).toBe('200.0 MB');
  });
});
