// Every call the console makes: the control API (JSON, the admin token
// when one is set) and the WeChat API (an access token per app from
// stable_token, which never disturbs the tokens a developer's code holds).
// Nothing here touches the page.

const TOKEN_KEY = 'kefu.adminToken';

/** A refused call: `message` is the API's own words. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const adminToken = () => sessionStorage.getItem(TOKEN_KEY) || '';
export const setAdminToken = (t) => sessionStorage.setItem(TOKEN_KEY, t);
export const forgetAdminToken = () => sessionStorage.removeItem(TOKEN_KEY);

function headers(withBody) {
  const h = {};
  const token = adminToken();
  if (token) h.Authorization = `Bearer ${token}`;
  if (withBody) h['Content-Type'] = 'application/json';
  return h;
}

async function readAnswer(res) {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

/** A control-API call; throws ApiError with the API's message. */
export async function control(method, path, body) {
  const withBody = body !== undefined;
  const res = await fetch(path, {
    method,
    headers: headers(withBody),
    body: withBody ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? null : await readAnswer(res);
  if (!res.ok) {
    const message = data && data.message ? data.message : `${res.status} ${res.statusText}`;
    throw new ApiError(message, res.status, data && data.error);
  }
  return data;
}

export const get = (path) => control('GET', path);
export const enc = encodeURIComponent;

const tokens = new Map();

async function accessToken(app, fresh) {
  if (!fresh && tokens.has(app.appid)) return tokens.get(app.appid);
  const res = await fetch('/cgi-bin/stable_token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credential', appid: app.appid, secret: app.secret }),
  });
  const data = weChatAnswer(res, await readAnswer(res), '/cgi-bin/stable_token');
  if (data.errcode) throw new ApiError(`stable_token: ${data.errcode} ${data.errmsg}`, res.status, data.errcode);
  tokens.set(app.appid, data.access_token);
  return data.access_token;
}

/** A WeChat answer must be HTTP 200 with a JSON object (a fault rule may answer otherwise). */
function weChatAnswer(res, data, path) {
  if (!res.ok || !data || typeof data !== 'object') {
    const body = typeof data === 'string' && data ? `: ${data.slice(0, 200)}` : '';
    throw new ApiError(`${path} answered HTTP ${res.status}${body}`, res.status);
  }
  return data;
}

/** Token errors after which a fresh token is fetched and the call re-run once. */
const STALE = [40001, 40014, 42001];

/** A WeChat-API call as the app's developer; `query` adds parameters. */
export async function wechat(app, path, body, query = {}) {
  for (const fresh of [false, true]) {
    const params = new URLSearchParams({ access_token: await accessToken(app, fresh), ...query });
    const res = await fetch(`${path}?${params}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const data = weChatAnswer(res, await readAnswer(res), path);
    if (!fresh && STALE.includes(data.errcode)) continue;
    if (data.errcode) throw new ApiError(`${data.errcode} ${data.errmsg}`, res.status, data.errcode);
    return data;
  }
}

/**
 * Follows `GET /_kefu/events` (read with fetch, so the admin token goes in
 * a header), calling `onEvent(name, data)`; reconnects after a second
 * when the stream ends. `onStatus` hears 'on', 'off', or the ApiError of a
 * refusal (then it stops).
 */
export async function follow(onEvent, onStatus) {
  for (;;) {
    try {
      const res = await fetch('/_kefu/events', { headers: headers(false) });
      if (!res.ok) {
        const data = await readAnswer(res);
        throw new ApiError(data && data.message ? data.message : `${res.status}`, res.status);
      }
      onStatus('on');
      await readEvents(res.body, onEvent);
    } catch (e) {
      // Refused (401, 403): retrying would not help; say why and stop.
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) return onStatus(e);
    }
    onStatus('off');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}
