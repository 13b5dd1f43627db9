// Italian and English: the wording lives in /static/i18n/<language>.json, one key per text.
const STORED = 'sp.language';
export const LANGUAGES = ['it', 'en'];

let language = 'it';
let messages = {};
const listeners = [];

/** The language chosen before on this device, else the browser's (Italian unless it prefers English). */
export function preferredLanguage() {
  const stored = localStorage.getItem(STORED);
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || 'it').toLowerCase().startsWith('it') ? 'it' : 'en';
}

/** The language in use. */
export function currentLanguage() {
  return language;
}

/** The locale numbers and dates are written in. */
export function locale() {
  return language === 'it' ? 'it-IT' : 'en-GB';
}

/** Load a language, translate the page and tell every page part that asked. */
export async function useLanguage(wanted) {
  const response = await fetch(`/static/i18n/${wanted}.json`);
  messages = await response.json();
  language = wanted;
  localStorage.setItem(STORED, wanted);
  document.documentElement.lang = wanted;
  translate(document);
  for (const listener of listeners) listener(wanted);
}

/** Call `listener` after every change of language (to redraw what was written from data). */
export function onLanguageChange(listener) {
  listeners.push(listener);
}

/** The text of `key`, with {name} placeholders filled from `values`. */
export function t(key, values = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Translate the elements under `root` that name a key: text, placeholder, aria-label, title. */
export function translate(root) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-label]')) element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  for (const element of root.querySelectorAll('[data-i18n-placeholder]')) element.placeholder = t(element.dataset.i18nPlaceholder);
  for (const element of root.querySelectorAll('[data-i18n-title]')) element.title = t(element.dataset.i18nTitle);
}
