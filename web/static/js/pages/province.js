// The province dashboard: model indicators, charts of the reports, the figures with exports, their freshness.
import { ApiError, call, download } from '../api.js';
import { draw, pivot, sectorName } from '../charts.js';
import { currentLanguage, onLanguageChange, t } from '../i18n.js';
import { startPage } from '../shell.js';
import { describe, fill, h, keepDraft, money, moment, number, options, percent, quantity, table, toast, today } from '../ui.js';

const MONEY = ['net_sales', 'gross', 'net', 'payout', 'commission'];
// how often to ask whether an export file is ready, and for how long
const EXPORT_POLL_MS = 1000;
const EXPORT_WAIT_MS = 120_000;

const state = { villages: {}, places: {}, last: null };
const $ = (id) => document.getElementById(id);

function filters() {
  const form = $('filters');
  const values = new FormData(form);
  return {
    from: values.get('from'),
    to: values.get('to'),
    granularity: values.get('granularity'),
    measure: values.get('measure'),
    village: values.getAll('village'),
    selling_place: values.getAll('selling_place'),
    sector: values.getAll('sector'),
    mountain_product: values.get('mountain_product'),
  };
}

/** The reports API's filters (as its query string takes them) of the form. */
function reportFilters(chosen) {
  const { from, to, village, selling_place: sellingPlace, sector, mountain_product: mountain } = chosen;
  return { from, to, village, selling_place: sellingPlace, sector, mountain_product: mountain };
}

function groupBy() {
  return [...document.querySelectorAll('#group-by input:checked')].map((box) => box.value);
}

function showFreshness(reports) {
  const element = $('freshness');
  const watermarks = reports.map((report) => report.watermark).filter(Boolean).sort();
  const pending = Math.max(0, ...reports.map((report) => report.pending_keys ?? 0));
  const when = watermarks.length ? moment(watermarks[0]) : t('freshness.never');
  element.textContent = pending ? t('freshness.pending', { when, count: pending }) : t('freshness.upTo', { when });
  element.dataset.pending = String(pending);
  element.dataset.watermark = watermarks[0] || '';
}

function showIndicators(indicators) {
  const level = indicators.level;
  const name = (row) => (level === 'village' ? row.village_name || row.village : row.selling_place_name || row.selling_place);
  const mix = (row) =>
    Object.entries(row.sector_mix || {})
      .map(([sector, share]) => `${sectorName(sector)} ${percent(share)}`)
      .join(' · ') || '–';
  fill(
    $('indicator-table'),
    table(
      [
        { label: t(level === 'village' ? 'dimension.village' : 'dimension.selling_place'), cell: name },
        { label: t('indicator.population'), cell: (row) => number(row.population, 0), numeric: true },
        { label: t('indicator.activeProducers'), key: 'active_producers', numeric: true },
        { label: t('measure.net_sales'), cell: (row) => money(row.net_sales), numeric: true },
        { label: t('measure.receipts'), key: 'receipts', numeric: true },
        { label: t('indicator.averageBasket'), cell: (row) => money(row.average_basket), numeric: true },
        { label: t('indicator.perInhabitant'), cell: (row) => money(row.revenue_per_inhabitant), numeric: true },
        { label: t('indicator.growthPrevious'), cell: (row) => percent(row.growth_previous), numeric: true },
        { label: t('indicator.growthLastYear'), cell: (row) => percent(row.growth_last_year), numeric: true },
        { label: t('indicator.touristShare'), cell: (row) => percent(row.tourist_season_share), numeric: true },
        { label: t('indicator.sectorMix'), cell: mix },
      ],
      indicators.rows,
      { empty: t('report.noSales'), rowAttributes: (row) => ({ 'data-id': level === 'village' ? row.village : row.selling_place }) },
    ),
  );
}

function showCharts(measure, bySector, byVillage, bySeason) {
  const isMoney = MONEY.includes(measure);
  draw('chart-sectors', 'line', pivot(bySector.rows, measure, (row) => row.sector, { nameOf: sectorName }), { money: isMoney });
  const villageName = (id) => byVillage.rows.find((row) => row.village === id)?.village_name || id;
  const villages = pivot(byVillage.rows, measure, () => measure, { labelOf: (row) => row.village, orderOf: (row) => villageName(row.village), nameOf: (key) => t(`measure.${key}`) });
  villages.keys = villages.labels;
  villages.labels = villages.labels.map(villageName);
  draw('chart-villages', 'bar', villages, { money: isMoney });
  draw('chart-seasons', 'bar', pivot(bySeason.rows, measure, (row) => row.sector, { nameOf: sectorName }), { money: isMoney, stacked: true });
}

const DIMENSION_CELLS = {
  village: (row) => row.village_name || row.village,
  selling_place: (row) => row.selling_place_name || row.selling_place,
  sector: (row) => sectorName(row.sector),
  producer: (row) => row.producer_name || row.producer,
  product: (row) => row.product_name || row.product,
};

