//! The app the conversation property test drives: one step through the API,
//! and every invariant read back through the WeChat side and the control API.

use super::action::{Action, Seen};
use super::{FANS, KF_PREFIXES};
use crate::support::{Reply, TestApp};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A token lives 7200 s; the test fetches a new one this long after the last.
const TOKEN_REFRESH_AFTER: i64 = 7000;

/// `Err(what())` unless `ok`.
pub(super) fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// A WeChat answer: `Ok(true)` for errcode 0, `Ok(false)` for an expected
/// refusal, `Err` for anything else (not HTTP 200, not JSON, errcode -1).
fn wx_outcome(what: &str, r: &Reply) -> Result<bool, String> {
    let body: Value = serde_json::from_str(&r.body).map_err(|e| format!("{what}: {e}: {}", r.body))?;
    let code = body["errcode"].as_i64().unwrap_or(0);
    ensure(r.status == 200 && code != -1, || {
        format!("{what}: {} {}", r.status, r.body)
    })?;
    Ok(code == 0)
}

/// A WeChat read that must succeed.
fn wx_read(what: &str, r: &Reply) -> Result<Value, String> {
    ensure(wx_outcome(what, r)?, || format!("{what} refused: {}", r.body))?;
    serde_json::from_str(&r.body).map_err(|e| e.to_string())
}

/// One app with three bound accounts (two online) and six followers.
pub(super) struct World {
    app: TestApp,
    kfs: Vec<String>,
    fans: Vec<String>,
    token_age: i64,
}

impl World {
    pub(super) async fn new() -> World {
        let app = TestApp::new().await;
        let mut kfs = Vec::new();
        for (i, prefix) in KF_PREFIXES.iter().enumerate() {
            let account = app.bound_kf(prefix, &format!("worker_{prefix}")).await;
            app.set_online(&account, i < 2).await;
            kfs.push(account);
        }
        let mut fans = Vec::new();
        for _ in 0..FANS {
            fans.push(app.follow().await);
        }
        World {
            app,
            kfs,
            fans,
            token_age: 0,
        }
    }

    /// Which account and follower each short name stands for.
    pub(super) fn legend(&self) -> String {
        let kfs = self.kfs.iter().enumerate().map(|(i, k)| format!("k{i}={k}"));
        let fans = self.fans.iter().enumerate().map(|(i, f)| format!("f{i}={f}"));
        kfs.chain(fans).collect::<Vec<_>>().join(", ")
    }

    /// A control call: `Ok(true)` on 2xx, `Ok(false)` on a 4xx with an error code.
    async fn control(&self, method: &str, path: &str, body: Value) -> Result<bool, String> {
        let r = self
            .app
            .send(method, path, body.to_string(), Some("application/json"))
            .await;
        let what = || format!("{method} {path} {body}: {} {}", r.status, r.body);
        if (200..300).contains(&r.status) {
            return Ok(true);
        }
        let coded = serde_json::from_str::<Value>(&r.body).is_ok_and(|v| v["error"].is_string());
        ensure((400..500).contains(&r.status) && coded, what)?;
        Ok(false)
    }

    async fn wx(&self, path: &str, body: Value) -> Result<bool, String> {
        let r = self.app.wx(path, body.clone()).await;
        wx_outcome(&format!("{path} {body}"), &r)
    }

    fn fan_path(&self, f: usize, tail: &str) -> String {
        format!("/_kefu/apps/{}/fans/{}{tail}", self.app.appid, self.fans[f])
    }

