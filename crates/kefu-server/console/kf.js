// An app's kf accounts: add, rename, delete and invite through the WeChat
// API as the developer would; play the invited WeChat user (accept,
// reject) and the worker (online, offline) through the control API.

import { control, enc, wechat } from './api.js';
import { h, fill, form, field, action, empty, tag, at, keptAction, options } from './dom.js';

function invitation(k, now) {
  if (!k.invite_wx) return h('span', { class: 'muted' }, '—');
  const kind = { waiting: 'wait', rejected: 'bad', expired: 'bad' }[k.invite_status] ?? '';
  return h('span', {}, tag(k.invite_status, kind), ' ', k.invite_wx,
    k.invite_status === 'waiting' ? [' · expires ', at(k.invite_expire_time, now)] : null);
}

export function kfPanel(ctx) {
  const kept = new Map();
  let app = null;
  const list = h('div');
  const raw = h('pre', { hidden: true, 'aria-label': 'WeChat answer' });

  const account = h('input', { id: 'kf-account', placeholder: 'kf1', size: 12, autocomplete: 'off' });
  const suffix = h('span', { class: 'muted' });
  const nickname = h('input', { id: 'kf-nickname', placeholder: '小王', size: 10 });
  const full = () => (account.value.includes('@') ? account.value.trim() : `${account.value.trim()}@${app.app.wechat_id}`);
  const add = form({ 'aria-label': 'Add a kf account' }, [
    field('Kf account', account), suffix,
    field('Nickname', nickname),
  ], h('button', { type: 'submit', class: 'primary' }, 'Add kf account'), async () => {
    await wechat(app.app, '/customservice/kfaccount/add', { kf_account: full(), nickname: nickname.value });
    account.value = '';
    nickname.value = '';
  });

  const inviteOn = h('select', { id: 'invite-account' });
  const inviteWx = h('input', { id: 'invite-wx', placeholder: 'worker_wang', size: 14, autocomplete: 'off' });
  const invite = form({ 'aria-label': 'Invite a WeChat user' }, [
    field('Account to bind', inviteOn),
    field('WeChat ID to invite', inviteWx),
  ], h('button', { type: 'submit' }, 'Invite'), async () => {
    const wx = inviteWx.value.trim();
    // The console plays a WeChat where this user exists.
    if (wx) await control('PUT', `/_kefu/wechat-users/${enc(wx)}`, { exists: true });
    await wechat(app.app, '/customservice/kfaccount/inviteworker', { kf_account: inviteOn.value, invite_wx: wx });
    inviteWx.value = '';
  });

  const renameOn = h('select', { id: 'rename-account' });
  const newName = h('input', { id: 'rename-nickname', size: 10 });
  const rename = form({ 'aria-label': 'Rename a kf account' }, [
    field('Account', renameOn), field('New nickname', newName),
  ], h('button', { type: 'submit' }, 'Save nickname'), async () => {
    await wechat(app.app, '/customservice/kfaccount/update', { kf_account: renameOn.value, nickname: newName.value });
    newName.value = '';
  });

  const show = (path) => action(`Show ${path.split('/').pop()}`, async () => {
    raw.textContent = JSON.stringify(await wechat(app.app, path), null, 2);
    raw.hidden = false;
  }, { class: 'small' });

  const el = h('section', { class: 'card', 'aria-label': 'Kf accounts' },
    h('h2', {}, 'Kf accounts'), list, add, invite, rename,
    h('div', { class: 'row' }, show('/cgi-bin/customservice/getkflist'), show('/cgi-bin/customservice/getonlinekflist')), raw);

  function row(k, now) {
    const a = k.kf_account;
    const status = (online) => () => control('PUT', `/_kefu/apps/${enc(app.app.appid)}/kf/${enc(a)}/status`, { online });
    const answer = (verb) => () => control('POST', `/_kefu/apps/${enc(app.app.appid)}/kf/${enc(a)}/invitation/${verb}`);
    const acts = [];
    if (k.invite_status === 'waiting') {
      acts.push(keptAction(kept, `accept:${a}`, `Accept as ${k.invite_wx}`, answer('accept'), { 'aria-label': `Accept invitation: ${a}` }));
      acts.push(keptAction(kept, `reject:${a}`, 'Reject', answer('reject'), { 'aria-label': `Reject invitation: ${a}` }));
    }
    if (k.worker) {
      acts.push(k.online
        ? keptAction(kept, `off:${a}`, 'Go offline', status(false), { 'aria-label': `Go offline: ${a}` })
        : keptAction(kept, `on:${a}`, 'Go online', status(true), { 'aria-label': `Go online: ${a}` }));
    }
    acts.push(keptAction(kept, `del:${a}`, 'Delete', () => wechat(app.app, '/customservice/kfaccount/del', { kf_account: a }),
      { class: 'small danger', 'aria-label': `Delete ${a}` }));
    return h('tr', {},
      h('td', {}, h('strong', {}, a), h('div', { class: 'muted' }, `kf_id ${k.kf_id} · ${k.nickname}`)),
      h('td', {}, k.worker ?? h('span', { class: 'muted' }, 'no worker'), ' ',
        k.worker ? (k.online ? tag('online', 'on') : tag('offline')) : null),
      h('td', {}, String(k.accepted_case)),
      h('td', {}, invitation(k, now)),
      h('td', {}, h('div', { class: 'actions' }, acts)));
  }

  return {
    el,
    update(state) {
      app = state;
      suffix.textContent = `@${state.app.wechat_id}`;
      const accounts = state.kf_accounts.map((k) => [k.kf_account, k.kf_account]);
      options(inviteOn, accounts);
      options(renameOn, accounts);
      const now = ctx.now();
      fill(list, state.kf_accounts.length ? h('table', {},
        h('tr', {}, ['Account', 'Worker', 'accepted_case', 'Invitation', ''].map((t) => h('th', {}, t))),
        state.kf_accounts.map((k) => row(k, now))) : empty('no kf accounts yet — add one'));
    },
  };
}
