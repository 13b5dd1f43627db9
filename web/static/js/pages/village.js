// The village office: its selling places, deliveries, stocktakes, transfers, day closes, a new selling place.
import { call } from '../api.js';
import { showDay } from '../dayreport.js';
import { onLanguageChange, t } from '../i18n.js';
import { lineEditor } from '../lines.js';
import { chooseScope, startPage } from '../shell.js';
import { decimalInput, describe, fill, h, keepDraft, options, percent, quantity, showError, table, today, uuid } from '../ui.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const state = { villageId: null, places: [], allPlaces: [], products: [], producers: {} };
const $ = (id) => document.getElementById(id);

function placeName(id) {
  const place = state.allPlaces.find((candidate) => candidate.id === id);
  return place ? place.name : id;
}

function productName(id) {
  const product = state.products.find((candidate) => candidate.id === id);
  return product ? product.name : id;
}

function productChoices() {
  return state.products.map((product) => ({ value: product.id, label: `${product.name} — ${state.producers[product.producer_id] || ''}` }));
}

// -- what the pages choose from -----------------------------------------------------------------

async function loadPlaces() {
  const [places, allPlaces] = await Promise.all([
    call('inventory', '/selling-places', { query: { village_id: state.villageId } }),
    call('inventory', '/selling-places'),
  ]);
  state.places = places;
  state.allPlaces = allPlaces;
  const hours = (place) =>
    place.opening_hours
      ? WEEKDAYS.filter((weekday) => weekday in place.opening_hours)
          .map((weekday) => `${t(`weekday.${weekday}`)} ${place.opening_hours[weekday].join(' ') || t('village.closed')}`)
          .join(' · ')
      : '–';
  fill(
    $('place-table'),
    table(
      [
        { label: t('village.placeName'), key: 'name' },
        { label: t('village.address'), cell: (place) => place.address || '–' },
        { label: t('village.commissionShort'), cell: (place) => percent(place.commission_rate), numeric: true },
        { label: t('village.hoursShort'), cell: hours },
      ],
      places,
      { empty: t('village.noPlaces'), rowAttributes: (place) => ({ 'data-place-id': place.id }) },
    ),
  );
  const choices = places.map((place) => ({ value: place.id, label: place.name }));
  for (const select of document.querySelectorAll('.place-select')) options(select, choices);
  showDestinations();
}

function showDestinations() {
  const from = $('transfer-from').value;
  options($('transfer-to'), state.allPlaces.filter((place) => place.id !== from).map((place) => ({ value: place.id, label: place.name })));
}

async function loadProducts() {
  const [products, producers] = await Promise.all([
    call('inventory', '/products', { query: { active: true } }),
    call('inventory', '/producers'),
  ]);
  state.products = products.sort((a, b) => a.name.localeCompare(b.name));
  state.producers = Object.fromEntries(producers.map((producer) => [producer.id, producer.name]));
}

// -- documents: each keeps its id in the draft, so sending it again after a reload records it once --

function documentForm(form, storageKey) {
  if (!form.elements.document_id) form.prepend(h('input', { type: 'hidden', name: 'document_id' }));
  const forget = keepDraft(form, storageKey);
  if (!form.elements.document_id.value) form.elements.document_id.value = uuid();
  return {
    values: () => Object.fromEntries(new FormData(form)),
    done() {
      forget();
      form.reset();
      form.elements.document_id.value = uuid();
    },
  };
}

function result(form, ...content) {
  fill(form.querySelector('.result'), ...content);
}

function stockLines(lines) {
  return table(
    [
      { label: t('goods.product'), cell: (line) => productName(line.product_id) },
      { label: t('goods.onHand'), cell: (line) => quantity(line.on_hand ?? line.on_hand_from), numeric: true },
    ],
    lines,
  );
}

