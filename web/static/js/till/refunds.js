// Giving back part of a sale, or voiding it, against the original receipt's lines.
import { call } from '../api.js';
import { t } from '../i18n.js';
import { describe, fill, h, money, quantity, uuid } from '../ui.js';
import { quantityOf } from './basket.js';

function givenBack(refunds, lineNo) {
  const parts = refunds.flatMap((refund) => refund.lines.filter((line) => line.line_no === lineNo).map((line) => quantity(line.quantity)));
  return parts.length ? parts.join(' + ') : '–';
}

/**
 * A form to refund lines of `receipt` (or void it). The refund's id is fixed until it succeeds, so
 * pressing the button twice, or again after a timeout, gives back once.
 */
export function refundForm({ receipt, refunds, names, refundId, till, onDone }) {
  let currentId = refundId;
  const result = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const rows = receipt.lines.map((line) =>
    h(
      'tr',
      { dataset: { lineNo: String(line.line_no) } },
      h('th', { scope: 'row' }, names[line.product_id] || line.product_id),
      h('td', { class: 'num' }, quantity(line.quantity)),
      h('td', { class: 'num' }, givenBack(refunds, line.line_no)),
      h('td', {}, h('input', { name: `quantity_${line.line_no}`, inputmode: 'decimal', size: '6', 'aria-label': t('refund.quantityOf', { product: names[line.product_id] || '' }) })),
      h('td', {}, h('input', { type: 'checkbox', name: `shelf_${line.line_no}`, checked: true, 'aria-label': t('refund.backOnShelf') })),
    ),
  );
  const form = h(
    'form',
    { class: 'refund', 'data-receipt-id': receipt.receipt_id },
    h('h3', {}, t('refund.title', { total: money(receipt.total) })),
    h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, [t('till.product'), t('refund.sold'), t('refund.givenBack'), t('refund.giveBack'), t('refund.backOnShelf')].map((label) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, rows))),
    h('label', { for: `refund-reason-${receipt.receipt_id}` }, t('refund.reason')),
    h('input', { id: `refund-reason-${receipt.receipt_id}`, name: 'reason', maxlength: '200' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', 'data-action': 'refund' }, t('refund.submit')),
      h('button', { type: 'button', class: 'danger', 'data-action': 'void' }, t('refund.void'))),
    result,
  );

  const send = async (body, button) => {
    button.disabled = true;
    try {
      const refund = await call('sales', `/receipts/${receipt.receipt_id}/refunds`, {
        method: 'POST',
        body: { refund_id: currentId, till_id: till.tillId, ...(till.clerk ? { clerk: till.clerk } : {}), ...body },
      });
      fill(result, h('p', { class: 'ok', 'data-refunded': refund.total }, t('refund.done', { total: money(refund.total) })));
      currentId = uuid(); // a further refund from this form is another refund
      onDone(refund);
    } catch (error) {
      fill(result, h('p', { class: 'error', role: 'alert' }, describe(error)));
    } finally {
      button.disabled = false;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const lines = [];
    for (const line of receipt.lines) {
      const typed = form.elements[`quantity_${line.line_no}`].value;
      if (!typed.trim()) continue;
      const amount = quantityOf(typed);
      if (!amount) {
        form.elements[`quantity_${line.line_no}`].setAttribute('aria-invalid', 'true');
        fill(result, h('p', { class: 'error', role: 'alert' }, t('till.badQuantity')));
        return;
      }
      lines.push({ line_no: line.line_no, quantity: amount, returned_to_shelf: form.elements[`shelf_${line.line_no}`].checked });
    }
    if (!lines.length) {
      fill(result, h('p', { class: 'error', role: 'alert' }, t('refund.nothing')));
      return;
    }
    const reason = form.elements.reason.value.trim();
    send({ lines, ...(reason ? { reason } : {}) }, event.submitter || form.querySelector('[data-action="refund"]'));
  });
  form.querySelector('[data-action="void"]').addEventListener('click', (event) => {
    const reason = form.elements.reason.value.trim();
    send({ kind: 'void', ...(reason ? { reason } : {}) }, event.currentTarget);
  });
  return form;
}
