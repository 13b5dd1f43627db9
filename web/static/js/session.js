// Who is signed in: the user's API key stays in this tab's sessionStorage only; it is exchanged for a
// short-lived token per service at the identity service, and tokens are renewed before they lapse.
const KEY = 'sp.apiKey';
const PRINCIPAL = 'sp.principal';
const TOKENS = 'sp.tokens';
// renew a token this long before it lapses
const MARGIN_MS = 60_000;

export class SignInRefused extends Error {}
export class Unreachable extends Error {
  constructor(service, status = null) {
    super(`${service} does not answer`);
    this.service = service;
    this.status = status;
  }
}

function tokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS)) || {};
  } catch {
    return {};
  }
}

function claimsOf(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '=')));
}

async function exchange(apiKey, audience) {
  let response;
  try {
    response = await fetch('/api/identity/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ api_key: apiKey, audience }),
    });
  } catch {
    throw new Unreachable('identity');
  }
  if (response.status === 401 || response.status === 422) throw new SignInRefused();
  if (!response.ok) throw new Unreachable('identity', response.status);
  const answer = await response.json();
  const all = tokens();
  all[audience] = { token: answer.access_token, expires: Date.parse(answer.expires_at) };
  sessionStorage.setItem(TOKENS, JSON.stringify(all));
  return answer.access_token;
}

/** Sign in with an API key: checked at the identity service; the caller's role and scope are kept. */
export async function signIn(apiKey) {
  sessionStorage.removeItem(TOKENS);
  const token = await exchange(apiKey, 'identity');
  const claims = claimsOf(token);
  const principal = {
    keyId: claims.sub,
    role: claims.role,
    sellingPlaceId: claims.sp || null,
    villageId: claims.vil || null,
    producerId: claims.prod || null,
  };
  sessionStorage.setItem(KEY, apiKey);
  sessionStorage.setItem(PRINCIPAL, JSON.stringify(principal));
  return principal;
}

/** Forget the key and its tokens (what the till keeps for sending stays on the device). */
export function signOut() {
  for (const name of [KEY, PRINCIPAL, TOKENS]) sessionStorage.removeItem(name);
}

/** The signed-in caller ({role, sellingPlaceId, villageId, producerId}), or null. */
export function principal() {
  if (!sessionStorage.getItem(KEY)) return null;
  try {
    return JSON.parse(sessionStorage.getItem(PRINCIPAL));
  } catch {
    return null;
  }
}

/** A valid token for `audience` (a service), renewed when it is about to lapse. */
export async function token(audience, { renew = false } = {}) {
  const kept = tokens()[audience];
  if (!renew && kept && kept.expires - Date.now() > MARGIN_MS) return kept.token;
  const apiKey = sessionStorage.getItem(KEY);
  if (!apiKey) throw new SignInRefused();
  return exchange(apiKey, audience);
}
