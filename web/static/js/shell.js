// What every page does first: language, service worker, sign-in check, the header.
import { currentLanguage, preferredLanguage, t, useLanguage } from './i18n.js';
import { principal, signOut } from './session.js';
import { fill, h, options } from './ui.js';

/** The pages each role works in (administrators may open every page). */
export const PAGES_OF_ROLE = {
  clerk: ['till'],
  manager: ['till'],
  producer: ['producer'],
  village_operator: ['village'],
  province_analyst: ['province'],
  administrator: ['till', 'producer', 'village', 'province'],
};

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js').catch((error) => console.warn('no offline copy of the pages', error));
}

function languageButton() {
  const button = document.getElementById('language');
  const show = () => {
    const other = currentLanguage() === 'it' ? 'en' : 'it';
    button.textContent = other === 'it' ? 'Italiano' : 'English';
    button.lang = other;
    button.dataset.language = other;
  };
  show();
  button.addEventListener('click', async () => {
    await useLanguage(button.dataset.language);
    show();
  });
}

/** Show whether the network answers: `state` is 'online', 'offline' or null for what the browser says. */
export function showConnection(state = null) {
  const online = state ? state === 'online' : navigator.onLine;
  const badge = document.getElementById('connection');
  badge.dataset.state = online ? 'online' : 'offline';
  badge.dataset.i18n = online ? 'common.online' : 'common.offline';
  badge.textContent = t(badge.dataset.i18n);
}

function header(who, page) {
  const nav = document.getElementById('pages');
  fill(
    nav,
    (PAGES_OF_ROLE[who.role] || []).map((name) =>
      h('a', { href: `/${name}`, 'aria-current': name === page ? 'page' : null, 'data-i18n': `title.${name}` }, t(`title.${name}`)),
    ),
  );
  const role = document.getElementById('who');
  role.dataset.i18n = `role.${who.role}`;
  role.textContent = t(role.dataset.i18n);
  const out = document.getElementById('sign-out');
  out.hidden = false;
  out.addEventListener('click', () => {
    signOut();
    location.assign('/');
  });
}

/**
 * Start a page: its language, the offline copy, and who is signed in. Without a session the user is
 * sent to sign in (and back); a page not meant for the user's role says where to go instead.
 */
export async function startPage(page) {
  await useLanguage(preferredLanguage());
  languageButton();
  showConnection();
  window.addEventListener('online', () => showConnection());
  window.addEventListener('offline', () => showConnection());
  registerServiceWorker();
  const who = principal();
  if (page === 'index') return who;
  if (!who) {
    location.replace(`/?next=${encodeURIComponent(location.pathname + location.hash)}`);
    return null;
  }
  header(who, page);
  if (!(PAGES_OF_ROLE[who.role] || []).includes(page)) {
    const main = document.getElementById('main');
    fill(
      main,
      h('section', { class: 'card narrow' }, h('h1', { 'data-i18n': 'common.notYours' }, t('common.notYours')),
        h('ul', { class: 'menu' }, (PAGES_OF_ROLE[who.role] || []).map((name) => h('li', {}, h('a', { href: `/${name}` }, t(`title.${name}`)))))),
    );
    return null;
  }
  return who;
}

/**
 * The id a page acts for: the one in the user's token, or (administrators) one chosen in the page's
 * #scope select from `choices()`, remembered on this device under `storageKey`.
 */
export async function chooseScope(ownId, storageKey, choices, onChange) {
  if (ownId) return ownId;
  const box = document.getElementById('scope');
  const select = document.getElementById('scope-select');
  box.hidden = false;
  const list = await choices();
  const kept = localStorage.getItem(storageKey);
  options(select, list);
  select.value = list.some((choice) => choice.value === kept) ? kept : (list[0] && list[0].value) || '';
  select.addEventListener('change', () => {
    localStorage.setItem(storageKey, select.value);
    onChange(select.value);
  });
  localStorage.setItem(storageKey, select.value);
  return select.value || null;
}