function wireRestock(editors) {
  const form = $('restock-form');
  const draft = documentForm(form, 'sp.village.restock');
  const editor = lineEditor(form.querySelector('.lines'), 'sp.village.restock.lines', productChoices);
  editors.push(editor);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const lines = editor.lines();
    if (!lines) return result(form, h('p', { class: 'error', role: 'alert' }, t('lines.incomplete')));
    const values = draft.values();
    const body = { delivery_id: values.document_id, lines, number: values.number.trim() || null, note: values.note.trim() || null };
    try {
      const delivery = await call('inventory', `/selling-places/${values.selling_place_id}/restocks`, { method: 'POST', body });
      result(form, h('p', { class: 'ok', 'data-delivery-id': delivery.delivery_id }, t('village.deliveryRecorded', { place: placeName(values.selling_place_id) })), stockLines(delivery.lines));
      draft.done();
      editor.clear();
      await showCount(); // what the shelf should now hold
    } catch (error) {
      showError(error, form);
    }
  });
}

async function showCount() {
  const form = $('stocktake-form');
  const place = form.elements.selling_place_id.value;
  const box = $('stocktake-lines');
  if (!place) return fill(box);
  let kept = {};
  try {
    kept = JSON.parse(localStorage.getItem(`sp.village.count.${place}`)) || {};
  } catch {
    kept = {};
  }
  try {
    const stock = await call('inventory', `/selling-places/${place}/stock`);
    fill(
      box,
      table(
        [
          { label: t('goods.product'), key: 'product_name' },
          { label: t('village.expected'), cell: (line) => quantity(line.on_hand, line.unit), numeric: true },
          {
            label: t('village.counted'),
            cell: (line) => h('input', {
              name: `counted_${line.product_id}`,
              inputmode: 'decimal',
              size: '7',
              value: kept[line.product_id] || '',
              'aria-label': t('village.countedOf', { product: line.product_name }),
              dataset: { productId: line.product_id },
            }),
          },
        ],
        stock,
        { empty: t('village.nothingOnShelf') },
      ),
    );
  } catch (error) {
    fill(box, h('p', { class: 'error', role: 'alert' }, describe(error)));
  }
}

function wireStocktake() {
  const form = $('stocktake-form');
  const draft = documentForm(form, 'sp.village.stocktake');
  const countKey = () => `sp.village.count.${form.elements.selling_place_id.value}`;
  form.elements.selling_place_id.addEventListener('change', showCount);
  $('stocktake-lines').addEventListener('input', () => {
    const counts = {};
    for (const input of $('stocktake-lines').querySelectorAll('input')) if (input.value.trim()) counts[input.dataset.productId] = input.value;
    localStorage.setItem(countKey(), JSON.stringify(counts));
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const lines = [];
    for (const input of $('stocktake-lines').querySelectorAll('input')) {
      if (!input.value.trim()) continue;
      const counted = decimalInput(input.value);
      input.setAttribute('aria-invalid', String(!counted));
      if (!counted) return result(form, h('p', { class: 'error', role: 'alert' }, t('lines.incomplete')));
      lines.push({ product_id: input.dataset.productId, counted });
    }
    if (!lines.length) return result(form, h('p', { class: 'error', role: 'alert' }, t('village.countSomething')));
    const values = draft.values();
    try {
      const stocktake = await call('inventory', `/selling-places/${values.selling_place_id}/stocktakes`, {
        method: 'POST',
        body: { stocktake_id: values.document_id, note: values.note.trim() || null, lines },
      });
      localStorage.removeItem(countKey());
      result(
        form,
        h('p', { class: 'ok', 'data-stocktake-id': stocktake.stocktake_id }, t('village.countRecorded')),
        table(
          [
            { label: t('goods.product'), cell: (line) => productName(line.product_id) },
            { label: t('village.expected'), cell: (line) => quantity(line.expected), numeric: true },
            { label: t('village.counted'), cell: (line) => quantity(line.counted), numeric: true },
            { label: t('village.variance'), cell: (line) => quantity(line.variance), numeric: true },
          ],
          stocktake.lines,
        ),
      );
      const place = values.selling_place_id;
      draft.done();
      form.elements.selling_place_id.value = place;
      await showCount();
    } catch (error) {
      showError(error, form);
    }
  });
}

