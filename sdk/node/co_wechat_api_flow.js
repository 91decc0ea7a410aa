'use strict';
// The kf flow through co-wechat-api 3.11.0, unmodified, against running kefus.
// Usage: node co_wechat_api_flow.js STRICT_URL LENIENT_URL OUT.json
//
// Its kf methods build their URLs from a local constant
// 'https://api.weixin.qq.com/' (instance prefixes do not move them), and its
// HTTP client (httpx) reads no proxy settings, so the one seam is the
// instance's `request(url, opts, retry)`: wrapped here to rewrite the host
// (peers §b.8). Every call, the token fetch and its retries pass through it.
// `getRecords` calls the retired `msgrecord/getrecord`, which kefu answers
// only with --lenient: that row runs against the lenient kefu.

const fs = require('fs');
const os = require('os');
const path = require('path');
const API = require('co-wechat-api');
const { PNG, control, expect, Rows } = require('./harness');

const [strictBase, lenientBase, out] = process.argv.slice(2);
const WECHAT = 'https://api.weixin.qq.com';
const ROWS = [
  ['token', '`getAccessToken()` → `GET /cgi-bin/token`'],
  ['add account', '`addKfAccount()`'],
  ['avatar upload', '`setKfAccountAvatar()` (multipart)'],
  ['invitation', '`inviteworker()`'],
  ['list accounts', '`getCustomServiceList()`'],
  ['list online accounts', '`getOnlineCustomServiceList()`'],
  ['create session', '`createKfSession()`'],
  ['get session', ''],
  ['list sessions', ''],
  ['wait case', ''],
  ['send text', '`sendText()` → `/cgi-bin/message/custom/send`'],
  ['records', '`getRecords()` → the retired `msgrecord/getrecord` (kefu `--lenient`)'],
  ['close session', ''],
  ['typing', ''],
  ['update account', '`updateKfAccount()`'],
  ['delete account', '`deleteKfAccount()` (GET, raw `@`)'],
  ['callback receiver', ''],
];
const NOT_IN_SDK = {
  'get session': 'not in SDK (no `kfsession/getsession` in 3.11.0)',
  'list sessions': 'not in SDK (no `kfsession/getsessionlist` in 3.11.0)',
  'wait case': 'not in SDK (no `kfsession/getwaitcase` in 3.11.0)',
  'close session': 'not in SDK (no `kfsession/close` in 3.11.0)',
  typing: 'not in SDK (no `custom/typing` in 3.11.0)',
  'callback receiver': 'not in SDK (receiving pushes is the separate `co-wechat` package)',
};

/** A co-wechat-api instance whose requests reach `base`. */
function connect(base, appid, secret) {
  const api = new API(appid, secret);
  const request = api.request.bind(api);
  api.request = (url, opts, retry) => request(url.replace(WECHAT, base), opts, retry);
  return api;
}

/** A bound, online kf account and a follower in a session with it, on `base`. */
async function conversation(base, api, appid, kf, wx) {
  const ctl = (m, p, b) => control(base, m, p, b);
  await ctl('POST', `/_kefu/apps/${appid}/kf/${kf}/invitation/accept`);
  await ctl('PUT', `/_kefu/apps/${appid}/kf/${kf}/status`, { online: true });
  const fan = (await ctl('POST', `/_kefu/apps/${appid}/fans`)).openid;
  expect((await api.createKfSession(kf, fan)).errcode === 0, 'create');
  await ctl('POST', `/_kefu/apps/${appid}/fans/${fan}/messages`, { msgtype: 'text', content: '你好' });
  await ctl('POST', `/_kefu/apps/${appid}/kf/${kf}/messages`, { openid: fan, text: '有什么可以帮您？' });
  return fan;
}

