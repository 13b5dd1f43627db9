// The producer portal: my goods in every selling place, alerts, my sales, statements, alert preferences.
import { ApiError, call, download } from '../api.js';
import { currentLanguage, onLanguageChange, t } from '../i18n.js';
import { chooseScope, startPage } from '../shell.js';
import { describe, fill, h, keepDraft, money, moment, number, quantity, showError, table, toast, today } from '../ui.js';

const state = { producerId: null, goods: [], places: {}, products: {} };
const $ = (id) => document.getElementById(id);

function failed(container, error) {
  fill(container, h('p', { class: 'error', role: 'alert' }, describe(error)));
}

// -- goods and alerts ---------------------------------------------------------------------------

async function showGoods() {
  const box = $('goods-table');
  try {
    state.goods = await call('inventory', `/producers/${state.producerId}/stock`);
  } catch (error) {
    failed(box, error);
    return;
  }
  for (const line of state.goods) {
    state.products[line.product_id] = line.product_name;
    state.places[line.selling_place_id] = `${line.selling_place_name} (${line.village_name})`;
  }
  fill(
    box,
    table(
      [
        { label: t('goods.product'), key: 'product_name' },
        { label: t('goods.place'), cell: (line) => state.places[line.selling_place_id] },
        { label: t('goods.onHand'), cell: (line) => quantity(line.on_hand, line.unit), numeric: true },
        { label: t('goods.dailySales'), cell: (line) => (line.daily_sales === null ? '–' : quantity(line.daily_sales, line.unit)), numeric: true },
        { label: t('goods.daysOfCover'), cell: (line) => (line.days_of_cover === null ? '–' : number(line.days_of_cover, 1)), numeric: true },
        {
          label: t('goods.status'),
          cell: (line) =>
            line.low
              ? h('span', { class: 'badge low', 'data-low': 'true' }, t(line.low_reason === 'days_of_cover' ? 'goods.lowSoon' : 'goods.low'))
              : h('span', { class: 'badge ok' }, t('goods.ok')),
        },
        { label: t('goods.value'), cell: (line) => money(line.value), numeric: true },
      ],
      state.goods,
      {
        empty: t('goods.none'),
        rowAttributes: (line) => ({ 'data-product-id': line.product_id, 'data-place-id': line.selling_place_id, class: line.low ? 'low' : null }),
      },
    ),
  );
}

async function acknowledge(alert, button) {
  button.disabled = true;
  try {
    await call('notifications', `/alerts/${alert.id}/acknowledge`, { method: 'POST' });
    await showAlerts();
  } catch (error) {
    button.disabled = false;
    toast(describe(error), 'error');
  }
}

function alertItem(alert) {
  const product = state.products[alert.product_id] || t('alerts.unknownProduct');
  const place = state.places[alert.selling_place_id] || t('alerts.unknownPlace');
  const deliveries = alert.deliveries.map((delivery) => `${t(`channel.${delivery.channel}`)}: ${t(`delivery.${delivery.status}`)}`).join(' · ');
  const button = alert.acknowledged_at
    ? h('span', { class: 'subtle' }, t('alerts.seen'))
    : h('button', { type: 'button', class: 'quiet', onclick: (event) => acknowledge(alert, event.currentTarget) }, t('alerts.acknowledge'));
  return h(
    'li',
    { class: `alert ${alert.kind} ${alert.acknowledged_at ? 'seen' : ''}`, 'data-kind': alert.kind, 'data-product-id': alert.product_id },
    h('strong', {}, t(`alerts.kind.${alert.kind}`, { product, place })),
    h('span', {}, t('alerts.detail', {
      onHand: quantity(alert.on_hand),
      cover: alert.days_of_cover === null ? '–' : number(alert.days_of_cover, 1),
      suggested: alert.suggested_quantity === null ? '–' : quantity(alert.suggested_quantity),
    })),
    h('span', { class: 'subtle' }, `${moment(alert.occurred_at)}${deliveries ? ` · ${deliveries}` : ''}`),
    button,
  );
}

async function showAlerts() {
  const list = $('alert-list');
  try {
    const alerts = await call('notifications', '/alerts', { query: { producer_id: state.producerId, limit: 50 } });
    fill(list, alerts.length ? alerts.map(alertItem) : h('li', { class: 'subtle' }, t('alerts.none')));
  } catch (error) {
    failed(list, error);
  }
}

// -- sales and statements -----------------------------------------------------------------------

function freshness(element, report) {
  const when = report.watermark ? moment(report.watermark) : t('freshness.never');
  element.textContent = report.pending_keys ? t('freshness.pending', { when, count: report.pending_keys }) : t('freshness.upTo', { when });
  element.dataset.pending = String(report.pending_keys);
}

function salesQuery() {
  const values = Object.fromEntries(new FormData($('sales-form')));
  return { from: values.from, to: values.to, granularity: values.granularity, group_by: 'product' };
}

