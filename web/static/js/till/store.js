// The till's storage on the device (IndexedDB): receipts not yet sent, receipts sent, the catalogue.
import { openDB } from '../../vendor/idb.js';

let opened = null;

/** The till's database, opened once. */
export function database() {
  if (!opened) {
    opened = openDB('sp-till', 1, {
      upgrade(db) {
        // receipts kept until sales has them: the receipt as it will be sent, its state, when it was kept
        db.createObjectStore('outbox', { keyPath: 'receipt_id' });
        // receipts sales recorded, as it answered (for the list of the day and refunds while offline)
        db.createObjectStore('receipts', { keyPath: 'receipt_id' });
        // the catalogue as the tills see it, to find products by barcode or name while offline
        db.createObjectStore('products', { keyPath: 'product_id' }).createIndex('barcode', 'barcode');
      },
    });
  }
  return opened;
}