async function main() {
  const rows = new Rows(ROWS);
  Object.assign(rows.results, NOT_IN_SDK);
  const ctl = (m, p, b) => control(strictBase, m, p, b);
  const app = await ctl('POST', '/_kefu/apps', { wechat_id: 'sdk_co_wechat_api' });
  const appid = app.appid;
  const kf = `kf1@${app.wechat_id}`;
  const api = connect(strictBase, appid, app.secret);
  const st = {};

  await rows.run('token', async () => {
    const t = await api.getAccessToken();
    expect(t.accessToken.length > 32 && t.expireTime > Date.now(), t);
  });
  await rows.run('add account', async () => {
    expect((await api.addKfAccount(kf, '小王')).errcode === 0, 'add');
  });
  await rows.run('avatar upload', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-sdk-')), 'avatar.png');
    fs.writeFileSync(file, PNG);
    expect((await api.setKfAccountAvatar(kf, file)).errcode === 0, 'upload');
  });
  await rows.run('invitation', async () => {
    expect((await api.inviteworker(kf, 'worker_co')).errcode === 0, 'invite');
    const r = await api.getCustomServiceList();
    const mine = r.kf_list.find((a) => a.kf_account === kf);
    expect(mine && mine.invite_wx === 'worker_co' && mine.invite_status === 'waiting', r);
  });
  await rows.run('list accounts', async () => {
    await ctl('POST', `/_kefu/apps/${appid}/kf/${kf}/invitation/accept`);
    const r = await api.getCustomServiceList();
    const mine = r.kf_list.filter((a) => a.kf_account === kf);
    expect(mine.length === 1 && mine[0].kf_wx === 'worker_co' && mine[0].kf_headimgurl, r);
  });
  await rows.run('list online accounts', async () => {
    await ctl('PUT', `/_kefu/apps/${appid}/kf/${kf}/status`, { online: true });
    const r = await api.getOnlineCustomServiceList();
    expect(r.kf_online_list.some((a) => a.kf_account === kf && a.status === 1), r);
  });
  st.fan = (await ctl('POST', `/_kefu/apps/${appid}/fans`)).openid;
  await rows.run('create session', async () => {
    expect((await api.createKfSession(kf, st.fan)).errcode === 0, 'create');
  });
  await rows.run('send text', async () => {
    await ctl('POST', `/_kefu/apps/${appid}/fans/${st.fan}/messages`, { msgtype: 'text', content: '你好' });
    expect((await api.sendText(st.fan, 'Hello from co-wechat-api')).errcode === 0, 'send');
    const got = JSON.stringify(await ctl('GET', `/_kefu/apps/${appid}/fans/${st.fan}/messages`));
    expect(got.includes('Hello from co-wechat-api'), got);
  });
  await rows.run('records', async () => {
    const lctl = (m, p, b) => control(lenientBase, m, p, b);
    const lapp = await lctl('POST', '/_kefu/apps', { wechat_id: 'sdk_co_wechat_api' });
    const lapi = connect(lenientBase, lapp.appid, lapp.secret);
    const lkf = `kf1@${lapp.wechat_id}`;
    expect((await lapi.addKfAccount(lkf, '小王')).errcode === 0, 'add');
    expect((await lapi.inviteworker(lkf, 'worker_co_lenient')).errcode === 0, 'invite');
    const fan = await conversation(lenientBase, lapi, lapp.appid, lkf);
    const now = (await lctl('GET', '/_kefu/clock')).now;
    const r = await lapi.getRecords({ starttime: now - 3600, endtime: now, pageindex: 1, pagesize: 10 });
    const want = [
      { worker: lkf, openid: fan, opercode: 2003, time: now, text: '你好' },
      { worker: lkf, openid: fan, opercode: 2002, time: now, text: '有什么可以帮您？' },
    ];
    const got = r.recordlist.map((x) => ({ ...x, opercode: Number(x.opercode), time: Number(x.time) }));
    expect(JSON.stringify(got) === JSON.stringify(want), r);
  });
  await rows.run('update account', async () => {
    expect((await api.updateKfAccount(kf, '小李')).errcode === 0, 'update');
  });
  await rows.run('delete account', async () => {
    expect((await api.deleteKfAccount(kf)).errcode === 0, 'delete');
    const r = await api.getCustomServiceList();
    expect(!r.kf_list.some((a) => a.kf_account === kf), r);
  });

  rows.write(out, {
    sdk: 'co-wechat-api (node)',
    version: require('co-wechat-api/package.json').version,
    via: 'request wrapper',
    connection: "wrapped `api.request`, rewriting `https://api.weixin.qq.com` to kefu's base URL (peers §b.8): "
      + 'its kf URLs are a hard-coded constant and its HTTP client reads no proxy settings',
    kefu: '`kefu serve` (strict); `records` on a second `kefu serve --lenient`',
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