function showTable(report) {
  const dimensions = report.group_by.map((dimension) => ({ label: t(`dimension.${dimension}`), cell: DIMENSION_CELLS[dimension] }));
  fill(
    $('report-table'),
    table(
      [
        { label: t('report.period'), key: 'period' },
        ...dimensions,
        { label: t('measure.quantity'), cell: (row) => quantity(row.quantity), numeric: true },
        { label: t('measure.gross'), cell: (row) => money(row.gross), numeric: true },
        { label: t('measure.net'), cell: (row) => money(row.net), numeric: true },
        { label: t('measure.net_sales'), cell: (row) => money(row.net_sales), numeric: true },
        { label: t('measure.commission'), cell: (row) => money(row.commission), numeric: true },
        { label: t('measure.payout'), cell: (row) => money(row.payout), numeric: true },
        { label: t('measure.receipts'), key: 'receipts', numeric: true },
        { label: t('indicator.averageBasket'), cell: (row) => money(row.average_basket), numeric: true },
        { label: t('report.sellThrough'), cell: (row) => percent(row.sell_through), numeric: true },
        { label: t('report.daysOut'), key: 'days_out_of_stock', numeric: true },
      ],
      report.rows,
      { empty: t('report.noSales') },
    ),
  );
}

function tableQuery() {
  const chosen = filters();
  return { ...reportFilters(chosen), granularity: chosen.granularity, group_by: groupBy() };
}

async function show(event) {
  if (event) event.preventDefault();
  const chosen = filters();
  const base = reportFilters(chosen);
  document.body.dataset.ready = 'loading';
  try {
    const [bySector, byVillage, bySeason, indicators, figures] = await Promise.all([
      call('reporting', '/reports/sales', { query: { ...base, group_by: 'sector', granularity: chosen.granularity } }),
      call('reporting', '/reports/sales', { query: { ...base, group_by: 'village', granularity: 'total' } }),
      call('reporting', '/reports/sales', { query: { ...base, group_by: 'sector', granularity: 'season' } }),
      call('reporting', '/reports/indicators', { query: { from: chosen.from, to: chosen.to, level: $('indicator-level').value } }),
      call('reporting', '/reports/sales', { query: tableQuery() }),
    ]);
    state.last = { measure: chosen.measure, bySector, byVillage, bySeason, indicators, figures };
    showFreshness([bySector, byVillage, bySeason, figures]);
    showIndicators(indicators);
    showCharts(chosen.measure, bySector, byVillage, bySeason);
    showTable(figures);
  } catch (error) {
    fill($('freshness'), h('span', { class: 'error', role: 'alert' }, describe(error)));
  }
  document.body.dataset.ready = 'true';
}

async function exportFile(format, button) {
  const query = { ...tableQuery(), format, lang: currentLanguage() };
  button.disabled = true;
  try {
    await download('reporting', '/reports/sales', query, `sales.${format}`);
  } catch (error) {
    const tooLarge = error instanceof ApiError && error.status === 422 && error.fieldErrors().some(([path]) => path === 'format');
    if (!tooLarge) {
      toast(describe(error), 'error');
      return;
    }
    // too many rows to make in the request: a worker makes the file, we fetch it when ready
    try {
      const body = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== '' && !(Array.isArray(value) && !value.length)));
      if ('mountain_product' in body) body.mountain_product = body.mountain_product === 'true';
      let job = await call('reporting', '/exports', { method: 'POST', body });
      toast(t('export.queued'));
      const deadline = Date.now() + EXPORT_WAIT_MS;
      while (job.status === 'pending' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, EXPORT_POLL_MS));
        job = await call('reporting', `/exports/${job.export_id}`);
      }
      if (job.status !== 'ready') throw new Error(job.error || job.status);
      await download('reporting', `/exports/${job.export_id}/file`, {}, `sales.${format}`);
    } catch (failure) {
      toast(describe(failure), 'error');
    }
  } finally {
    button.disabled = false;
  }
}

async function loadChoices() {
  const form = $('filters');
  const [villages, places, sectors] = await Promise.all([
    call('inventory', '/villages'),
    call('inventory', '/selling-places'),
    call('inventory', '/sectors'),
  ]);
  options(form.elements.village, villages.map((village) => ({ value: village.id, label: village.name })));
  options(form.elements.selling_place, places.map((place) => ({ value: place.id, label: place.name })));
  options(form.elements.sector, sectors.sectors.map((sector) => ({ value: sector, label: sectorName(sector) })));
}

async function main() {
  const who = await startPage('province');
  if (!who) return;
  const form = $('filters');
  form.elements.from.value = `${today().slice(0, 4)}-01-01`;
  form.elements.to.value = today();
  keepDraft(form, 'sp.province.filters');
  keepDraft($('group-form'), 'sp.province.group-by');
  form.addEventListener('submit', show);
  $('indicator-level').addEventListener('change', () => show());
  $('group-by').addEventListener('change', () => show());
  $('export-csv').addEventListener('click', (event) => exportFile('csv', event.currentTarget));
  $('export-xlsx').addEventListener('click', (event) => exportFile('xlsx', event.currentTarget));
  onLanguageChange(() => {
    if (state.last) {
      const { measure, bySector, byVillage, bySeason, indicators, figures } = state.last;
      showFreshness([bySector, byVillage, bySeason, figures]);
      showIndicators(indicators);
      showCharts(measure, bySector, byVillage, bySeason);
      showTable(figures);
    }
  });
  try {
    await loadChoices();
  } catch (error) {
    toast(describe(error), 'error');
  }
  await show();
}

main();