    /// Runs one action; whether it succeeded.
    pub(super) async fn apply(&mut self, action: Action) -> Result<bool, String> {
        let (fan, kf) = (|f: usize| self.fans[f].clone(), |k: usize| self.kfs[k].clone());
        let worker = |k: usize, what: &str| self.app.worker_path(&self.kfs[k], what);
        match action {
            Action::Follow(f) => {
                let path = format!("/_kefu/apps/{}/fans", self.app.appid);
                self.control("POST", &path, json!({ "openid": fan(f) })).await
            }
            Action::Event(f, e) => {
                self.control("POST", &self.fan_path(f, "/events"), json!({ "event": e }))
                    .await
            }
            Action::Write(f, t) => {
                let body = json!({"msgtype": t, "content": (t == "text").then_some("hello")});
                self.control("POST", &self.fan_path(f, "/messages"), body).await
            }
            Action::Enqueue(f, k) => {
                let path = format!("/_kefu/apps/{}/waitcase", self.app.appid);
                let body = json!({"openid": fan(f), "kf_account": k.map(kf)});
                self.control("POST", &path, body).await
            }
            Action::Accept(k, f) => {
                let body = json!({ "openid": f.map(fan) });
                self.control("POST", &worker(k, "accept"), body).await
            }
            Action::Reply(k, f) => {
                let body = json!({"openid": fan(f), "text": "on it"});
                self.control("POST", &worker(k, "messages"), body).await
            }
            Action::Transfer(k, f, to) => {
                let body = json!({"openid": fan(f), "to": kf(to)});
                self.control("POST", &worker(k, "transfer"), body).await
            }
            Action::WorkerClose(k, f) => {
                let body = json!({ "openid": fan(f) });
                self.control("POST", &worker(k, "close"), body).await
            }
            Action::Create(k, f) => {
                let body = json!({"kf_account": kf(k), "openid": fan(f)});
                self.wx("/customservice/kfsession/create", body).await
            }
            Action::ApiClose(k, f) => {
                let body = json!({"kf_account": kf(k), "openid": fan(f)});
                self.wx("/customservice/kfsession/close", body).await
            }
            Action::Send(f) => {
                let body = json!({"touser": fan(f), "msgtype": "text", "text": {"content": "news"}});
                self.wx("/cgi-bin/message/custom/send", body).await
            }
            Action::Online(k, on) => {
                let body = json!({ "online": on });
                self.control("PUT", &worker(k, "status"), body).await
            }
            Action::Advance(secs) => self.advance(secs).await,
        }
    }

