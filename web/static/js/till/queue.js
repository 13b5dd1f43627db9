// Receipts leave the till through here. Each is kept on the device (with its UUID) before anything is
// sent, so neither a dropped connection nor a reload loses it; sales records a receipt id once, so
// sending it again (after a timeout, from another tab) is harmless.
import { ApiError, Unreachable, call } from '../api.js';
import { SignInRefused } from '../session.js';
import { database } from './store.js';

export const WAITING = 'waiting';
export const REJECTED = 'rejected';
// the most receipts sales takes in one batch
const BATCH_SIZE = 1000;
// refusals that will not change by sending the same receipt again
const FINAL_REFUSALS = [400, 403, 404, 409, 413, 422];

let chain = Promise.resolve();

/** Run `work` alone: across tabs where the browser has Web Locks, else within this page. */
function exclusive(work) {
  if (navigator.locks) return navigator.locks.request('sp-till-outbox', work);
  const run = chain.then(work, work);
  chain = run.catch(() => undefined);
  return run;
}

/** Keep a receipt on the device before it is sent: from now on it cannot be lost. */
export async function keep(receipt, estimate) {
  const db = await database();
  await db.put('outbox', { receipt_id: receipt.receipt_id, receipt, estimate, state: WAITING, kept_at: new Date().toISOString() });
}

/** Every receipt not yet recorded by sales (waiting, or refused and kept for the clerk to see). */
export async function unsent() {
  return (await database()).getAll('outbox');
}

/** How many receipts of a selling place wait to be sent, and how many sales refused. */
export async function counts(placeId) {
  const entries = (await unsent()).filter((entry) => entry.receipt.selling_place_id === placeId);
  return {
    waiting: entries.filter((entry) => entry.state === WAITING).length,
    rejected: entries.filter((entry) => entry.state === REJECTED).length,
  };
}

/** Receipts sales has recorded, as it answered (newest first). */
export async function recorded() {
  const all = await (await database()).getAll('receipts');
  return all.sort((a, b) => (a.sold_at < b.sold_at ? 1 : -1));
}

async function settle(receiptId, answer, kept) {
  const db = await database();
  const tx = db.transaction(['outbox', 'receipts'], 'readwrite');
  await Promise.all([
    tx.objectStore('outbox').delete(receiptId),
    tx.objectStore('receipts').put({
      receipt_id: receiptId,
      sold_at: answer.sold_at || kept.sold_at,
      payment_method: answer.payment_method || kept.payment_method,
      business_date: answer.business_date,
      total: answer.total,
      vat_total: answer.vat_total,
      flagged: answer.flagged,
      after_close: answer.after_close,
    }),
    tx.done,
  ]);
}

async function refuse(receiptId, errors) {
  const db = await database();
  const entry = await db.get('outbox', receiptId);
  if (entry) await db.put('outbox', { ...entry, state: REJECTED, errors });
}

/** Forget a refused receipt, once the clerk has read why (it was never a recorded sale). */
export async function discard(receiptId) {
  const db = await database();
  const entry = await db.get('outbox', receiptId);
  if (entry && entry.state === REJECTED) await db.delete('outbox', receiptId);
}

function staysWaiting(error) {
  return (
    error instanceof Unreachable ||
    error instanceof SignInRefused ||
    (error instanceof ApiError && !FINAL_REFUSALS.includes(error.status))
  );
}

/**
 * Send one receipt now (a sale made online): {state: 'recorded', receipt} with sales' priced receipt,
 * {state: 'waiting', error} when it stays on the device, or {state: 'rejected', error}.
 */
export async function sendOne(receipt) {
  return exclusive(async () => {
    try {
      const answer = await call('sales', '/receipts', { method: 'POST', body: receipt });
      await settle(receipt.receipt_id, answer, receipt);
      return { state: 'recorded', receipt: answer };
    } catch (error) {
      if (staysWaiting(error)) return { state: WAITING, error };
      if (error instanceof ApiError) {
        await refuse(receipt.receipt_id, error.body.errors || { message: error.body.message });
        return { state: REJECTED, error };
      }
      throw error;
    }
  });
}

/**
 * Send every receipt of a selling place still waiting, in batches (POST /receipts/batch):
 * {created, duplicates, rejected, error}. Receipts of another selling place wait for its own key.
 */
export async function flush(placeId) {
  return exclusive(async () => {
    const outcome = { created: 0, duplicates: 0, rejected: 0, error: null };
    const waiting = (await unsent()).filter((entry) => entry.state === WAITING && entry.receipt.selling_place_id === placeId);
    for (let start = 0; start < waiting.length; start += BATCH_SIZE) {
      const chunk = waiting.slice(start, start + BATCH_SIZE);
      let answer;
      try {
        answer = await call('sales', '/receipts/batch', { method: 'POST', body: { receipts: chunk.map((entry) => entry.receipt) } });
      } catch (error) {
        if (!staysWaiting(error) && !(error instanceof ApiError)) throw error;
        outcome.error = error;
        break;
      }
      for (const result of answer.results) {
        const entry = chunk[result.index];
        if (result.status === 'rejected') {
          await refuse(entry.receipt_id, result.errors);
          outcome.rejected += 1;
        } else {
          await settle(entry.receipt_id, result, entry.receipt);
          outcome[result.status === 'created' ? 'created' : 'duplicates'] += 1;
        }
      }
    }
    return outcome;
  });
}
