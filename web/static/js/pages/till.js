// The till: ring up a sale by barcode or name, record it (online now, or kept and sent later), refunds, the day.
import { call } from '../api.js';
import { showDay } from '../dayreport.js';
import { onLanguageChange, t } from '../i18n.js';
import { chooseScope, showConnection, startPage } from '../shell.js';
import { Basket } from '../till/basket.js';
import * as catalogue from '../till/catalogue.js';
import { barcodeCamera } from '../till/camera.js';
import * as queue from '../till/queue.js';
import { renderReceipt } from '../till/receipt.js';
import { refundForm } from '../till/refunds.js';
import { clock, describe, fill, h, keepDraft, money, toast, today, uuid } from '../ui.js';

// while receipts wait, try sending them this often (besides when the browser says it is online again)
const RETRY_MS = 15_000;
const LAST = 'sp.till.last';

const state = {
  who: null,
  placeId: null,
  place: { name: '', timezone: 'Europe/Rome' },
  basket: Basket.load(),
};

const $ = (id) => document.getElementById(id);

// -- the selling place -------------------------------------------------------------------------

async function loadPlace() {
  const stored = `sp.till.place.${state.placeId}`;
  try {
    state.place = JSON.parse(localStorage.getItem(stored)) || state.place;
  } catch {
    // a damaged copy: asked again below
  }
  try {
    const place = await call('inventory', `/selling-places/${state.placeId}`);
    state.place = { name: place.name, timezone: place.timezone || 'Europe/Rome' };
    localStorage.setItem(stored, JSON.stringify(state.place));
  } catch {
    // offline or not allowed: the name kept before will do
  }
  $('place-name').textContent = state.place.name ? `· ${state.place.name}` : '';
}

function settings() {
  const form = $('settings-form');
  const values = Object.fromEntries(new FormData(form));
  return { tillId: values.till_id.trim() || 'till', clerk: values.clerk.trim() || null };
}

// -- the queue of receipts not yet sent ---------------------------------------------------------

async function showQueue() {
  const { waiting, rejected } = await queue.counts(state.placeId);
  const box = $('queue');
  box.dataset.waiting = String(waiting);
  box.dataset.rejected = String(rejected);
  box.className = `queue ${waiting ? 'waiting' : ''} ${rejected ? 'rejected' : ''}`;
  const parts = [];
  if (waiting) parts.push(t(waiting === 1 ? 'till.waitingOne' : 'till.waitingMany', { count: waiting }));
  if (rejected) parts.push(t('till.rejectedCount', { count: rejected }));
  box.textContent = parts.length ? parts.join(' · ') : t('till.allSent');
}

let flushing = null;

/** Send what waits; say what happened. Safe to call often: one flush at a time. */
async function flush() {
  if (!flushing) {
    flushing = (async () => {
      try {
        const outcome = await queue.flush(state.placeId);
        const sent = outcome.created + outcome.duplicates;
        if (sent) toast(t('till.sentLater', { count: sent }), 'ok');
        if (outcome.rejected) toast(t('till.rejectedCount', { count: outcome.rejected }), 'error');
        if (outcome.error) showConnection('offline');
        else if (sent || outcome.rejected) showConnection('online');
      } finally {
        flushing = null;
        await showQueue();
        await showReceipts();
      }
    })();
  }
  return flushing;
}

// -- finding products ---------------------------------------------------------------------------

function addToBasket(product) {
  const index = state.basket.add(product);
  showBasket();
  fill($('results'));
  const input = document.querySelector(`#basket-lines tr[data-index="${index}"] input`);
  if (product.unit !== 'piece' && input) {
    // weighed goods: the clerk types the weight
    input.focus();
    input.select();
  } else {
    $('scan').focus();
  }
}

function showResults(products, text) {
  const list = $('results');
  if (!products.length) {
    fill(list, h('li', { class: 'subtle' }, t('till.noProduct', { text })));
    return;
  }
  fill(
    list,
    products.map((product) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'result', 'data-product-id': product.product_id, onclick: () => addToBasket(product) },
          h('span', {}, product.name),
          h('span', { class: 'subtle' }, `${money(product.price)}${product.unit !== 'piece' ? ` / ${t(`unit.${product.unit}`)}` : ''}`),
        ),
      ),
    ),
  );
}

async function find(text) {
  const wanted = text.trim();
  if (!wanted) return;
  $('scan').value = '';
  $('scan').dispatchEvent(new Event('input', { bubbles: true }));
  try {
    if (/^\d{6,13}$/.test(wanted)) {
      const product = await catalogue.byBarcode(wanted);
      if (product) addToBasket(product);
      else fill($('results'), h('li', { class: 'error', role: 'alert' }, t('till.unknownBarcode', { barcode: wanted })));
      return;
    }
    showResults(await catalogue.byName(wanted), wanted);
  } catch (error) {
    fill($('results'), h('li', { class: 'error', role: 'alert' }, describe(error)));
  }
}

