/** The language picker: the languages the client speaks, each named in itself. */
import { LOCALES, chooseLanguage, locale, t, type Locale } from './i18n';

export function LanguagePicker() {
  return (
    <label class="language">
      <span class="sr-only">{t('language.label')}</span>
      <select value={locale()} aria-label={t('language.label')} onChange={(e) => chooseLanguage(e.currentTarget.value as Locale)}>
        {(Object.keys(LOCALES) as Locale[]).map((l) => (
          <option key={l} value={l} lang={l}>
            {LOCALES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
