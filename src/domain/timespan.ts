import { AppError } from './errors.js';

/**
 * Durations in the cmdlets' TimeSpan form `[d.]hh:mm:ss`; Stoa also accepts `90s`, `15m`,
 * `2h`, `1d`. Values are whole seconds.
 */
export function parseTimeSpan(raw: string, what: string): number {
  const text = raw.trim();
  const unit = /^(\d+)\s*([smhd])$/i.exec(text);
  if (unit) {
    const factor = { s: 1, m: 60, h: 3600, d: 86400 }[(unit[2] as string).toLowerCase() as 's'];
    return Number(unit[1]) * factor;
  }
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (span) {
    const [d, h, m, s] = [span[1] ?? '0', span[2], span[3], span[4]].map(Number) as [number, number, number, number];
    if (h < 24 && m < 60 && s < 60) return ((d * 24 + h) * 60 + m) * 60 + s;
  }
  throw new AppError('INVALID_VALUE', `${what} '${raw}' is not a duration (use d.hh:mm:ss, e.g. 00:15:00, or 15m)`);
}

export function formatTimeSpan(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  return d > 0 ? `${d}.${hms}` : hms;
}