function wireTransfer(editors) {
  const form = $('transfer-form');
  const draft = documentForm(form, 'sp.village.transfer');
  const editor = lineEditor(form.querySelector('.lines'), 'sp.village.transfer.lines', productChoices);
  editors.push(editor);
  form.elements.selling_place_id.addEventListener('change', showDestinations);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const lines = editor.lines();
    if (!lines) return result(form, h('p', { class: 'error', role: 'alert' }, t('lines.incomplete')));
    const values = draft.values();
    try {
      const transfer = await call('inventory', `/selling-places/${values.selling_place_id}/transfers`, {
        method: 'POST',
        body: { transfer_id: values.document_id, to_selling_place_id: values.to_selling_place_id, note: values.note.trim() || null, lines },
      });
      result(
        form,
        h('p', { class: 'ok', 'data-transfer-id': transfer.transfer_id }, t('village.transferRecorded', {
          from: placeName(transfer.from_selling_place_id),
          to: placeName(transfer.to_selling_place_id),
        })),
        table(
          [
            { label: t('goods.product'), cell: (line) => productName(line.product_id) },
            { label: t('village.moved'), cell: (line) => quantity(line.quantity), numeric: true },
            { label: t('village.leftAtSource'), cell: (line) => quantity(line.on_hand_from), numeric: true },
            { label: t('village.nowAtDestination'), cell: (line) => quantity(line.on_hand_to), numeric: true },
          ],
          transfer.lines,
        ),
      );
      draft.done();
      editor.clear();
      await showCount();
    } catch (error) {
      showError(error, form);
    }
  });
}

function wireDays() {
  const form = $('day-form');
  form.elements.business_date.value = today();
  keepDraft(form, 'sp.village.day');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    showDay($('day-view'), { placeId: values.selling_place_id, date: values.business_date, canClose: true, closedBy: t('village.office') });
  });
}

function wireOnboarding() {
  const form = $('onboard-form');
  const forget = keepDraft(form, 'sp.village.onboard');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const hours = {};
    for (const weekday of WEEKDAYS) {
      const typed = (values[`hours_${weekday}`] || '').trim();
      if (typed) hours[weekday] = typed.split(/[\s,;]+/).filter(Boolean);
    }
    const body = {
      village_id: state.villageId,
      name: values.name.trim(),
      address: values.address.trim() || null,
      commission_rate: decimalInput(values.commission_rate, 2) ?? values.commission_rate,
      timezone: values.timezone.trim(),
      opening_hours: Object.keys(hours).length ? hours : null,
    };
    try {
      const place = await call('inventory', '/selling-places', { method: 'POST', body });
      result(form, h('p', { class: 'ok', 'data-place-id': place.id }, t('village.placeOpened', { name: place.name })));
      forget();
      form.reset();
      await loadPlaces();
    } catch (error) {
      showError(error, form);
    }
  });
}

// -- start --------------------------------------------------------------------------------------

async function main() {
  const who = await startPage('village');
  if (!who) return;
  state.villageId = await chooseScope(who.villageId, 'sp.village.admin-village', async () =>
    (await call('inventory', '/villages')).map((village) => ({ value: village.id, label: village.name })),
  () => location.reload());
  if (!state.villageId) return;
  call('inventory', `/villages/${state.villageId}`)
    .then((village) => { $('village-name').textContent = `· ${village.name}`; })
    .catch(() => undefined);
  const editors = [];
  wireRestock(editors);
  wireStocktake();
  wireTransfer(editors);
  wireDays();
  wireOnboarding();
  try {
    await Promise.all([loadPlaces(), loadProducts()]);
    for (const editor of editors) editor.refresh();
    await showCount();
  } catch (error) {
    showError(error);
  }
  onLanguageChange(async () => {
    await loadPlaces().catch(showError);
    for (const editor of editors) editor.refresh();
    await showCount();
  });
  document.body.dataset.ready = 'true';
}

main();