const camera = barcodeCamera({
  view: $('camera-view'),
  video: $('camera-video'),
  onCode: (code) => find(code),
  onClose: () => $('scan').focus(),
  onFailure: () => toast(t('till.cameraUnavailable'), 'error'),
});

// -- the basket ---------------------------------------------------------------------------------

function showEstimates() {
  const rows = document.querySelectorAll('#basket-lines tr');
  rows.forEach((row, index) => {
    const estimate = state.basket.lineEstimate(index);
    row.querySelector('.estimate').textContent = estimate === null ? '–' : money(estimate);
    row.querySelector('input').setAttribute('aria-invalid', String(estimate === null));
  });
  const total = state.basket.estimate();
  $('basket-estimate').textContent = state.basket.lines.length ? (total === null ? '–' : money(total)) : '';
}

function showBasket() {
  const body = $('basket-lines');
  fill(
    body,
    state.basket.lines.map((line, index) => {
      const input = h('input', {
        value: line.quantity,
        inputmode: 'decimal',
        size: '6',
        'aria-label': t('till.quantityOf', { product: line.name }),
        oninput: (event) => {
          state.basket.setQuantity(index, event.target.value);
          showEstimates();
        },
      });
      return h(
        'tr',
        { dataset: { index: String(index), productId: line.product_id } },
        h('th', { scope: 'row' }, line.name),
        h('td', {}, input, line.unit !== 'piece' ? h('span', { class: 'unit' }, ` ${t(`unit.${line.unit}`)}`) : null),
        h('td', { class: 'num' }, money(line.price)),
        h('td', { class: 'num estimate' }),
        h('td', {}, h('button', {
          type: 'button',
          class: 'quiet',
          'aria-label': t('till.removeLine', { product: line.name }),
          onclick: () => {
            state.basket.remove(index);
            showBasket();
            $('scan').focus();
          },
        }, '✕')),
      );
    }),
  );
  $('basket').dataset.lines = String(state.basket.lines.length);
  showEstimates();
}

// -- recording a sale ---------------------------------------------------------------------------

function showReceipt(shown) {
  localStorage.setItem(LAST, JSON.stringify(shown));
  renderReceipt($('receipt-view'), shown);
}

let recording = false;

/** Record the basket as a sale: kept on the device first, then sent. A second press meanwhile does nothing. */
async function record(event) {
  if (event) event.preventDefault();
  if (recording) return;
  recording = true;
  try {
    await recordBasket();
  } finally {
    recording = false;
  }
}

async function recordBasket() {
  const basket = state.basket;
  if (!basket.lines.length) {
    toast(t('till.emptyBasketNotice'), 'error');
    $('scan').focus();
    return;
  }
  const invalid = basket.invalidLines();
  if (invalid.length) {
    showEstimates();
    document.querySelector(`#basket-lines tr[data-index="${invalid[0]}"] input`).focus();
    toast(t('till.badQuantity'), 'error');
    return;
  }
  const form = $('payment-form');
  const { tillId, clerk } = settings();
  const receipt = basket.receipt({
    sellingPlaceId: state.placeId,
    tillId,
    clerk,
    paymentMethod: new FormData(form).get('payment_method'),
    fiscalDocument: form.elements.fiscal_document.value.trim() || null,
  });
  const estimate = basket.estimate();
  const names = Object.fromEntries(basket.lines.map((line) => [line.product_id, line.name]));
  // Kept on the device first: from here on the sale cannot be lost, whatever the connection does.
  await queue.keep(receipt, estimate);
  basket.clear();
  form.elements.fiscal_document.value = '';
  form.dispatchEvent(new Event('input'));
  showBasket();
  showReceipt({ state: queue.WAITING, receipt, names, estimate });
  await showQueue();
  $('scan').focus();
  const outcome = await queue.sendOne(receipt);
  if (outcome.state === 'recorded') {
    showConnection('online');
    showReceipt({ state: 'recorded', receipt: outcome.receipt, names });
    flush(); // others may have waited for the connection
  } else {
    if (outcome.state === queue.WAITING) showConnection('offline');
    showReceipt({ state: outcome.state, receipt, names, estimate, error: describe(outcome.error) });
  }
  await showQueue();
  await showReceipts();
}

// -- the day's receipts and refunds -------------------------------------------------------------

