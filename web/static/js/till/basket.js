// The basket being rung up, kept in localStorage on every change: a reload loses nothing typed.
import { uuid } from '../ui.js';

const STORED = 'sp.till.basket';

// Exact decimal figures as BigInt in fixed units (no float ever touches an amount).
function scaled(text, places) {
  const [whole, fraction = ''] = String(text).split('.');
  return BigInt(whole + fraction.padEnd(places, '0').slice(0, places));
}

function cents(amount) {
  const sign = amount < 0n ? '-' : '';
  const absolute = amount < 0n ? -amount : amount;
  return `${sign}${absolute / 100n}.${String(absolute % 100n).padStart(2, '0')}`;
}

function plusOne(quantity) {
  const thousandths = scaled(quantity, 3) + 1000n;
  const fraction = String(thousandths % 1000n).padStart(3, '0').replace(/0+$/, '');
  return fraction ? `${thousandths / 1000n}.${fraction}` : String(thousandths / 1000n);
}

const QUANTITY = /^\d+(\.\d{1,3})?$/;

/** A quantity as a person types it ("1,5") as the exact string the APIs take, or null. */
export function quantityOf(text) {
  const cleaned = String(text).trim().replace(',', '.');
  return QUANTITY.test(cleaned) && scaled(cleaned, 3) > 0n ? cleaned : null;
}

/**
 * What a line comes to, to show the customer before the sale is recorded: quantity x today's price,
 * to the cent half-up. Only an estimate on the screen: the receipt's total and VAT are sales'.
 */
export function lineEstimate(quantity, price) {
  const exact = scaled(quantity, 3) * scaled(price, 2); // in 1/100,000 of a euro
  return (exact + 500n) / 1000n;
}

export class Basket {
  constructor({ receiptId = null, lines = [] } = {}) {
    this.receiptId = receiptId;
    this.lines = lines;
  }

  /** The basket kept on this device, or an empty one. */
  static load() {
    try {
      return new Basket(JSON.parse(localStorage.getItem(STORED)) || {});
    } catch {
      return new Basket();
    }
  }

  save() {
    localStorage.setItem(STORED, JSON.stringify({ receiptId: this.receiptId, lines: this.lines }));
  }

  /** Add a product: one more of a line already there (pieces), else a new line; the line's index. */
  add(product) {
    // the receipt's id is chosen with its first line: recording it twice after a crash records it once
    if (!this.receiptId) this.receiptId = uuid();
    const index = this.lines.findIndex((line) => line.product_id === product.product_id);
    if (index >= 0 && product.unit === 'piece' && quantityOf(this.lines[index].quantity)) {
      this.lines[index].quantity = plusOne(quantityOf(this.lines[index].quantity));
      this.save();
      return index;
    }
    this.lines.push({
      product_id: product.product_id,
      name: product.name,
      unit: product.unit,
      price: product.price,
      vat_rate: product.vat_rate,
      quantity: '1',
    });
    this.save();
    return this.lines.length - 1;
  }

  /** Keep what was typed as a line's quantity, valid or not (it is checked when the sale is recorded). */
  setQuantity(index, text) {
    this.lines[index].quantity = text;
    this.save();
  }

  remove(index) {
    this.lines.splice(index, 1);
    if (!this.lines.length) this.receiptId = null;
    this.save();
  }

  clear() {
    this.receiptId = null;
    this.lines = [];
    this.save();
  }

  /** The indexes of lines whose quantity is not a positive decimal with up to 3 places. */
  invalidLines() {
    return this.lines.map((line, index) => (quantityOf(line.quantity) ? null : index)).filter((index) => index !== null);
  }

  /** The estimate of a line in euro ("12.75"), or null while its quantity is not valid. */
  lineEstimate(index) {
    const quantity = quantityOf(this.lines[index].quantity);
    return quantity ? cents(lineEstimate(quantity, this.lines[index].price)) : null;
  }

  /** The estimated total in euro, or null while a quantity is not valid. */
  estimate() {
    if (this.invalidLines().length) return null;
    return cents(this.lines.reduce((sum, line) => sum + lineEstimate(quantityOf(line.quantity), line.price), 0n));
  }

  /** The receipt as sales takes it: prices and VAT are left to sales' catalogue at the moment of sale. */
  receipt({ sellingPlaceId, tillId, clerk, paymentMethod, fiscalDocument }) {
    const receipt = {
      receipt_id: this.receiptId,
      selling_place_id: sellingPlaceId,
      till_id: tillId,
      sold_at: new Date().toISOString(),
      payment_method: paymentMethod,
      lines: this.lines.map((line) => ({ product_id: line.product_id, quantity: quantityOf(line.quantity) })),
    };
    if (clerk) receipt.clerk = clerk;
    if (fiscalDocument) receipt.fiscal_document = fiscalDocument;
    return receipt;
  }
}
