// Numbers and times as a supervisor reads them.

const integer = new Intl.NumberFormat('en-US');

export function count(n: number | null | undefined): string {
  return n == null ? '–' : integer.format(n);
}

export function rate(rowsPerSecond: number | null | undefined): string {
  if (rowsPerSecond == null || rowsPerSecond <= 0) return '–';
  return `${integer.format(Math.round(rowsPerSecond))} rows/s`;
}

/** "about 2 min 5 s left"; under a second reads "a moment". */
export function timeLeft(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 1) return 'a moment';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${rest} s`;
  return `${rest} s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function delimiterName(d: string | null | undefined): string {
  switch (d) {
    case ',':
      return 'Comma (,)';
    case ';':
      return 'Semicolon (;)';
    case '\t':
      return 'Tab';
    case '|':
      return 'Pipe (|)';
    case null:
    case undefined:
      return '–';
    default:
      return `"${d}"`;
  }
}
