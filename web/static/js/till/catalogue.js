// The products as the tills see them (sales' catalogue, with today's prices), kept on the device
// so a barcode is found while the connection is down.
import { Unreachable, call } from '../api.js';
import { database } from './store.js';

// the most products sales lists at once
const LIMIT = 500;

function plain(text) {
  return String(text).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** Fetch the catalogue anew and keep it on the device; how many products it has. */
export async function refresh() {
  const products = await call('sales', '/products', { query: { limit: LIMIT } });
  const db = await database();
  const tx = db.transaction('products', 'readwrite');
  await tx.store.clear();
  await Promise.all([...products.map((product) => tx.store.put(product)), tx.done]);
  return products.length;
}

async function remember(products) {
  const db = await database();
  await Promise.all(products.map((product) => db.put('products', product)));
}

/** The product with this barcode: asked of sales when it answers, else from the device; null if unknown. */
export async function byBarcode(barcode) {
  try {
    const found = await call('sales', '/products', { query: { barcode } });
    await remember(found);
    return found[0] || null;
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    return (await (await database()).getFromIndex('products', 'barcode', barcode)) || null;
  }
}

/** Products whose name contains `text` (accents and case ignored on the device). */
export async function byName(text, limit = 20) {
  try {
    const found = await call('sales', '/products', { query: { q: text, limit } });
    await remember(found);
    return found;
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    const wanted = plain(text);
    const all = await (await database()).getAll('products');
    return all.filter((product) => !product.retired && plain(product.name).includes(wanted)).slice(0, limit);
  }
}

/** One product from the device (to name the lines of a receipt). */
export async function kept(productId) {
  return (await database()).get('products', productId);
}
