// Calls to the services, through this site's /api/<service>/ pass-through, with the user's token.
import { Unreachable, token } from './session.js';

export { Unreachable };

/** A service answered with a refusal: `status`, and its JSON body (field errors under `errors`). */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }

  /** The field errors as [path, message] pairs, e.g. [["lines.0.quantity", "Must be greater than 0."]]. */
  fieldErrors() {
    const found = [];
    const walk = (value, path) => {
      if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
        for (const message of value) found.push([path.join('.'), message]);
      } else if (value && typeof value === 'object') {
        for (const [name, inner] of Object.entries(value)) walk(inner, [...path, name]);
      } else if (typeof value === 'string') {
        found.push([path.join('.'), value]);
      }
    };
    for (const location of Object.values(this.body.errors || {})) walk(location, []);
    return found;
  }
}

// the gateway's answers that mean "the service is not there right now", not "your request is wrong"
const UNAVAILABLE = [502, 503, 504];

/** The query string of `query`: arrays repeat their name, empty values are left out. */
export function queryString(query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') params.append(name, item);
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Call a service; the parsed JSON answer, or the Response itself with `raw`. Throws ApiError or Unreachable. */
export async function call(service, path, { method = 'GET', body, query, raw = false } = {}) {
  const url = `/api/${service}${path}${queryString(query)}`;
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Authorization: `Bearer ${await token(service, { renew: attempt > 0 })}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new Unreachable(service);
    }
    if (response.status === 401 && attempt === 0) continue; // the token lapsed or the key was renewed: once more
    if (UNAVAILABLE.includes(response.status)) throw new Unreachable(service, response.status);
    if (!response.ok) {
      let answer = null;
      try {
        answer = await response.json();
      } catch {
        answer = null;
      }
      throw new ApiError(response.status, answer);
    }
    if (raw) return response;
    return response.status === 204 ? null : response.json();
  }
}

/** Download a file a service makes (a PDF, CSV or XLSX), with the name the service gives it. */
export async function download(service, path, query = {}, fallbackName = 'download') {
  const response = await call(service, path, { query, raw: true });
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename="?([^";]+)"?/.exec(disposition);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = match ? match[1] : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return link.download;
}
