/**
 * Date-times as PowerShell's `Export-Csv` writes a `datetime` column: in the culture of
 * the session that ran it (`2/1/2013 9:30:15 AM` in en-US, `01.02.2013 09:30:15` in
 * de-DE, `01/02/2013 09:30:15` in fr-FR, `2013/02/01 9:30:15` in ja-JP). The order of
 * day and month comes from `--culture`, or from the value when only one reading is
 * possible; an ambiguous value without a culture is refused rather than guessed. The
 * values carry no zone: they are read as UTC, as the legacy server kept its times.
 */
import type { LegacyTime } from './ticks.js';

export type DateOrder = 'MDY' | 'DMY' | 'YMD';

/** Cultures by their short-date order (the .NET ShortDatePattern of each). */
export const CULTURE_ORDERS: Readonly<Record<string, DateOrder>> = {
  'en-US': 'MDY',
  'en-PH': 'MDY',
  'es-US': 'MDY',
  'en-GB': 'DMY',
  'en-AU': 'DMY',
  'en-NZ': 'DMY',
  'en-IE': 'DMY',
  'en-IN': 'DMY',
  'en-ZA': 'YMD',
  'en-CA': 'YMD',
  'de-DE': 'DMY',
  'de-AT': 'DMY',
  'de-CH': 'DMY',
  'fr-FR': 'DMY',
  'fr-BE': 'DMY',
  'fr-CH': 'DMY',
  'fr-CA': 'YMD',
  'es-ES': 'DMY',
  'es-MX': 'DMY',
  'it-IT': 'DMY',
  'pt-PT': 'DMY',
  'pt-BR': 'DMY',
  'nl-NL': 'DMY',
  'nl-BE': 'DMY',
  'da-DK': 'DMY',
  'nb-NO': 'DMY',
  'fi-FI': 'DMY',
  'pl-PL': 'DMY',
  'cs-CZ': 'DMY',
  'ru-RU': 'DMY',
  'tr-TR': 'DMY',
  'sv-SE': 'YMD',
  'hu-HU': 'YMD',
  'lt-LT': 'YMD',
  'ja-JP': 'YMD',
  'zh-CN': 'YMD',
  'zh-TW': 'YMD',
  'ko-KR': 'YMD',
};

/** The order of a culture name (any case), or undefined for one Stoa does not know. */
export function cultureOrder(name: string): DateOrder | undefined {
  const key = Object.keys(CULTURE_ORDERS).find((k) => k.toLowerCase() === name.trim().toLowerCase());
  return key === undefined ? undefined : CULTURE_ORDERS[key];
}

const CULTURE_TIME =
  /^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})(?:[ T]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,](\d{1,7}))?)?)?\s*(AM|PM|A\.M\.|P\.M\.)?$/i;

export type CultureTime = LegacyTime | 'ambiguous' | undefined;

/**
 * A culture-formatted date-time: the time, 'ambiguous' when day and month could be
 * either and no order is given, or undefined when it is not such a value (or no date).
 */
export function parseCultureTime(raw: string, order: DateOrder | undefined): CultureTime {
  const m = CULTURE_TIME.exec(raw.trim());
  if (m === null) return undefined;
  const [, a, separator, b, c, h = '0', mi = '0', s = '0', frac = '', meridiem] = m;
  let year: number;
  let month: number;
  let day: number;
  const first = Number(a);
  const second = Number(b);
  if (a!.length === 4) {
    if (order !== undefined && order !== 'YMD') return undefined;
    [year, month, day] = [first, second, Number(c)];
  } else {
    if (c!.length !== 4 || order === 'YMD') return undefined;
    year = Number(c);
    // A dot between the parts is the day-first cultures' (de-DE, ru-RU, ...); a part over
    // 12 can only be a day.
    const effective = order ?? (separator === '.' || first > 12 ? 'DMY' : second > 12 ? 'MDY' : undefined);
    if (effective === undefined) return 'ambiguous';
    [month, day] = effective === 'MDY' ? [first, second] : [second, first];
  }
  let hour = Number(h);
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    const pm = meridiem.toUpperCase().startsWith('P');
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, Number(mi), Number(s));
  if (new Date(ms).getUTCDate() !== day || ms < 0) return undefined;
  const digits = frac.padEnd(7, '0');
  return { ms: ms + Number(digits.slice(0, 3)), ticks: Number(digits.slice(3)) };
}
