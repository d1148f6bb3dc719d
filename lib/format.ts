/** Units and dates as people read them: IEC byte units, local time zone, ISO-8601 with offset. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** formatBytes renders a byte count with IEC units: 0 B, 812 B, 1.5 KiB, 23.4 MiB, 1.02 GiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)} B`;
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${UNITS[i]}`;
}

/** formatRate renders bytes per second, e.g. '1.2 MiB/s'. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** formatShare renders a fraction as a percentage with one decimal below 10 %. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return '0 %';
  const p = (100 * part) / whole;
  if (p > 0 && p < 0.1) return '<0.1 %';
  return `${p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** isoLocal renders unix seconds as ISO-8601 in the local time zone with its offset: 2026-03-29T03:00:00+02:00. */
export function isoLocal(ts: number): string {
  const d = new Date(ts * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

/** localDate renders unix seconds as the local calendar date, 2026-03-29. */
export function localDate(ts: number): string {
  return isoLocal(ts).slice(0, 10);
}

// One locale for every date and time on the dashboard (header, chart axis, tooltip, tables):
// 24-hour times and day-month dates, in the local time zone.
const LOCALE = 'en-GB';

/** formatTime renders unix seconds as a local 24-hour time: '14:05'. */
export function formatTime(ts: number): string {
  return new Date(ts * 1000).toLocaleTimeString(LOCALE, { hour: '2-digit', minute: '2-digit' });
}

/** formatDay renders unix seconds as a short local date: 'Sat 28 Nov'. */
export function formatDay(ts: number): string {
  return new Date(ts * 1000).toLocaleDateString(LOCALE, { weekday: 'short', day: 'numeric', month: 'short' });
}

/** formatDateTime renders unix seconds as a short local date and time: 'Sat 28 Nov, 14:05' (formatDay, formatTime). */
export function formatDateTime(ts: number): string {
  return `${formatDay(ts)}, ${formatTime(ts)}`;
}

/** formatAgo renders how long ago ts was, relative to now (both unix seconds): 'just now', '5 min ago', '3 h ago', '2 days ago'. */
export function formatAgo(ts: number, now: number): string {
  const s = Math.max(0, now - ts);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  const d = Math.round(s / 86400);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}
