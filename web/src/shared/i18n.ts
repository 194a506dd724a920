import i18n from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';

/**
 * The console's two languages: zh-CN (default) and English, switched in the header and remembered in
 * localStorage. Each area of the console keeps its own words beside its pages and registers them here as one
 * namespace (`addTranslations('cases', { 'zh-CN': {…}, en: {…} })`), so a change to whistles touches whistle files.
 */

export const languages = ['zh-CN', 'en'] as const;
export type Language = (typeof languages)[number];
const storageKey = 'stationflow.language';

function initialLanguage(): Language {
  const saved = localStorage.getItem(storageKey);
  return (languages as readonly string[]).includes(saved ?? '') ? (saved as Language) : 'zh-CN';
}

void i18n.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  supportedLngs: [...languages],
  defaultNS: 'common',
  ns: ['common'],
  resources: {},
  interpolation: { escapeValue: false },
  returnNull: false,
});

type Words = { [key: string]: string | Words };

/** Registers an area's words in both languages (the keys of both must match: see test/web-i18n.test.ts). */
export function addTranslations(namespace: string, words: { 'zh-CN': Words; en: Words }): void {
  for (const lng of languages) i18n.addResourceBundle(lng, namespace, words[lng], true, true);
}

export function setLanguage(lng: Language): void {
  localStorage.setItem(storageKey, lng);
  void i18n.changeLanguage(lng);
  document.documentElement.lang = lng;
}

export function currentLanguage(): Language {
  return (i18n.language === 'en' ? 'en' : 'zh-CN') as Language;
}

export { i18n, useTranslation };
