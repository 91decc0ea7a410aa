'use strict';
// The kf flow through node wechat-api 1.35.1, unmodified, against a running
// kefu: its documented base URL (`api.endpoint`) points at kefu; or, with a
// TLS address, its `setEndpoint()` (which forces https://) points at kefu's
// HTTPS listener, trusted through NODE_EXTRA_CA_CERTS (hosts mode without a
// hosts file).
// Usage: node wechat_api_flow.js http://127.0.0.1:PORT OUT.json [127.0.0.1:TLSPORT]

const fs = require('fs');
const os = require('os');
const path = require('path');
const API = require('wechat-api');
const { PNG, control, expect, Rows } = require('./harness');

const [base, out, tls] = process.argv.slice(2);
const ROWS = [
  ['token', '`getAccessToken()` → `GET /cgi-bin/token`'],
  ['add account', '`addKfAccount()`'],
  ['avatar upload', '`setKfAccountAvatar()` (multipart)'],
  ['invitation', ''],
  ['list accounts', '`getCustomServiceList()`'],
  ['list online accounts', '`getOnlineCustomServiceList()`'],
  ['create session', '`createKfSession()`'],
  ['get session', '`getKfSession()`'],
  ['list sessions', '`getKfSessionList()`'],
  ['wait case', '`getKfSessionWaitCase()`'],
  ['send text', '`sendTextFromCs()` and `sendText()` → `/cgi-bin/message/custom/send`'],
  ['records', '`getRecords()` → `msgrecord/getmsglist`'],
  ['close session', '`closeKfSession()`'],
  ['typing', ''],
  ['update account', '`updateKfAccount()`'],
  ['delete account', '`deleteKfAccount()` (GET, raw `@`)'],
  ['callback receiver', ''],
];

