// Charts of report rows (Chart.js, vendored): the figures drawn are the reports API's, unchanged.
import { locale, t } from './i18n.js';

const COLOURS = ['#2f5d3a', '#b5651d', '#3b6ea5', '#8e3b5f', '#6b8e23', '#c2a01b', '#5b5b5b', '#1b8e8e'];

/** The name a sector is shown with (its key when no translation is known). */
export function sectorName(sector) {
  const key = `sector.${sector}`;
  const name = t(key);
  return name === key ? sector : name;
}

/**
 * Pivot report rows into a chart's labels and datasets: one label per period (in order), one dataset
 * per `seriesOf(row)`. Each dataset keeps the exact figures (strings) beside the numbers drawn.
 */
export function pivot(rows, measure, seriesOf, { labelOf = (row) => row.period, orderOf = (row) => row.period_start, nameOf = (key) => key } = {}) {
  const labels = [];
  const order = new Map();
  for (const row of rows) {
    const label = labelOf(row);
    if (!order.has(label)) order.set(label, orderOf(row));
  }
  labels.push(...[...order.keys()].sort((a, b) => (order.get(a) < order.get(b) ? -1 : order.get(a) > order.get(b) ? 1 : 0)));
  const series = new Map();
  for (const row of rows) {
    const key = seriesOf(row);
    if (!series.has(key)) series.set(key, new Array(labels.length).fill(null));
    series.get(key)[labels.indexOf(labelOf(row))] = String(row[measure]);
  }
  const datasets = [...series.entries()].map(([key, figures], index) => ({
    key,
    label: nameOf(key),
    figures,
    // Chart.js draws numbers; the exact figure stays in `figures` (and in the table of figures)
    data: figures.map((figure) => (figure === null ? 0 : Number(figure))),
    backgroundColor: COLOURS[index % COLOURS.length],
    borderColor: COLOURS[index % COLOURS.length],
  }));
  return { labels, datasets };
}

/** Draw (or redraw) a chart on the canvas with this id. */
export function draw(canvasId, type, data, { stacked = false, money = true } = {}) {
  const existing = window.Chart.getChart(canvasId);
  if (existing) existing.destroy();
  const format = new Intl.NumberFormat(locale(), money ? { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 } : {});
  return new window.Chart(document.getElementById(canvasId), {
    type,
    data,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: locale(),
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked },
        y: { stacked, beginAtZero: true, ticks: { callback: (value) => format.format(value) } },
      },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}
