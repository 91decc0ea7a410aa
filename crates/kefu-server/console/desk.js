// The worker's desk: the waiting queue in getwaitcase order, accepting
// the earliest or a chosen follower, replying, transferring, closing, and
// the sessions each account holds. Also the developer's side of a
// conversation: putting a follower in the queue (what an answer of
// transfer_customer_service does) and message/custom/send.

import { control, enc, wechat } from './api.js';
import { h, fill, form, field, action, empty, tag, at, keptAction, options } from './dom.js';

const online = (state) => state.kf_accounts.filter((k) => k.online).map((k) => [k.kf_account, `${k.kf_account} (${k.nickname})`]);

function workerSelect(id) {
  return h('select', { id });
}

/** The chosen worker's account; an error that says why when none is online. */
function chosen(select) {
  if (!select.value) throw new Error('no worker is online: bring one online under Kf accounts first');
  return select.value;
}

export function deskPanel(ctx) {
  const kept = new Map();
  let appid = null;
  const worker = workerSelect('desk-worker');
  const queue = h('div');
  const sessions = h('div');
  const accept = (openid) => control('POST', `/_kefu/apps/${enc(appid)}/kf/${enc(chosen(worker))}/accept`, openid ? { openid } : undefined);
  const el = h('section', { class: 'card', 'aria-label': "Worker's desk" },
    h('h2', {}, "Worker's desk"),
    h('div', { class: 'row' }, field('Worker', worker), action('Accept next', () => accept(), { class: 'primary' })),
    h('h3', {}, 'Waiting (getwaitcase order)'), queue,
    h('h3', {}, 'Sessions'), sessions);
  return {
    el,
    update(state) {
      appid = state.app.appid;
      const now = ctx.now();
      options(worker, online(state), online(state).length ? null : 'no worker online');
      const fan = (openid) => ctx.link(`apps/${enc(appid)}/fans/${enc(openid)}`, openid);
      fill(queue, state.waiting.length ? h('table', {}, state.waiting.map((w) => h('tr', {},
        h('td', {}, fan(w.openid)),
        h('td', {}, w.kf_account ? `for ${w.kf_account}` : 'any account'),
        h('td', {}, 'since ', at(w.arrived_at, now)),
        h('td', {}, keptAction(kept, `accept:${w.openid}`, 'Accept', () => accept(w.openid), { 'aria-label': `Accept ${w.openid}` })))))
        : empty('nobody is waiting'));
      const byAccount = new Map();
      for (const s of state.sessions) byAccount.set(s.kf_account, [...(byAccount.get(s.kf_account) || []), s]);
      fill(sessions, byAccount.size ? [...byAccount].map(([account, list]) => h('div', {},
        h('strong', {}, account), ` — ${list.length} session${list.length === 1 ? '' : 's'}`,
        h('table', {}, list.map((s) => h('tr', {},
          h('td', {}, fan(s.openid)),
          h('td', {}, 'closes ', at(s.closes_at, now)),
          h('td', {}, keptAction(kept, `close:${s.openid}`, 'Close', () => control('POST', `/_kefu/apps/${enc(appid)}/kf/${enc(account)}/close`, { openid: s.openid }), { 'aria-label': `Close session with ${s.openid}` })))))))
        : empty('no open sessions'));
    },
  };
}

export function followerDesk(ctx, appid, openid) {
  let state = null;
  const status = h('p', { 'aria-live': 'polite' });
  const worker = workerSelect('desk-worker');
  const path = (account, verb) => `/_kefu/apps/${enc(appid)}/kf/${enc(account)}/${verb}`;
  const session = () => state?.sessions.find((s) => s.openid === openid);
  const serving = () => session()?.kf_account ?? chosen(worker);

  const reply = h('textarea', { id: 'worker-reply', rows: 2, placeholder: '有什么可以帮您？', 'aria-label': 'Worker reply' });
  const replyForm = form({ 'aria-label': 'Reply as the worker' }, [reply],
    h('button', { type: 'submit', class: 'primary' }, 'Send as worker'), async () => {
      await control('POST', path(serving(), 'messages'), { openid, text: reply.value });
      reply.value = '';
    });
  const to = h('select', { id: 'transfer-to' });
  const transfer = form({ 'aria-label': 'Transfer the session' }, [field('Transfer to', to)], h('button', { type: 'submit' }, 'Transfer'),
    () => control('POST', path(serving(), 'transfer'), { openid, to: to.value }));
  const custom = h('input', { id: 'custom-send', size: 24, placeholder: 'Hello', 'aria-label': 'Developer message (custom/send)' });
  const customForm = form({ 'aria-label': 'Send as the developer' }, [custom],
    h('button', { type: 'submit' }, 'Send with custom/send'), async () => {
      await wechat(state.app, '/cgi-bin/message/custom/send', { touser: openid, msgtype: 'text', text: { content: custom.value } });
      custom.value = '';
    });

  const el = h('section', { class: 'card', 'aria-label': "Worker's desk" },
    h('h2', {}, "Worker's desk"), status,
    h('div', { class: 'row' }, field('Worker', worker),
      action('Accept next', () => control('POST', path(chosen(worker), 'accept')), { class: 'primary' }),
      action('Accept this follower', () => control('POST', path(chosen(worker), 'accept'), { openid })),
      action('Put in waiting queue', () => control('POST', `/_kefu/apps/${enc(appid)}/waitcase`, { openid }))),
    replyForm, transfer,
    h('div', { class: 'row' }, action('Close session', () => control('POST', path(serving(), 'close'), { openid }), { class: 'danger' })),
    h('h3', {}, 'As the developer'), customForm,
    h('div', { class: 'row' }, action('Show typing (custom/typing)', () => wechat(state.app, '/cgi-bin/message/custom/typing', { touser: openid, command: 'Typing' }))));
  return {
    el,
    update(s) {
      state = s;
      const now = ctx.now();
      options(worker, online(s), online(s).length ? null : 'no worker online');
      const current = session();
      options(to, online(s).filter(([a]) => a !== current?.kf_account));
      const position = s.waiting.findIndex((w) => w.openid === openid);
      fill(status, current
        ? [tag('in session', 'on'), ` with ${current.kf_account} since `, at(current.createtime, now), '; closes ', at(current.closes_at, now), ' unless a message comes']
        : position >= 0
          ? [tag('waiting', 'wait'), ` ${position + 1} of ${s.waiting.length} in the queue since `, at(s.waiting[position].arrived_at, now)]
          : [tag('no session'), ' Accept them from the queue, or open a session with kfsession/create.',
            s.truncated ? ' (The app has more sessions or waiting followers than one read lists: this one may be among them.)' : null]);
    },
  };
}