async function main() {
  const rows = new Rows(ROWS);
  const ctl = (m, p, b) => control(base, m, p, b);
  const app = await ctl('POST', '/_kefu/apps', { wechat_id: 'sdk_wechat_api' });
  const appid = app.appid;
  const kf = `kf1@${app.wechat_id}`;
  const api = new API(appid, app.secret);
  if (tls) {
    api.setEndpoint(tls); // https://, kefu's certificate, its CA from NODE_EXTRA_CA_CERTS
  } else {
    api.endpoint = base; // setEndpoint() would force https://
  }
  // Every method takes a node callback.
  const call = (name, ...args) => new Promise((resolve, reject) => {
    api[name](...args, (err, data) => (err ? reject(err) : resolve(data)));
  });
  const st = {};

  await rows.run('token', async () => {
    const t = await call('getAccessToken');
    expect(t.accessToken.length > 32 && t.expireTime > Date.now(), t);
  });
  await rows.run('add account', async () => {
    expect((await call('addKfAccount', kf, '小王', 'secret')).errcode === 0, 'add');
  });
  await rows.run('avatar upload', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-sdk-')), 'avatar.png');
    fs.writeFileSync(file, PNG);
    expect((await call('setKfAccountAvatar', kf, file)).errcode === 0, 'upload');
  });
  // Not in wechat-api: the invitation over plain HTTP, then the human side.
  rows.results.invitation = 'not in SDK (no `inviteworker` in 1.35.1; the flow calls it over plain HTTP)';
  try {
    const r = await ctl('POST', `/customservice/kfaccount/inviteworker?access_token=${api.token.accessToken}`,
      { kf_account: kf, invite_wx: 'worker_node' });
    expect(r.errcode === 0, r);
    await ctl('POST', `/_kefu/apps/${appid}/kf/${kf}/invitation/accept`);
    await ctl('PUT', `/_kefu/apps/${appid}/kf/${kf}/status`, { online: true });
  } catch (e) {
    rows.results.invitation += `; the plain call failed (${e.message})`;
  }
  await rows.run('list accounts', async () => {
    const r = await call('getCustomServiceList');
    const mine = r.kf_list.filter((a) => a.kf_account === kf);
    expect(mine.length === 1 && mine[0].kf_wx === 'worker_node' && mine[0].kf_headimgurl, r);
  });
  await rows.run('list online accounts', async () => {
    const r = await call('getOnlineCustomServiceList');
    expect(r.kf_online_list.some((a) => a.kf_account === kf && a.status === 1), r);
  });
  st.fan = (await ctl('POST', `/_kefu/apps/${appid}/fans`)).openid;
  await rows.run('create session', async () => {
    expect((await call('createKfSession', kf, st.fan)).errcode === 0, 'create');
  });
  await rows.run('get session', async () => {
    const r = await call('getKfSession', st.fan);
    expect(r.kf_account === kf && r.createtime > 0, r);
  });
  await rows.run('list sessions', async () => {
    const r = await call('getKfSessionList', kf);
    expect(r.sessionlist.some((s) => s.openid === st.fan), r);
  });
  await rows.run('wait case', async () => {
    const waiting = (await ctl('POST', `/_kefu/apps/${appid}/fans`)).openid;
    await ctl('POST', `/_kefu/apps/${appid}/waitcase`, { openid: waiting });
    const r = await call('getKfSessionWaitCase');
    expect(r.count === 1 && r.waitcaselist[0].openid === waiting, r);
  });
  await rows.run('send text', async () => {
    await ctl('POST', `/_kefu/apps/${appid}/fans/${st.fan}/messages`, { msgtype: 'text', content: '你好' });
    expect((await call('sendTextFromCs', st.fan, kf, 'Hello from wechat-api')).errcode === 0, 'send as kf');
    expect((await call('sendText', st.fan, 'Plain hello')).errcode === 0, 'send');
    const got = JSON.stringify(await ctl('GET', `/_kefu/apps/${appid}/fans/${st.fan}/messages`));
    expect(got.includes('Hello from wechat-api') && got.includes('Plain hello'), got);
  });
  await rows.run('records', async () => {
    const now = (await ctl('GET', '/_kefu/clock')).now;
    const r = await call('getRecords', { starttime: now - 3600, endtime: now, number: 100 });
    const texts = r.recordlist.map((x) => `${x.opercode} ${x.worker} ${x.text}`);
    expect(texts.includes(`2003 ${kf} 你好`) && texts.includes(`2002 ${kf} Hello from wechat-api`), r);
  });
  await rows.run('close session', async () => {
    expect((await call('closeKfSession', kf, st.fan)).errcode === 0, 'close');
  });
  rows.results.typing = 'not in SDK (no `custom/typing` in 1.35.1)';
  await rows.run('update account', async () => {
    expect((await call('updateKfAccount', kf, '小李', 'secret')).errcode === 0, 'update');
  });
  await rows.run('delete account', async () => {
    expect((await call('deleteKfAccount', kf)).errcode === 0, 'delete');
    const r = await call('getCustomServiceList');
    expect(!r.kf_list.some((a) => a.kf_account === kf), r);
  });
  rows.results['callback receiver'] = 'not in SDK (receiving pushes is the separate `wechat` package)';

  rows.write(out, {
    sdk: 'wechat-api (node)',
    version: require('wechat-api/package.json').version,
    via: tls ? 'hosts mode' : 'base URL',
    connection: tls
      ? "kefu's HTTPS listener: `api.setEndpoint('127.0.0.1:TLSPORT')` (forces https://) with `NODE_EXTRA_CA_CERTS=<kefu's CA PEM>`; Node's https ignores HTTPS_PROXY before Node 24, so no proxy mode"
      : "base URL: `api.endpoint = 'http://127.0.0.1:PORT'` (peers §b.7); the token URL uses it too",
    kefu: tls ? '`kefu serve --tls-listen 127.0.0.1:TLSPORT` (strict)' : '`kefu serve` (strict)',
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
