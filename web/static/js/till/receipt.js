// A receipt as the till shows it: sales' priced receipt once recorded, else what is kept on the device.
import { t } from '../i18n.js';
import { fill, h, moment, money, percent, quantity, table } from '../ui.js';
import { WAITING } from './queue.js';

function kept(view, head, { state, receipt, names, estimate, error }) {
  fill(
    view,
    head,
    h('ul', { class: 'plain' }, receipt.lines.map((line) => h('li', {}, `${quantity(line.quantity)} × ${names[line.product_id] || line.product_id}`))),
    estimate ? h('p', { class: 'total' }, t('till.toCollect'), ' ', h('strong', {}, money(estimate))) : null,
    state === WAITING ? h('p', { class: 'subtle' }, t('till.willSend')) : null,
    error && state !== WAITING ? h('p', { class: 'error' }, error) : null,
    h('p', { class: 'subtle' }, t('till.receiptId', { id: receipt.receipt_id })),
  );
}

function recorded(view, head, { receipt, names }) {
  const fiscal = receipt.lines.some((line) => line.requires_fiscal_document);
  fill(
    view,
    head,
    table(
      [
        { label: t('till.product'), cell: (line) => names[line.product_id] || line.product_id },
        { label: t('till.quantity'), cell: (line) => quantity(line.quantity), numeric: true },
        { label: t('till.unitPrice'), cell: (line) => money(line.unit_price), numeric: true },
        { label: t('day.vatRate'), cell: (line) => percent(line.vat_rate), numeric: true },
        { label: t('till.amount'), cell: (line) => money(line.gross), numeric: true },
      ],
      receipt.lines,
    ),
    h('p', { class: 'total' }, t('till.total'), ' ', h('strong', { 'data-total': receipt.total }, money(receipt.total))),
    h('ul', { class: 'plain subtle' }, receipt.vat_breakdown.map((share) =>
      h('li', {}, t('till.vatLine', { rate: percent(share.vat_rate), vat: money(share.vat), net: money(share.net) })))),
    fiscal ? h('p', { class: 'notice' }, t('till.fiscalNeeded')) : h('p', { class: 'subtle' }, t('till.fiscalNotNeeded')),
    receipt.flagged ? h('p', { class: 'notice' }, t('till.flagged')) : null,
    h('p', { class: 'subtle' }, `${moment(receipt.sold_at)} · ${t(`payment.${receipt.payment_method}`)} · ${t('till.receiptId', { id: receipt.receipt_id })}`),
  );
}

/**
 * Show `shown` ({state: recorded | waiting | rejected, receipt, names, estimate, error}) in `view`:
 * a recorded receipt with sales' totals and VAT; a kept one with the estimate to collect.
 */
export function renderReceipt(view, shown) {
  if (!shown) {
    fill(view, h('p', { class: 'subtle' }, t('till.noReceipt')));
    return;
  }
  const { state, receipt } = shown;
  const head = h('p', { class: `badge ${state}`, 'data-state': state, 'data-receipt-id': receipt.receipt_id }, t(`till.receipt.${state}`));
  if (state === 'recorded') recorded(view, head, { names: {}, ...shown });
  else kept(view, head, { names: {}, ...shown });
}
