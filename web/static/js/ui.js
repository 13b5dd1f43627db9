// Small helpers the pages share: building elements, writing figures, showing errors, keeping drafts.
import { ApiError, Unreachable } from './api.js';
import { SignInRefused } from './session.js';
import { locale, t } from './i18n.js';

/** An element: h('td', {class: 'num'}, 'text', child, ...). Attributes on* are listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replace the content of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

// Figures arrive as exact decimal strings; Intl formats a string without turning it into a float.
/** An amount in euro, as the user's language writes it. */
export function money(value) {
  if (value === null || value === undefined) return '–';
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'EUR' }).format(value);
}

/** A quantity (up to 3 decimals: kilograms to the gram), with its unit when not pieces. */
export function quantity(value, unit = 'piece') {
  if (value === null || value === undefined) return '–';
  const number = new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(value);
  return unit && unit !== 'piece' ? `${number} ${t(`unit.${unit}`)}` : number;
}

/** A percentage given in percent ("12.5" -> 12,5 %). */
export function percent(value) {
  if (value === null || value === undefined) return '–';
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(value)} %`;
}

/** A plain number. */
export function number(value, digits = 2) {
  if (value === null || value === undefined) return '–';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** A moment, in the user's language and time zone. */
export function moment(value) {
  if (!value) return '–';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(value));
}

/** The time of day of a moment. */
export function clock(value) {
  if (!value) return '–';
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'short' }).format(new Date(value));
}

/** A calendar day ("2026-07-14"). */
export function day(value) {
  if (!value) return '–';
  const [year, month, date] = value.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(year, month - 1, date));
}

/** Today's date (YYYY-MM-DD) in a time zone (a selling place's, Rome's by default). */
export function today(timeZone = 'Europe/Rome', offsetDays = 0) {
  const moment = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(moment);
}

/** A random UUID (version 4), also where crypto.randomUUID is missing (pages not served over HTTPS). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A table: columns are {key, label, cell(row) -> text or node, numeric}. Rows become <tr>; an empty
 * list says so. The table sits in a .scroll box, so a phone scrolls the table, not the page.
 */
export function table(columns, rows, { caption, empty = t('common.nothing'), rowAttributes } = {}) {
  if (!rows.length) return h('p', { class: 'subtle' }, empty);
  return h('div', { class: 'scroll' }, h(
    'table',
    {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col', class: column.numeric ? 'num' : null }, column.label)))),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          rowAttributes ? rowAttributes(row) : {},
          columns.map((column, index) => {
            const value = column.cell ? column.cell(row) : row[column.key];
            const attributes = { class: column.numeric ? 'num' : null, 'data-label': column.label };
            return index === 0 && !column.numeric ? h('th', { ...attributes, scope: 'row' }, value) : h('td', attributes, value);
          }),
        ),
      ),
    ),
  ));
}

/** Say something briefly (and to screen readers). */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toast');
  box.className = `toast ${kind} shown`;
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove('shown'), 6000);
}

/** What went wrong, in words for the user (the services' messages name the field and the problem). */
export function describe(error) {
  if (error instanceof Unreachable) return t('error.unreachable', { service: t(`service.${error.service}`) });
  if (error instanceof SignInRefused) return t('error.signIn');
  if (error instanceof ApiError) {
    if (error.status === 401) return t('error.signIn');
    if (error.status === 403) return t('error.forbidden');
    if (error.status === 404) return error.body.message || t('error.notFound');
    if (error.status === 429) return t('error.tooMany');
    const fields = error.fieldErrors();
    if (fields.length) return fields.map(([path, message]) => (path ? `${path}: ${message}` : message)).join(' · ');
    return error.body.message || t('error.refused', { status: error.status });
  }
  console.error(error);
  return t('error.unexpected');
}

/** Show an error next to a form's fields (matched by name) and in its result box. */
export function showError(error, form = null) {
  if (form) {
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    if (error instanceof ApiError) {
      for (const [path] of error.fieldErrors()) {
        const name = path.split('.').pop();
        const field = form.querySelector(`[name="${CSS.escape(path)}"]`) || form.querySelector(`[name="${CSS.escape(name)}"]`);
        if (field) field.setAttribute('aria-invalid', 'true');
      }
    }
    const box = form.querySelector('.result');
    if (box) {
      fill(box, h('p', { class: 'error', role: 'alert' }, describe(error)));
      return;
    }
  }
  toast(describe(error), 'error');
}

/** Run `work` with `button` disabled meanwhile; errors are shown, never thrown. */
export async function busy(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    if (button) button.disabled = false;
  }
}

/**
 * Keep what is typed in a form across reloads (localStorage, under `key`): nothing typed is lost.
 * Returns a function that forgets the draft (after the form was sent).
 */
export function keepDraft(form, key) {
  const stored = JSON.parse(localStorage.getItem(key) || '{}');
  for (const field of form.elements) {
    if (!field.name || !(field.name in stored)) continue;
    if (field.type === 'checkbox' || field.type === 'radio') {
      field.checked = stored[field.name].includes(field.value);
      continue;
    }
    if (field.tagName === 'SELECT') {
      // its options may come later, from a service: options() picks the kept choice then
      field.dataset.wanted = JSON.stringify(field.multiple ? stored[field.name] : [stored[field.name]]);
    }
    if (field.multiple) for (const option of field.options) option.selected = stored[field.name].includes(option.value);
    else field.value = stored[field.name];
  }
  const save = () => {
    const values = {};
    for (const field of form.elements) {
      if (!field.name || field.type === 'password' || field.type === 'submit' || field.type === 'button') continue;
      if (field.type === 'checkbox' || field.type === 'radio') {
        values[field.name] = values[field.name] || [];
        if (field.checked) values[field.name].push(field.value);
      } else if (field.multiple) {
        values[field.name] = [...field.selectedOptions].map((option) => option.value);
      } else {
        values[field.name] = field.value;
      }
    }
    localStorage.setItem(key, JSON.stringify(values));
  };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  return () => localStorage.removeItem(key);
}

/** The options of a <select>: [{value, label}], keeping the current choice when it is still there. */
export function options(select, choices, { blank = null } = {}) {
  const current = select.multiple ? [...select.selectedOptions].map((option) => option.value) : [select.value];
  const wanted = select.dataset.wanted ? JSON.parse(select.dataset.wanted) : null;
  fill(
    select,
    blank === null ? null : h('option', { value: '' }, blank),
    choices.map(({ value, label }) => h('option', { value }, label)),
  );
  for (const option of select.options) option.selected = (wanted || current).includes(option.value);
  // a kept choice whose option has not arrived yet stays wanted until it does
  if (wanted && [...select.options].some((option) => option.value && wanted.includes(option.value))) delete select.dataset.wanted;
}

/** A decimal typed by a person ("1,5" or "1.5") as the exact string the APIs take, or null if it is not one. */
export function decimalInput(text, places = 3) {
  const cleaned = String(text).trim().replace(',', '.');
  const pattern = new RegExp(`^\\d+(\\.\\d{1,${places}})?$`);
  return pattern.test(cleaned) ? cleaned : null;
}