async function showReceipts() {
  const list = $('receipt-list');
  const unsent = (await queue.unsent()).filter((entry) => entry.receipt.selling_place_id === state.placeId);
  let sent;
  try {
    sent = await call('sales', '/receipts', { query: { selling_place_id: state.placeId, business_date: today(state.place.timezone), limit: 50 } });
  } catch {
    const date = today(state.place.timezone);
    sent = (await queue.recorded()).filter((receipt) => receipt.business_date === date);
  }
  const items = [
    ...unsent.map((entry) =>
      h(
        'li',
        { class: entry.state, 'data-receipt-id': entry.receipt_id, 'data-state': entry.state },
        h('span', {}, `${clock(entry.receipt.sold_at)} · ${entry.estimate ? money(entry.estimate) : ''}`),
        h('span', { class: `badge ${entry.state}` }, t(`till.receipt.${entry.state}`)),
        entry.state === queue.REJECTED
          ? [
              h('span', { class: 'error' }, JSON.stringify(entry.errors)),
              h('button', {
                type: 'button',
                class: 'quiet',
                onclick: async () => {
                  await queue.discard(entry.receipt_id);
                  await showQueue();
                  await showReceipts();
                },
              }, t('till.discard')),
            ]
          : null,
      ),
    ),
    ...sent.map((receipt) =>
      h(
        'li',
        { 'data-receipt-id': receipt.receipt_id, 'data-state': 'recorded' },
        h('span', {}, `${clock(receipt.sold_at)} · ${money(receipt.total)} · ${t(`payment.${receipt.payment_method}`)}`),
        h('button', { type: 'button', class: 'quiet', onclick: () => openRefund(receipt.receipt_id) }, t('till.refund')),
      ),
    ),
  ];
  fill(list, items.length ? items : h('li', { class: 'subtle' }, t('till.noReceiptsToday')));
}

async function openRefund(receiptId) {
  const view = $('refund-view');
  try {
    const [receipt, refunds] = await Promise.all([
      call('sales', `/receipts/${receiptId}`),
      call('sales', `/receipts/${receiptId}/refunds`),
    ]);
    const names = {};
    for (const line of receipt.lines) names[line.product_id] = (await catalogue.kept(line.product_id))?.name || line.product_id;
    fill(view, refundForm({ receipt, refunds, names, refundId: uuid(), till: settings(), onDone: () => { showReceipts(); } }));
    view.querySelector('input, button').focus();
  } catch (error) {
    fill(view, h('p', { class: 'error', role: 'alert' }, describe(error)));
  }
}

// -- start --------------------------------------------------------------------------------------

/** A basket whose receipt was already kept (the page stopped between keeping it and emptying the basket) is done. */
async function forgetRecordedBasket() {
  const id = state.basket.receiptId;
  if (!id) return;
  const kept = [...(await queue.unsent()), ...(await queue.recorded())].some((receipt) => receipt.receipt_id === id);
  if (kept) state.basket.clear();
}

function wireKeys() {
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      record();
    } else if (event.key === 'F2') {
      event.preventDefault();
      $('scan').focus();
    }
  });
  $('scan').addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') {
      const first = $('results').querySelector('button');
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === 'Escape') {
      $('scan').value = '';
      fill($('results'));
    }
  });
}

async function main() {
  state.who = await startPage('till');
  if (!state.who) return;
  state.placeId = await chooseScope(state.who.sellingPlaceId, 'sp.till.admin-place', async () =>
    (await call('inventory', '/selling-places')).map((place) => ({ value: place.id, label: place.name })),
  () => location.reload());
  if (!state.placeId) return;

  const settingsForm = $('settings-form');
  keepDraft(settingsForm, 'sp.till.settings');
  if (!settingsForm.elements.till_id.value) {
    settingsForm.elements.till_id.value = `till-${uuid().slice(0, 6)}`;
    settingsForm.dispatchEvent(new Event('input'));
  }
  keepDraft($('payment-form'), 'sp.till.payment');
  keepDraft($('scan-form'), 'sp.till.scan');
  $('camera').hidden = !('BarcodeDetector' in window && navigator.mediaDevices);
  $('camera').addEventListener('click', camera.open);
  $('camera-close').addEventListener('click', camera.close);
  $('scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    find($('scan').value);
  });
  $('payment-form').addEventListener('submit', record);
  $('empty-basket').addEventListener('click', () => {
    state.basket.clear();
    showBasket();
    $('scan').focus();
  });
  $('receipts-refresh').addEventListener('click', showReceipts);
  $('day-date').value = today(state.place.timezone);
  $('day-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showDay($('day-view'), {
      placeId: state.placeId,
      date: $('day-date').value,
      canClose: ['manager', 'administrator'].includes(state.who.role),
      closedBy: settings().clerk,
    });
  });
  wireKeys();
  await forgetRecordedBasket();
  showBasket();
  try {
    showReceipt(JSON.parse(localStorage.getItem(LAST)));
  } catch {
    showReceipt(null);
  }
  onLanguageChange(() => {
    showBasket();
    showQueue();
    showReceipts();
    try {
      showReceipt(JSON.parse(localStorage.getItem(LAST)));
    } catch {
      showReceipt(null);
    }
  });
  await showQueue();
  $('scan').focus();
  document.body.dataset.ready = 'true';

  await loadPlace();
  $('day-date').value = today(state.place.timezone);
  catalogue
    .refresh()
    .then(() => { document.body.dataset.catalogue = 'ready'; })
    .catch(() => { document.body.dataset.catalogue = 'kept'; }); // offline: the copy kept on the device serves
  window.addEventListener('online', flush);
  setInterval(async () => {
    if ((await queue.counts(state.placeId)).waiting) flush();
  }, RETRY_MS);
  await flush();
}

main();
