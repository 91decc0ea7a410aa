// The list of apps (create, credentials, reset) and one app's page: its
// credentials and tokens, kf accounts, followers, the desk, and the
// traffic tools.

import { control, enc, get } from './api.js';
import { h, fill, form, field, action, empty, tag, at } from './dom.js';
import { kfPanel } from './kf.js';
import { followersPanel } from './fans.js';
import { deskPanel } from './desk.js';
import { trafficPanel } from './traffic.js';

const TYPES = [
  ['service_account', 'Service Account'],
  ['official_account', 'Official Account'],
  ['mini_program', 'Mini Program'],
  ['mini_game', 'MiniGame'],
];

/** Apps whose secret was asked for, kept through redraws (not stored). */
const revealed = new Set();

/** The secret, hidden until asked for. */
function secret(app) {
  const value = h('span', { class: 'secret' });
  const button = h('button', { type: 'button', class: 'small', 'aria-label': `Show secret of ${app.appid}` });
  const show = () => {
    const shown = revealed.has(app.appid);
    value.textContent = shown ? app.secret : '••••••••';
    button.textContent = shown ? 'Hide' : 'Show';
  };
  button.addEventListener('click', () => {
    if (!revealed.delete(app.appid)) revealed.add(app.appid);
    show();
  });
  show();
  return h('span', {}, value, ' ', button);
}

export function appsView(ctx) {
  const list = h('div');
  const type = h('select', { id: 'new-app-type' }, TYPES.map(([v, t]) => h('option', { value: v }, t)));
  const certified = h('input', { type: 'checkbox', checked: true, id: 'new-app-certified' });
  const wechatId = h('input', { id: 'new-app-wechat-id', placeholder: 'my_shop', size: 14 });
  const create = form({ 'aria-label': 'Create an app' }, [
    field('Type', type),
    h('label', { class: 'field check' }, certified, 'Certified'),
    field('WeChat ID', wechatId),
  ], h('button', { type: 'submit', class: 'primary' }, 'Create app'), async () => {
    const body = { account_type: type.value, certified: certified.checked };
    if (wechatId.value.trim()) body.wechat_id = wechatId.value.trim();
    const app = await control('POST', '/_kefu/apps', body);
    wechatId.value = '';
    ctx.navigate(`/_kefu/console/apps/${enc(app.appid)}`);
  });
  const confirm = h('span', { hidden: true }, 'Every app, platform and message goes; the demo app comes back. ',
    action('Yes, reset everything', () => control('POST', '/_kefu/reset'), { class: 'danger' }));
  const reset = h('button', { type: 'button', class: 'danger' }, 'Reset…');
  reset.addEventListener('click', () => { confirm.hidden = !confirm.hidden; });
  const el = h('div', { class: 'stack' },
    h('section', { class: 'card' }, h('h1', {}, 'Apps'), list),
    h('section', { class: 'card' }, h('h2', {}, 'Create an app'), create),
    h('section', { class: 'card' }, h('h2', {}, 'Reset'), h('div', { class: 'row' }, reset, confirm)));
  ctx.crumbs();
  return {
    el,
    async refresh() {
      const apps = await get('/_kefu/apps');
      fill(list, apps.length ? h('table', {},
        h('tr', {}, ['App', 'Type', 'WeChat ID', 'Secret', 'Customer service'].map((t) => h('th', {}, t))),
        apps.map((a) => h('tr', {},
          h('td', {}, ctx.link(`apps/${enc(a.appid)}`, a.appid)),
          h('td', {}, TYPES.find(([v]) => v === a.account_type)?.[1] ?? a.account_type, ' ',
            a.certified ? tag('certified', 'on') : tag('uncertified')),
          h('td', {}, a.wechat_id),
          h('td', {}, secret(a)),
          h('td', {}, a.kf_enabled ? tag('on', 'on') : tag('off', 'bad'))))) : empty('no apps yet — create one'));
    },
    failed: (e) => fill(list, h('p', { class: 'error', role: 'alert' }, e.message)),
  };
}

export function appView(ctx, appid) {
  const info = h('div');
  const panels = {
    kf: kfPanel(ctx),
    fans: followersPanel(ctx),
    desk: deskPanel(ctx),
    traffic: trafficPanel(ctx, appid),
  };
  const el = h('div', { class: 'stack' },
    h('section', { class: 'card' }, info),
    h('div', { class: 'grid' }, panels.kf.el, panels.desk.el),
    h('div', { class: 'grid' }, panels.fans.el, panels.traffic.el));
  return {
    el,
    async refresh() {
      const state = await get(`/_kefu/apps/${enc(appid)}?limit=200`);
      ctx.crumbs(h('span', {}, state.app.wechat_id));
      fill(info, appHeader(ctx, state));
      for (const p of Object.values(panels)) await p.update(state);
    },
    journal: () => panels.traffic.journal(),
    failed: (e) => fill(info, h('p', { class: 'error', role: 'alert' }, e.message)),
  };
}

function appHeader(ctx, state) {
  const a = state.app;
  const now = ctx.now();
  const tokens = state.tokens.length
    ? state.tokens.map((t) => h('span', {}, `${t.endpoint}: expires `, at(t.expires_at, now), ' '))
    : h('span', { class: 'muted' }, 'no access token issued yet');
  return [
    h('h1', {}, a.wechat_id, ' ', h('small', { class: 'muted mono' }, a.appid)),
    h('div', { class: 'row' },
      tag(TYPES.find(([v]) => v === a.account_type)?.[1] ?? a.account_type),
      a.certified ? tag('certified', 'on') : tag('uncertified'),
      a.kf_enabled ? tag('customer service on', 'on') : tag('customer service off', 'bad'),
      h('span', {}, 'Secret: ', secret(a))),
    h('div', { class: 'row muted' }, 'Tokens — ', tokens),
    state.truncated ? h('p', { class: 'warn' }, 'Lists below show their first 200 entries (GET /_kefu/apps/{appid}/fans pages through every follower).') : null,
  ];
}
