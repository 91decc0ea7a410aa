// What the traffic caused: for the app, the fault rules (add, remove), the
// compatibility report and its recent WeChat-side calls; for one
// follower, the pushes to the developer's server (request, answer,
// outcome, tries; encrypted bodies opened) and the calls that touched it.

import { control, enc, get } from './api.js';
import { h, fill, form, field, empty, tag, when, keptAction } from './dom.js';

/** A journal entry as one line that opens to the whole entry. */
function entryLine(e, opened) {
  const body = h('div');
  const line = h('details', {},
    h('summary', {}, h('span', { class: 'mono' }, `#${e.id}`), when(e.virtual_time).slice(11), h('strong', {}, `${e.method} ${e.path}`),
      e.errcode ? tag(`errcode ${e.errcode}`, 'bad') : tag('ok', 'on'), h('span', { class: 'muted' }, `${Math.round(e.latency_us / 100) / 10} ms`),
      e.fault ? tag(`fault ${e.fault}`, 'wait') : null, e.compat.length ? tag('compat', 'wait') : null),
    body);
  const show = async () => {
    const full = await get(`/_kefu/journal/${e.id}`);
    fill(body, h('div', { class: 'muted' }, `GET /_kefu/journal/${e.id}`), h('pre', {}, JSON.stringify(full, null, 2)));
  };
  line.addEventListener('toggle', () => {
    if (line.open) { opened.add(e.id); show().catch((err) => fill(body, h('p', { class: 'error' }, err.message))); } else opened.delete(e.id);
  });
  // Opened before the redraw: open it again (the toggle event reads it once).
  line.open = opened.has(e.id);
  return line;
}

function deliveryLine(d, opened) {
  const kind = d.outcome === 'ok' ? 'on' : 'bad';
  const part = (title, text) => (text ? [h('h3', {}, title), h('pre', {}, text)] : null);
  const line = h('details', { open: opened.has(d.id) },
    h('summary', {}, when(d.at).slice(11), h('strong', {}, d.event), `try ${d.attempt}`, tag(d.outcome, kind),
      d.status ? `HTTP ${d.status}` : null, h('span', { class: 'muted' }, `${d.latency_ms} ms`), d.last ? null : tag('will retry', 'wait')),
    h('div', { class: 'muted mono' }, `POST ${d.url}`),
    part('Request', d.request), part('Request, decrypted', d.request_plain),
    part('Answer', d.response), part('Answer, decrypted', d.response_plain),
    d.detail ? h('p', {}, d.detail) : null);
  line.addEventListener('toggle', () => (line.open ? opened.add(d.id) : opened.delete(d.id)));
  return line;
}

export function causedPanel(ctx, appid, openid) {
  const openedPushes = new Set();
  const openedCalls = new Set();
  const pushes = h('div');
  const calls = h('div');
  const readCalls = async () => {
    const entries = await get(`/_kefu/journal?appid=${enc(appid)}&limit=200`);
    const touching = entries.filter((e) => [e.query, e.request_body, e.response_body].some((t) => t.includes(openid)));
    fill(calls, touching.length ? touching.slice(0, 50).map((e) => entryLine(e, openedCalls)) : empty('no WeChat API call has named this follower yet'));
  };
  const el = h('section', { class: 'card', 'aria-label': 'What the conversation caused' },
    h('h2', {}, 'Pushes to your server'), pushes,
    h('h2', {}, 'WeChat API calls about this follower'), calls);
  return {
    el,
    async update() {
      const log = await get(`/_kefu/apps/${enc(appid)}/deliveries?limit=200`);
      const mine = log.filter((d) => d.openid === openid);
      fill(pushes, mine.length ? mine.slice(0, 50).map((d) => deliveryLine(d, openedPushes))
        : empty('no pushes yet — set push settings (kefu listen, or PUT /_kefu/apps/{appid}/callback) and write as the follower'));
      await readCalls();
    },
    journal: () => readCalls().catch(() => {}),
  };
}

function faultForm() {
  const path = h('input', { id: 'fault-path', value: '/cgi-bin/message/custom/send', size: 26 });
  const errcode = h('input', { id: 'fault-errcode', type: 'number', placeholder: '-1', size: 6 });
  const delay = h('input', { id: 'fault-delay', type: 'number', min: 0, placeholder: '0', size: 6 });
  const times = h('input', { id: 'fault-times', type: 'number', min: 1, placeholder: 'always', size: 6 });
  const number = (input) => (input.value === '' ? undefined : Number(input.value));
  return form({ 'aria-label': 'Add a fault rule' }, [
    field('Path (or push)', path), field('Errcode', errcode), field('Delay (ms)', delay), field('Times', times),
  ], h('button', { type: 'submit' }, 'Add fault'), async () => {
    await control('POST', '/_kefu/faults', { path: path.value.trim(), errcode: number(errcode), delay_ms: number(delay), times: number(times) });
  });
}

export function trafficPanel(ctx, appid) {
  const kept = new Map();
  const opened = new Set();
  const faults = h('div');
  const compat = h('div');
  const calls = h('div');
  const readCalls = async () => {
    const entries = await get(`/_kefu/journal?appid=${enc(appid)}&limit=20`);
    fill(calls, entries.length ? entries.map((e) => entryLine(e, opened)) : empty('no WeChat API calls yet'));
  };
  const el = h('section', { class: 'card', 'aria-label': 'Traffic' },
    h('h2', {}, 'Fault rules'), faults, faultForm(),
    h('h2', {}, 'Compatibility report'), compat,
    h('h2', {}, 'Recent WeChat API calls'), calls);
  return {
    el,
    async update() {
      const [rules, notes] = await Promise.all([get('/_kefu/faults'), get(`/_kefu/compat?appid=${enc(appid)}`)]);
      fill(faults, rules.length ? h('table', {}, rules.map((f) => h('tr', {},
        h('td', {}, h('strong', { class: 'mono' }, f.path), f.appid ? ` (${f.appid})` : ''),
        h('td', {}, [f.errcode !== undefined && f.errcode !== null ? `errcode ${f.errcode}` : null,
          f.status ? `HTTP ${f.status}` : null, f.delay_ms ? `${f.delay_ms} ms late` : null,
          f.drop ? 'dropped' : null, f.times ? `${f.times} times` : null].filter(Boolean).join(', ')),
        h('td', { class: 'muted' }, `matched ${f.matched}, applied ${f.applied}`),
        h('td', {}, keptAction(kept, `fault:${f.id}`, 'Remove', () => control('DELETE', `/_kefu/faults/${f.id}`), { 'aria-label': `Remove fault ${f.id}` })))))
        : empty('no fault rules: WeChat answers for real'));
      fill(compat, notes.length ? notes.map((n) => h('p', {}, tag(n.rule, 'wait'), ` ${n.count} request${n.count === 1 ? '' : 's'} (example #${n.example}): ${n.explanation}`))
        : empty('nothing real WeChat would do differently'));
      await readCalls();
    },
    journal: () => readCalls().catch(() => {}),
  };
}
