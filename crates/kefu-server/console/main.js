// The console's shell: the route (the path is the state, so deep links
// survive a reload), the virtual clock in the header, the admin-token
// prompt, and live updates: every `state` event of GET /_kefu/events makes
// the view read again, at most one read at a time.

import { ApiError, control, follow, get, setAdminToken, forgetAdminToken } from './api.js';
import { h, fill, form, field, when } from './dom.js';
import { appsView, appView } from './apps.js';
import { conversationView } from './fans.js';

const BASE = '/_kefu/console/';
const view = document.getElementById('view');
const crumbs = document.getElementById('crumbs');
const live = document.getElementById('live');

const clock = { now: 0, frozen: true, at: Date.now() };

/** What every view is given. */
const ctx = {
  now: () => (clock.frozen ? clock.now : clock.now + Math.floor((Date.now() - clock.at) / 1000)),
  navigate(path) {
    history.pushState(null, '', path);
    route();
  },
  crumbs(...parts) {
    fill(crumbs, h('a', { href: BASE, 'data-link': true }, 'Apps'), parts.map((p) => [' › ', p]));
  },
  link: (path, text) => h('a', { href: BASE + path, 'data-link': true }, text),
  refresh: () => refresh(),
};

let current = null;

function route() {
  const decode = (p) => { try { return decodeURIComponent(p); } catch { return p; } };
  const parts = location.pathname.slice(BASE.length).split('/').filter(Boolean).map(decode);
  current?.leave?.();
  if (parts[0] === 'apps' && parts[1] && parts[2] === 'fans' && parts[3]) {
    current = conversationView(ctx, parts[1], parts[3]);
  } else if (parts[0] === 'apps' && parts[1]) {
    current = appView(ctx, parts[1]);
  } else {
    current = appsView(ctx);
  }
  fill(view, current.el);
  refresh();
}

let reading = null;
let again = false;

/** Reads the clock and the view's data again; a call made meanwhile runs once after. */
async function refresh() {
  if (reading) {
    again = true;
    return reading;
  }
  reading = (async () => {
    try {
      Object.assign(clock, await get('/_kefu/clock'), { at: Date.now() });
      showClock();
      await current?.refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return prompt(e.message);
      if (current?.failed) current.failed(e);
      else showFatal(e.message);
    }
  })();
  await reading;
  reading = null;
  if (again) {
    again = false;
    await refresh();
  }
}

function showClock() {
  const out = document.getElementById('clock-now');
  out.textContent = `${when(ctx.now())}${clock.frozen ? ' (frozen)' : ''}`;
  out.title = `Virtual clock, Beijing time; ${clock.offset || 0} s ahead of real time`;
}

function prompt(reason) {
  current = null;
  ctx.crumbs();
  const input = h('input', { type: 'password', id: 'admin-token', autocomplete: 'off', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Unlock');
  const unlock = form({ 'aria-label': 'Unlock the console' }, [field('Admin token', input)], button, async () => {
    setAdminToken(input.value.trim());
    try {
      await get('/_kefu/apps');
    } catch (e) {
      forgetAdminToken();
      throw e;
    }
    start();
  });
  fill(view, h('section', { class: 'card prompt' },
    h('h1', {}, 'Admin token'),
    h('p', { class: 'muted' }, `This kefu was started with an admin token (${reason}). Enter it once; this browser tab keeps it until it closes.`),
    unlock));
  input.focus();
}

function setLive(status) {
  if (status instanceof ApiError) {
    live.textContent = status.status === 401 ? 'locked' : `no live updates: ${status.message}`;
    live.className = 'live off';
    return;
  }
  live.textContent = status === 'on' ? 'live' : 'reconnecting…';
  live.className = `live ${status}`;
}

let following = false;

function start() {
  route();
  if (!following) {
    following = true;
    follow((name) => {
      if (name === 'state') refresh();
      else if (name === 'journal') current?.journal?.();
    }, (status) => {
      setLive(status);
      if (status instanceof ApiError) following = false;
    });
  }
}

document.getElementById('clock').addEventListener('submit', async (event) => {
  event.preventDefault();
  const slot = document.getElementById('clock-error');
  const button = event.target.querySelector('button');
  const seconds = Number(document.getElementById('advance-seconds').value);
  button.disabled = true;
  slot.textContent = '';
  try {
    await control('POST', '/_kefu/clock/advance', { seconds });
    await refresh();
  } catch (e) {
    slot.textContent = e.message;
  } finally {
    button.disabled = false;
  }
});

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-link]');
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  ctx.navigate(a.getAttribute('href'));
});

window.addEventListener('popstate', route);
// A control whose list was redrawn while its call ran asks for a redraw to show the outcome.
document.addEventListener('kefu:redraw', () => refresh());
window.addEventListener('error', (e) => showFatal(e.message));
window.addEventListener('unhandledrejection', (e) => showFatal(e.reason && e.reason.message ? e.reason.message : String(e.reason)));
setInterval(showClock, 1000);

function showFatal(message) {
  const box = document.getElementById('fatal');
  box.textContent = `Something went wrong in the console: ${message}`;
  box.hidden = false;
}

start();
