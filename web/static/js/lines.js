// The lines of a stock document (product and quantity), kept in localStorage as they are typed.
import { t } from './i18n.js';
import { decimalInput, fill, h, options } from './ui.js';

/**
 * Make `fieldset` (with a .line-list and an .add-line button) edit lines of {product_id, quantity}.
 * `products()` gives the [{value, label}] to choose from. Returns {lines(), clear(), refresh()}.
 */
export function lineEditor(fieldset, storageKey, products) {
  const list = fieldset.querySelector('.line-list');
  let kept;
  try {
    kept = JSON.parse(localStorage.getItem(storageKey)) || [];
  } catch {
    kept = [];
  }

  const save = () => {
    const rows = [...list.querySelectorAll('.line')].map((row) => ({
      product_id: row.querySelector('select').value,
      quantity: row.querySelector('input').value,
    }));
    localStorage.setItem(storageKey, JSON.stringify(rows));
  };

  const addRow = (line = { product_id: '', quantity: '' }) => {
    const index = list.children.length + 1;
    const select = h('select', { 'aria-label': t('lines.product', { index }), required: true, dataset: { wanted: JSON.stringify([line.product_id]) } });
    options(select, products(), { blank: t('lines.choose') });
    const quantity = h('input', { inputmode: 'decimal', size: '7', value: line.quantity, 'aria-label': t('lines.quantity', { index }) });
    const remove = h('button', { type: 'button', class: 'quiet', 'aria-label': t('lines.remove', { index }) }, '✕');
    const row = h('div', { class: 'line' }, select, quantity, remove);
    remove.addEventListener('click', () => {
      row.remove();
      save();
      fieldset.querySelector('.add-line').focus();
    });
    list.append(row);
    return row;
  };

  fieldset.querySelector('.add-line').addEventListener('click', () => {
    addRow().querySelector('select').focus();
    save();
  });
  list.addEventListener('input', save);
  list.addEventListener('change', save);
  for (const line of kept.length ? kept : [{ product_id: '', quantity: '' }]) addRow(line);

  return {
    /** The lines as the API takes them, or null (and the wrong fields marked) if one is not complete. */
    lines() {
      let complete = true;
      const lines = [];
      for (const row of list.querySelectorAll('.line')) {
        const select = row.querySelector('select');
        const input = row.querySelector('input');
        const amount = decimalInput(input.value);
        if (!select.value && !input.value.trim()) continue;
        select.setAttribute('aria-invalid', String(!select.value));
        const nothing = !amount || /^0+(\.0+)?$/.test(amount);
        input.setAttribute('aria-invalid', String(nothing));
        if (!select.value || nothing) complete = false;
        else lines.push({ product_id: select.value, quantity: amount });
      }
      return complete && lines.length ? lines : null;
    },
    clear() {
      fill(list);
      addRow();
      save();
    },
    refresh() {
      for (const select of list.querySelectorAll('select')) {
        if (select.value) select.dataset.wanted = JSON.stringify([select.value]);
        options(select, products(), { blank: t('lines.choose') });
      }
    },
  };
}
