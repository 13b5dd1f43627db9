// A selling place's business day (Z report) as sales reports it, and closing it.
import { call } from './api.js';
import { t } from './i18n.js';
import { describe, fill, h, money, moment, percent, table } from './ui.js';

function summary(section) {
  const item = (key, value) => [h('dt', {}, t(key)), h('dd', { class: 'num' }, value)];
  return h(
    'dl',
    { class: 'figures' },
    item('day.receipts', String(section.receipt_count)),
    item('day.salesTotal', money(section.sales_total)),
    item('day.salesVat', money(section.sales_vat)),
    item('day.refunds', `${section.refund_count} · ${money(section.refunds_total)}`),
    item('day.netTotal', money(section.net_total)),
  );
}

function byPayment(section) {
  return table(
    [
      { label: t('till.payment'), cell: (row) => t(`payment.${row.payment_method}`) },
      { label: t('day.receipts'), key: 'receipts', numeric: true },
      { label: t('day.salesTotal'), cell: (row) => money(row.sales_total), numeric: true },
      { label: t('day.refundsTotal'), cell: (row) => money(row.refunds_total), numeric: true },
      { label: t('day.netTotal'), cell: (row) => money(row.net_total), numeric: true },
    ],
    section.by_payment_method,
    { caption: t('day.byPayment') },
  );
}

function byVatRate(section) {
  return table(
    [
      { label: t('day.vatRate'), cell: (row) => percent(row.vat_rate) },
      { label: t('day.salesTotal'), cell: (row) => money(row.sales_gross), numeric: true },
      { label: t('day.salesVat'), cell: (row) => money(row.sales_vat), numeric: true },
      { label: t('day.refundsTotal'), cell: (row) => money(row.refunds_gross), numeric: true },
      { label: t('day.netTotal'), cell: (row) => money(row.net_gross), numeric: true },
      { label: t('day.netVat'), cell: (row) => money(row.net_vat), numeric: true },
    ],
    section.by_vat_rate,
    { caption: t('day.byVatRate') },
  );
}

function closeButton(container, report, options) {
  const box = h('div', { class: 'actions' });
  const ask = h('button', { type: 'button', class: 'danger', 'data-action': 'close-day' }, t('day.close'));
  ask.addEventListener('click', () => {
    // a second, explicit step: a closed day's figures never change again
    const confirm = h('button', { type: 'button', class: 'danger', 'data-action': 'confirm-close' }, t('day.confirmClose', { date: report.business_date }));
    const cancel = h('button', { type: 'button' }, t('common.cancel'));
    cancel.addEventListener('click', () => fill(box, ask));
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const body = options.closedBy ? { closed_by: options.closedBy } : {};
        const closed = await call('sales', `/selling-places/${report.selling_place_id}/days/${report.business_date}/close`, { method: 'POST', body });
        render(container, closed, options);
      } catch (error) {
        fill(box, h('p', { class: 'error', role: 'alert' }, describe(error)), ask);
      }
    });
    fill(box, confirm, cancel);
    confirm.focus();
  });
  return fill(box, ask);
}

function render(container, report, options) {
  const status = report.closed
    ? t('day.closedAt', { when: moment(report.closed_at), who: report.closed_by || '–' })
    : t('day.open');
  const corrections = report.corrections && (report.corrections.receipt_count || report.corrections.refund_count);
  fill(
    container,
    h('p', { class: report.closed ? 'badge closed' : 'badge open', 'data-closed': String(report.closed) }, status),
    summary(report.day),
    h('div', { class: 'scroll' }, byPayment(report.day)),
    h('div', { class: 'scroll' }, byVatRate(report.day)),
    corrections ? h('h3', {}, t('day.corrections')) : null,
    corrections ? summary(report.corrections) : null,
    !report.closed && options.canClose ? closeButton(container, report, options) : null,
  );
}

/** Show a selling place's day in `container`, with a close button when `canClose`. */
export async function showDay(container, { placeId, date, canClose = false, closedBy = null }) {
  fill(container, h('p', { class: 'subtle' }, t('common.loading')));
  try {
    const report = await call('sales', `/selling-places/${placeId}/days/${date}`);
    render(container, report, { canClose, closedBy });
  } catch (error) {
    fill(container, h('p', { class: 'error', role: 'alert' }, describe(error)));
  }
}
