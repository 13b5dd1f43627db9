// The front page: sign in with an API key, then the pages for the key's role.
import { t } from '../i18n.js';
import { SignInRefused, principal, signIn } from '../session.js';
import { PAGES_OF_ROLE, startPage } from '../shell.js';
import { describe, fill, h } from '../ui.js';

function nextPage(who) {
  const next = new URLSearchParams(location.search).get('next');
  const pages = PAGES_OF_ROLE[who.role] || [];
  // only a page of this site, and one the role works in
  if (next && next.startsWith('/') && !next.startsWith('//') && pages.includes(next.slice(1).split(/[?#]/)[0])) return next;
  return pages.length === 1 ? `/${pages[0]}` : null;
}

function showMenu(who) {
  document.getElementById('sign-in').hidden = true;
  const menu = document.getElementById('menu');
  menu.hidden = false;
  fill(document.getElementById('menu-who'), t('menu.signedInAs', { role: t(`role.${who.role}`) }));
  fill(
    document.getElementById('menu-links'),
    (PAGES_OF_ROLE[who.role] || []).map((page) =>
      h('li', {}, h('a', { href: `/${page}` }, h('strong', {}, t(`title.${page}`)), h('span', {}, t(`menu.about.${page}`)))),
    ),
  );
}

async function main() {
  await startPage('index');
  const who = principal();
  if (who) {
    const next = nextPage(who);
    if (next && new URLSearchParams(location.search).has('next')) location.replace(next);
    else showMenu(who);
    return;
  }
  const section = document.getElementById('sign-in');
  section.hidden = false;
  const form = document.getElementById('sign-in-form');
  const input = document.getElementById('api-key');
  const error = document.getElementById('api-key-error');
  input.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const signedIn = await signIn(input.value.trim());
      const next = nextPage(signedIn);
      if (next) location.assign(next);
      else showMenu(signedIn);
    } catch (problem) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = problem instanceof SignInRefused ? t('signin.refused') : describe(problem);
    } finally {
      button.disabled = false;
    }
  });
}

main();