    /// Moves the clock, and fetches a new token before the old one expires.
    async fn advance(&mut self, secs: i64) -> Result<bool, String> {
        let moved = self
            .control("POST", "/_kefu/clock/advance", json!({ "seconds": secs }))
            .await?;
        ensure(moved, || "the clock did not move".into())?;
        self.token_age += secs;
        if self.token_age >= TOKEN_REFRESH_AFTER {
            let (appid, secret) = (&self.app.appid, &self.app.secret);
            let uri = format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}");
            let token = wx_read("cgi-bin/token", &self.app.get(&uri).await)?;
            let token = token["access_token"].as_str().ok_or("no access_token")?;
            self.app.token = token.to_owned();
            self.token_age = 0;
        }
        Ok(true)
    }

    /// Reads everything back and checks the invariants; what it saw.
    pub(super) async fn check(&self) -> Result<Seen, String> {
        let r = self.app.get(&format!("/_kefu/apps/{}", self.app.appid)).await;
        ensure(r.status == 200, || format!("app state: {} {}", r.status, r.body))?;
        let state: Value = serde_json::from_str(&r.body).map_err(|e| format!("app state: {e}: {}", r.body))?;
        let by_state = state_sessions(&state)?;
        let by_fan = self.sessions_by_follower().await?;
        ensure(by_state == by_fan, || {
            format!("control sessions {by_state:?} differ from getsession {by_fan:?}")
        })?;
        let (listed, held) = self.sessions_by_account().await?;
        ensure(listed == by_fan, || {
            format!("getsessionlist {listed:?} differs from getsession {by_fan:?}")
        })?;
        let waiting = self.waiting(&state).await?;
        if let Some(both) = waiting.iter().find(|o| by_fan.contains_key(*o)) {
            return Err(format!("{both} waits and is in a session"));
        }
        self.check_cases(&state, &held).await?;
        Ok(self.seen(&by_fan, &waiting))
    }

    /// `getsession` for every follower: openid -> (account, createtime).
    async fn sessions_by_follower(&self) -> Result<BTreeMap<String, (String, i64)>, String> {
        let mut found = BTreeMap::new();
        for openid in &self.fans {
            let path = format!("/customservice/kfsession/getsession?openid={openid}");
            let v = wx_read(&path, &self.app.wx_get(&path).await)?;
            let (kf, at) = (v["kf_account"].as_str().unwrap_or_default(), v["createtime"].as_i64());
            match (kf, at) {
                ("", Some(0)) => {}
                (kf, Some(at)) if !kf.is_empty() && at > 0 => {
                    found.insert(openid.clone(), (kf.to_owned(), at));
                }
                _ => return Err(format!("getsession {openid}: {v}")),
            }
        }
        Ok(found)
    }

    /// `getsessionlist` of every account: the sessions, and how many each holds.
    async fn sessions_by_account(&self) -> Result<(BTreeMap<String, (String, i64)>, BTreeMap<String, i64>), String> {
        let (mut found, mut held) = (BTreeMap::new(), BTreeMap::new());
        for kf in &self.kfs {
            let path = format!("/customservice/kfsession/getsessionlist?kf_account={kf}");
            let v = wx_read(&path, &self.app.wx_get(&path).await)?;
            let list = v["sessionlist"].as_array().ok_or_else(|| format!("{path}: {v}"))?;
            for item in list {
                let openid = item["openid"].as_str().unwrap_or_default().to_owned();
                let at = item["createtime"].as_i64().unwrap_or_default();
                if let Some((other, _)) = found.insert(openid.clone(), (kf.clone(), at)) {
                    return Err(format!("{openid} is listed by {other} and {kf}"));
                }
            }
            held.insert(kf.clone(), list.len() as i64);
        }
        Ok((found, held))
    }

    /// `getwaitcase`, checked against the control state's queue; the openids.
    async fn waiting(&self, state: &Value) -> Result<Vec<String>, String> {
        let path = "/customservice/kfsession/getwaitcase";
        let v = wx_read(path, &self.app.wx_get(path).await)?;
        let listed: Vec<String> = v["waitcaselist"]
            .as_array()
            .ok_or_else(|| format!("getwaitcase: {v}"))?
            .iter()
            .map(|w| w["openid"].as_str().unwrap_or_default().to_owned())
            .collect();
        let queue: Vec<String> = state["waiting"]
            .as_array()
            .ok_or("no waiting in the app state")?
            .iter()
            .map(|w| w["openid"].as_str().unwrap_or_default().to_owned())
            .collect();
        let unique: BTreeSet<&String> = listed.iter().collect();
        ensure(unique.len() == listed.len(), || format!("a follower waits twice: {v}"))?;
        ensure(v["count"].as_i64() == Some(queue.len() as i64), || {
            format!("getwaitcase count {} but the queue is {queue:?}", v["count"])
        })?;
        ensure(listed == queue, || {
            format!("getwaitcase {listed:?} but the queue is {queue:?}")
        })?;
        Ok(listed)
    }

    /// `accepted_case` in the control state and in `getonlinekflist` equals
    /// the length of each account's `getsessionlist`.
    async fn check_cases(&self, state: &Value, held: &BTreeMap<String, i64>) -> Result<(), String> {
        let mut online = BTreeSet::new();
        for k in state["kf_accounts"]
            .as_array()
            .ok_or("no kf_accounts in the app state")?
        {
            let account = k["kf_account"].as_str().unwrap_or_default();
            let (cases, n) = (k["accepted_case"].as_i64(), held.get(account).copied());
            ensure(cases == n, || {
                format!("{account}: accepted_case {cases:?}, sessions {n:?}")
            })?;
            if k["online"] == json!(true) {
                online.insert(account.to_owned());
            }
        }
        let path = "/cgi-bin/customservice/getonlinekflist";
        let v = wx_read(path, &self.app.wx_get(path).await)?;
        let mut listed = BTreeSet::new();
        for k in v["kf_online_list"].as_array().ok_or_else(|| format!("{path}: {v}"))? {
            let account = k["kf_account"].as_str().unwrap_or_default();
            let (cases, n) = (k["accepted_case"].as_i64(), held.get(account).copied());
            ensure(cases == n, || {
                format!("online {account}: accepted_case {cases:?}, sessions {n:?}")
            })?;
            listed.insert(account.to_owned());
        }
        ensure(listed == online, || {
            format!("getonlinekflist {listed:?}, online {online:?}")
        })
    }

    fn seen(&self, sessions: &BTreeMap<String, (String, i64)>, waiting: &[String]) -> Seen {
        let fan = |o: &String| self.fans.iter().position(|f| f == o);
        let kf = |k: &String| self.kfs.iter().position(|a| a == k);
        Seen {
            sessions: sessions
                .iter()
                .filter_map(|(o, (k, _))| Some((fan(o)?, kf(k)?)))
                .collect(),
            waiting: waiting.iter().filter_map(fan).collect(),
        }
    }
}

/// The control state's sessions: openid -> (account, createtime), each follower once.
fn state_sessions(state: &Value) -> Result<BTreeMap<String, (String, i64)>, String> {
    let mut found = BTreeMap::new();
    for s in state["sessions"].as_array().ok_or("no sessions in the app state")? {
        let openid = s["openid"].as_str().unwrap_or_default().to_owned();
        let kf = s["kf_account"].as_str().unwrap_or_default().to_owned();
        let at = s["createtime"].as_i64().unwrap_or_default();
        if found.insert(openid.clone(), (kf, at)).is_some() {
            return Err(format!("{openid} has two sessions in the app state"));
        }
    }
    Ok(found)
}
