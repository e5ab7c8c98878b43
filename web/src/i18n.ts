/**
 * The web client in the user's language: every word it shows comes from a message catalog
 * (web/src/locales: English, French), chosen from the browser's languages or by the user
 * (kept in this browser), and dates, times and numbers are written by `Intl` for that
 * language. Server messages are shown as the server wrote them (in English), except the
 * refusals the client explains itself.
 */
import { en, type MessageKey } from './locales/en';
import { fr } from './locales/fr';

export type Locale = 'en' | 'fr';
/** Each language, named in itself (what a language picker shows). */
export const LOCALES: Record<Locale, string> = { en: 'English', fr: 'Français' };
const CATALOGS: Record<Locale, Readonly<Record<MessageKey, string>>> = { en, fr };
const STORAGE_KEY = 'stoa.locale';

/** The user's choice when there is one, else the first of the browser's languages Stoa has, else English. */
export function chooseLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored === 'en' || stored === 'fr') return stored;
  for (const language of languages) {
    const base = language.toLowerCase().split('-')[0];
    if (base === 'en' || base === 'fr') return base;
  }
  return 'en';
}

function initial(): Locale {
  try {
    return chooseLocale(globalThis.localStorage?.getItem(STORAGE_KEY) ?? null, globalThis.navigator?.languages ?? []);
  } catch {
    return 'en';
  }
}

let current: Locale = initial();

export function locale(): Locale {
  return current;
}

/** Switches the language (tests and the first render use it directly). */
export function setLocale(next: Locale): void {
  current = next;
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

/** The user picked a language: kept in this browser, and the page shown again in it. */
export function chooseLanguage(next: Locale): void {
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Private mode: the choice lasts this page.
  }
  setLocale(next);
  location.reload();
}

type Params = Record<string, string | number>;

function fill(text: string, params: Params | undefined): string {
  if (params === undefined) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? number(value) : value;
  });
}

/** The message `key` in the current language, `{name}` filled from `params` (numbers by Intl). */
export function t(key: MessageKey, params?: Params): string {
  return fill(CATALOGS[current][key] ?? en[key], params);
}

type PluralBase<K> = K extends `${infer B}.other` ? B : never;

/** A message that depends on a count: `<key>.one` or `<key>.other` as the language's plural rules say. */
export function tn(key: PluralBase<MessageKey>, count: number, params?: Params): string {
  const form = new Intl.PluralRules(current).select(count);
  const chosen = `${key}.${form}` as MessageKey;
  const text = CATALOGS[current][chosen] ?? CATALOGS[current][`${key}.other` as MessageKey];
  return fill(text, { count, ...params });
}

export function number(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(current, options).format(value);
}

export function dateTime(value: Date | string, options: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(current, options).format(typeof value === 'string' ? new Date(value) : value);
}

setLocale(current);

/** The product's name, the same in every language. */
export const BRAND = 'Stoa';