async function showSales(event) {
  if (event) event.preventDefault();
  const box = $('sales-table');
  try {
    const report = await call('reporting', `/producers/${state.producerId}/sales`, { query: salesQuery() });
    freshness($('sales-freshness'), report);
    fill(
      box,
      table(
        [
          { label: t('report.period'), key: 'period' },
          { label: t('dimension.product'), cell: (row) => row.product_name || row.product },
          { label: t('measure.quantity'), cell: (row) => quantity(row.quantity), numeric: true },
          { label: t('measure.gross'), cell: (row) => money(row.gross), numeric: true },
          { label: t('measure.net_sales'), cell: (row) => money(row.net_sales), numeric: true },
          { label: t('measure.commission'), cell: (row) => money(row.commission), numeric: true },
          { label: t('measure.payout'), cell: (row) => money(row.payout), numeric: true },
        ],
        report.rows,
        { empty: t('report.noSales') },
      ),
    );
  } catch (error) {
    failed(box, error);
  }
}

async function showStatements() {
  const box = $('statement-table');
  try {
    const statements = await call('reporting', `/producers/${state.producerId}/statements`);
    fill(
      box,
      table(
        [
          { label: t('statement.month'), key: 'month' },
          { label: t('measure.gross'), cell: (row) => money(row.gross), numeric: true },
          { label: t('measure.commission'), cell: (row) => money(row.commission), numeric: true },
          { label: t('statement.commissionVat'), cell: (row) => money(row.commission_vat), numeric: true },
          { label: t('measure.payout'), cell: (row) => money(row.payout), numeric: true },
          { label: t('statement.issued'), cell: (row) => moment(row.issued_at) },
          {
            label: t('statement.pdf'),
            cell: (row) =>
              h('button', {
                type: 'button',
                class: 'quiet',
                'data-statement-id': row.statement_id,
                onclick: () =>
                  download('reporting', `/producers/${state.producerId}/statements/${row.statement_id}/pdf`, { lang: currentLanguage() }, `statement_${row.month}.pdf`)
                    .catch((error) => toast(describe(error), 'error')),
              }, t('statement.download', { month: row.month })),
          },
        ],
        statements,
        { empty: t('statement.none') },
      ),
    );
  } catch (error) {
    failed(box, error);
  }
}

// -- preferences --------------------------------------------------------------------------------

async function loadPreferences() {
  const form = $('preferences-form');
  try {
    const preferences = await call('notifications', `/producers/${state.producerId}/preferences`);
    form.elements.language.value = preferences.language;
    form.elements.delivery_mode.value = preferences.delivery_mode;
    for (const box of form.querySelectorAll('[name="channels"]')) box.checked = (preferences.channels || preferences.active_channels).includes(box.value);
    form.elements.quiet_from.value = preferences.quiet_hours ? preferences.quiet_hours.from : '';
    form.elements.quiet_until.value = preferences.quiet_hours ? preferences.quiet_hours.until : '';
    for (const name of ['email', 'phone', 'webhook_url', 'telegram_chat_id']) form.elements[name].value = preferences.contacts[name] || '';
    form.dataset.loaded = 'true';
  } catch (error) {
    showError(error, form);
  }
}

async function savePreferences(event) {
  event.preventDefault();
  const form = $('preferences-form');
  const values = new FormData(form);
  const quietFrom = values.get('quiet_from');
  const quietUntil = values.get('quiet_until');
  const contact = (name) => values.get(name).trim() || null;
  const channels = values.getAll('channels');
  const body = {
    language: values.get('language'),
    delivery_mode: values.get('delivery_mode'),
    channels: channels.length ? channels : null,
    quiet_hours: quietFrom && quietUntil ? { from: quietFrom, until: quietUntil } : null,
    contacts: { email: contact('email'), phone: contact('phone'), webhook_url: contact('webhook_url'), telegram_chat_id: contact('telegram_chat_id') },
  };
  const button = form.querySelector('[type="submit"]');
  button.disabled = true;
  try {
    await call('notifications', `/producers/${state.producerId}/preferences`, { method: 'PATCH', body });
    toast(t('prefs.saved'), 'ok');
    await loadPreferences();
  } catch (error) {
    showError(error, form);
    if (error instanceof ApiError) toast(describe(error), 'error');
  } finally {
    button.disabled = false;
  }
}

// -- start --------------------------------------------------------------------------------------

async function refresh() {
  document.body.dataset.ready = 'loading';
  await showGoods(); // names the products and places of the alerts
  await Promise.all([showAlerts(), showSales(), showStatements()]);
  document.body.dataset.ready = 'true';
}

async function main() {
  const who = await startPage('producer');
  if (!who) return;
  state.producerId = await chooseScope(who.producerId, 'sp.producer.admin-producer', async () =>
    (await call('inventory', '/producers')).map((producer) => ({ value: producer.id, label: producer.name })),
  () => location.reload());
  if (!state.producerId) return;
  const salesForm = $('sales-form');
  salesForm.elements.from.value = `${today().slice(0, 4)}-01-01`;
  salesForm.elements.to.value = today();
  keepDraft(salesForm, `sp.producer.sales.${state.producerId}`);
  salesForm.addEventListener('submit', showSales);
  $('sales-csv').addEventListener('click', () =>
    download('reporting', `/producers/${state.producerId}/sales`, { ...salesQuery(), format: 'csv', lang: currentLanguage() }, 'sales.csv')
      .catch((error) => toast(describe(error), 'error')));
  $('preferences-form').addEventListener('submit', savePreferences);
  $('refresh').addEventListener('click', refresh);
  onLanguageChange(() => refresh());
  call('inventory', `/producers/${state.producerId}`)
    .then((producer) => { $('producer-name').textContent = `· ${producer.name}`; })
    .catch(() => undefined);
  await Promise.all([refresh(), loadPreferences()]);
}

main();
