// Followers: the app page's list (create one, open its conversation) and
// the conversation page: the follower's phone (what they wrote and what
// came back, typing, the 48-hour window; write and act as them) beside
// the worker's desk, with what the conversation caused below.

import { control, enc, get } from './api.js';
import { h, fill, form, action, empty, tag, when, errorSlot } from './dom.js';
import { followerDesk } from './desk.js';
import { causedPanel } from './traffic.js';

export function followersPanel(ctx) {
  const list = h('div');
  let appid = null;
  const el = h('section', { class: 'card', 'aria-label': 'Followers' },
    h('h2', {}, 'Followers'), list,
    h('div', { class: 'row' }, action('New follower', async () => {
      const f = await control('POST', `/_kefu/apps/${enc(appid)}/fans`);
      ctx.navigate(`/_kefu/console/apps/${enc(appid)}/fans/${enc(f.openid)}`);
    }, { class: 'primary' })));
  return {
    el,
    update(state) {
      appid = state.app.appid;
      const now = ctx.now();
      const where = (openid) => {
        const s = state.sessions.find((x) => x.openid === openid);
        if (s) return tag(`with ${s.kf_account}`, 'on');
        return state.waiting.some((w) => w.openid === openid) ? tag('waiting', 'wait') : null;
      };
      fill(list, state.followers.length ? h('table', {},
        h('tr', {}, ['Follower', 'Status', 'Messages left'].map((t) => h('th', {}, t))),
        state.followers.map((f) => h('tr', {},
          h('td', {}, ctx.link(`apps/${enc(appid)}/fans/${enc(f.openid)}`, f.openid)),
          h('td', {}, f.subscribed ? tag('following') : tag('unfollowed', 'bad'), ' ', where(f.openid)),
          h('td', {}, f.message_window.until > now ? `${f.message_window.left} until ${when(f.message_window.until).slice(5, 16)}` : h('span', { class: 'muted' }, 'window closed')))))
        : empty('no followers yet — create one'));
    },
  };
}

/** A link target from a message: web addresses only, never `javascript:`. */
const web = (url) => (/^https?:\/\//i.test(url || '') ? url : '#');

/** What a message looks like on the phone. */
function content(m) {
  const d = m.detail || {};
  switch (m.msgtype) {
    case 'text': return m.text;
    case 'news': return h('div', { class: 'news' }, (d.articles || []).map((a) => h('a', { href: web(a.url), title: a.description || '', rel: 'noopener noreferrer', target: '_blank' }, `📰 ${a.title || ''}`)));
    case 'msgmenu': return h('div', {}, d.head_content || '', (d.list || []).map((i) => h('span', { class: 'menu-item' }, i.content)), d.tail_content || '');
    case 'link': return h('a', { href: web(d.url), rel: 'noopener noreferrer', target: '_blank' }, `🔗 ${d.title || ''}`);
    default: return h('span', { class: 'media' }, `[${m.msgtype}] ${d.media_id || d.title || ''}`);
  }
}

function bubble(m) {
  const mine = m.opercode === 2003;
  const who = mine ? 'follower' : m.worker ? m.worker : 'the app (custom/send)';
  return h('div', { class: `msg${mine ? ' me' : ''}` }, h('div', { class: 'bubble' }, content(m)),
    h('span', { class: 'meta' }, `${who} · ${when(m.time).slice(11)}`));
}

/** Every message of a follower, page after page (1000 a page). */
async function allMessages(base) {
  const all = [];
  for (;;) {
    const from = all.length ? all[all.length - 1].msgid + 1 : 1;
    const page = await get(`${base}/messages?from=${from}`);
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

function phone(ctx, appid, openid) {
  const title = h('strong');
  const sub = h('small');
  const typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  const chat = h('div', { class: 'chat', role: 'log', 'aria-label': "Follower's phone" });
  const win = h('div', { class: 'window' });
  const base = `/_kefu/apps/${enc(appid)}/fans/${enc(openid)}`;

  const kind = h('select', { 'aria-label': 'Message type' }, ['text', 'image', 'voice', 'video'].map((t) => h('option', { value: t }, t)));
  const text = h('textarea', { id: 'follower-message', rows: 2, placeholder: '你好', 'aria-label': 'Follower message' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send as follower');
  const composer = form({ class: 'line', 'aria-label': 'Write as the follower' }, [kind, text], send, async () => {
    const body = { msgtype: kind.value };
    if (kind.value === 'text') body.content = text.value;
    await control('POST', `${base}/messages`, body);
    text.value = '';
  });
  const key = h('input', { 'aria-label': 'Event key', placeholder: 'MENU_HELP' });
  const event = (name) => () => control('POST', `${base}/events`, { event: name, event_key: key.value || undefined });
  const events = h('div', { class: 'events' },
    action('Follow', event('subscribe'), { class: 'small' }),
    action('Unfollow', event('unsubscribe'), { class: 'small' }),
    key,
    action('Click menu', event('CLICK'), { class: 'small' }),
    action('Scan', event('SCAN'), { class: 'small' }));
  const el = h('section', { class: 'phone', 'aria-label': 'Phone' },
    h('div', { class: 'bar' }, title, sub, typing), chat, win,
    h('div', { class: 'composer' }, composer, events));
  let typingTimer = null;

  return {
    el,
    leave: () => clearTimeout(typingTimer),
    async update(state, fan) {
      const now = ctx.now();
      title.textContent = state.app.wechat_id;
      sub.textContent = fan ? `${openid}${fan.subscribed ? '' : ' · unfollowed'}` : `${openid} · unknown follower`;
      clearTimeout(typingTimer);
      const typingLeft = fan && fan.typing_until ? fan.typing_until - now : 0;
      typing.textContent = typingLeft > 0 ? '对方正在输入… (typing)' : '';
      if (typingLeft > 0) typingTimer = setTimeout(() => ctx.refresh?.(), typingLeft * 1000 + 200);
      const w = fan?.message_window;
      win.textContent = w && w.until > now
        ? `48-hour window: ${w.left} send${w.left === 1 ? '' : 's'} left, closes ${when(w.until)} (${Math.round((w.until - now) / 3600)} h)`
        : '48-hour window closed: the app cannot write until the follower does';
      const messages = fan ? await allMessages(base) : [];
      const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
      fill(chat, messages.length ? messages.map(bubble) : empty('no messages yet — write as the follower below'));
      if (atBottom) chat.scrollTop = chat.scrollHeight;
    },
  };
}

export function conversationView(ctx, appid, openid) {
  const p = phone(ctx, appid, openid);
  const desk = followerDesk(ctx, appid, openid);
  const caused = causedPanel(ctx, appid, openid);
  const note = errorSlot();
  const el = h('div', { class: 'stack' }, note,
    h('div', { class: 'conversation' }, p.el, h('div', { class: 'stack' }, desk.el, caused.el)));
  return {
    el,
    async refresh() {
      const unknown = (e) => { if (e.status === 404) return null; throw e; };
      const [state, fan] = await Promise.all([
        get(`/_kefu/apps/${enc(appid)}`),
        get(`/_kefu/apps/${enc(appid)}/fans/${enc(openid)}`).catch(unknown),
      ]);
      ctx.crumbs(ctx.link(`apps/${enc(appid)}`, state.app.wechat_id), h('span', {}, openid));
      note.textContent = fan ? '' : `${openid} is not a follower of this app (yet).`;
      await p.update(state, fan);
      desk.update(state);
      await caused.update(state);
    },
    journal: () => caused.journal(),
    failed: (e) => { note.textContent = e.message; },
    leave: () => p.leave(),
  };
}
