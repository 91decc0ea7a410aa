//! Fault rules: make WeChat fail on purpose. A rule matches requests by
//! path (exact, or a prefix ending in `*`), app and method, and answers one
//! of them with a WeChat error, a delay, an HTTP status or a dropped
//! connection, `times` times, with a `probability`, `after` some requests
//! went through. A rule on `push` acts on kefu's own tries to the
//! developer's server instead. Rules live in memory, one set per process.

use kefu_api::traffic::{FaultRule, FaultState};
use kefu_core::ErrCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

/// The path that names kefu's own pushes.
pub(crate) const PUSH: &str = "push";
/// The longest delay a rule may add.
const MAX_DELAY_MS: u64 = 300_000;

/// What a rule does to the request (or push) it applies to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Answer this WeChat error.
    Error(ErrCode),
    /// Wait, then answer for real.
    Delay(Duration),
    /// Answer this HTTP status and body.
    Status(u16, String),
    /// Close the connection without an answer.
    Drop,
}

/// A rule that applied: its id and action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Applied {
    pub id: u64,
    pub action: Action,
}

struct Rule {
    id: u64,
    given: FaultRule,
    action: Action,
    matched: u64,
    applied: u64,
    remaining: Option<u32>,
    rng: StdRng,
}

/// The rules of one process, in the order they were added.
#[derive(Default)]
pub(crate) struct Faults {
    rules: Mutex<(u64, Vec<Rule>)>,
}

/// Why a rule was refused: the field and the reason.
pub(crate) type Invalid = String;

/// Reads a rule from its JSON body; an unknown field or a value of the
/// wrong type is refused with the field's name.
pub(crate) fn parse_rule(body: &serde_json::Value) -> Result<FaultRule, Invalid> {
    let fields = body.as_object().ok_or("a fault rule is a JSON object")?;
    let mut r = FaultRule::default();
    for (key, v) in fields.iter().filter(|(_, v)| !v.is_null()) {
        let want = |what: &str| format!("{key}: must be {what}");
        let text = || v.as_str().map(str::to_owned).ok_or_else(|| want("a string"));
        let whole = || v.as_u64().ok_or_else(|| want("a whole number of at least 0"));
        let small = || whole().and_then(|n| u32::try_from(n).map_err(|_| want("at most 4294967295")));
        match key.as_str() {
            "path" => r.path = text()?,
            "appid" => r.appid = Some(text()?),
            "method" => r.method = Some(text()?),
            "errcode" => r.errcode = Some(v.as_i64().ok_or_else(|| want("a number"))?),
            "delay_ms" => r.delay_ms = Some(whole()?),
            "status" => r.status = Some(u16::try_from(whole()?).map_err(|_| want("an HTTP status"))?),
            "body" => r.body = Some(text()?),
            "drop" => r.drop = v.as_bool().ok_or_else(|| want("true or false"))?,
            "times" => r.times = Some(small()?),
            "probability" => r.probability = Some(v.as_f64().ok_or_else(|| want("a number"))?),
            "seed" => r.seed = Some(whole()?),
            "after" => r.after = Some(small()?),
            _ => return Err(format!("{key}: unknown field")),
        }
    }
    if r.path.is_empty() {
        return Err("path: required".into());
    }
    Ok(r)
}

/// Checks a rule and says what it does.
fn action_of(r: &FaultRule) -> Result<Action, Invalid> {
    let push = r.path == PUSH;
    let actions = [r.errcode.is_some(), r.delay_ms.is_some(), r.status.is_some(), r.drop];
    if actions.iter().filter(|a| **a).count() != 1 {
        return Err("give exactly one of errcode, delay_ms, status and drop".into());
    }
    if r.body.is_some() && r.status.is_none() {
        return Err("body: only a status answer has a body".into());
    }
    if let Some(code) = r.errcode {
        if push {
            return Err("errcode: a push fault fails with status, drop or delay_ms".into());
        }
        let known = ErrCode::from_code(code).filter(|c| *c != ErrCode::Ok);
        return known
            .map(Action::Error)
            .ok_or(format!("errcode: kefu has no errmsg for {code}"));
    }
    if let Some(ms) = r.delay_ms {
        return match ms {
            1..=MAX_DELAY_MS => Ok(Action::Delay(Duration::from_millis(ms))),
            _ => Err(format!("delay_ms: from 1 to {MAX_DELAY_MS}")),
        };
    }
    if let Some(status) = r.status {
        return match status {
            100..=599 => Ok(Action::Status(status, r.body.clone().unwrap_or_default())),
            _ => Err("status: an HTTP status from 100 to 599".into()),
        };
    }
    Ok(Action::Drop)
}

/// Checks the rest of a rule.
fn check(r: &FaultRule) -> Result<(), Invalid> {
    let stars = r.path.matches('*').count();
    if !r.path.starts_with('/') && r.path != PUSH {
        return Err("path: an API path starting with / (a prefix may end in *), or push".into());
    }
    if stars > 1 || (stars == 1 && !r.path.ends_with('*')) {
        return Err("path: * may only end a prefix".into());
    }
    if let Some(m) = &r.method {
        if r.path == PUSH || !["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"].contains(&m.as_str()) {
            return Err("method: GET, POST, PUT, DELETE, PATCH or HEAD, and not for push".into());
        }
    }
    if r.times == Some(0) {
        return Err("times: at least 1".into());
    }
    if let Some(p) = r.probability {
        if !(0.0..=1.0).contains(&p) || p.is_nan() {
            return Err("probability: from 0 to 1".into());
        }
    }
    Ok(())
}

fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

impl Rule {
    fn matches(&self, path: &str, method: &str, appid: Option<&str>) -> bool {
        let g = &self.given;
        path_matches(&g.path, path)
            && g.method.as_deref().is_none_or(|m| m == method)
            && g.appid.as_deref().is_none_or(|a| Some(a) == appid)
    }

    /// Counts a matching request and says whether the rule applies to it.
    fn fires(&mut self) -> bool {
        self.matched += 1;
        if self.matched <= u64::from(self.given.after.unwrap_or(0)) {
            return false;
        }
        if let Some(p) = self.given.probability {
            if !self.rng.random_bool(p) {
                return false;
            }
        }
        self.applied += 1;
        if let Some(left) = &mut self.remaining {
            *left -= 1;
        }
        true
    }

    fn state(&self) -> FaultState {
        FaultState {
            id: self.id,
            rule: self.given.clone(),
            matched: self.matched,
            applied: self.applied,
            remaining: self.remaining,
        }
    }
}

impl Faults {
    /// Adds a rule; refuses one that is not well formed, naming the field.
    pub(crate) fn add(&self, given: FaultRule) -> Result<FaultState, Invalid> {
        check(&given)?;
        let action = action_of(&given)?;
        let rng = match given.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.0 += 1;
        let rule = Rule {
            id: rules.0,
            remaining: given.times,
            given,
            action,
            matched: 0,
            applied: 0,
            rng,
        };
        let state = rule.state();
        rules.1.push(rule);
        Ok(state)
    }

    /// Every rule in force.
    pub(crate) fn list(&self) -> Vec<FaultState> {
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.1.iter().map(Rule::state).collect()
    }

    /// Removes one rule; whether it existed.
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let before = rules.1.len();
        rules.1.retain(|r| r.id != id);
        rules.1.len() < before
    }

    /// Removes every rule.
    pub(crate) fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).1.clear();
    }

    /// Whether a rule for this path depends on the app (so the caller must
    /// find out which app the request is for before asking [`decide`]).
    pub(crate) fn wants_appid(&self, path: &str) -> bool {
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules
            .1
            .iter()
            .any(|r| r.given.appid.is_some() && path_matches(&r.given.path, path))
    }

    /// Whether any rule exists (the hot path asks nothing more when none does).
    pub(crate) fn any(&self) -> bool {
        !self.rules.lock().unwrap_or_else(|e| e.into_inner()).1.is_empty()
    }

    /// The first rule that matches and fires; an expired rule is removed.
    pub(crate) fn decide(&self, path: &str, method: &str, appid: Option<&str>) -> Option<Applied> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let i = rules
            .1
            .iter_mut()
            .position(|r| r.matches(path, method, appid) && r.fires())?;
        let rule = &rules.1[i];
        let applied = Applied {
            id: rule.id,
            action: rule.action.clone(),
        };
        if rule.remaining == Some(0) {
            rules.1.remove(i);
        }
        Some(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str) -> FaultRule {
        FaultRule {
            path: path.into(),
            errcode: Some(-1),
            ..FaultRule::default()
        }
    }

    #[test]
    fn bad_rules_name_their_field() {
        let f = Faults::default();
        let cases = [
            (
                FaultRule {
                    probability: Some(2.0),
                    ..rule("/a")
                },
                "probability",
            ),
            (
                FaultRule {
                    times: Some(0),
                    ..rule("/a")
                },
                "times",
            ),
            (
                FaultRule {
                    errcode: Some(12345),
                    ..rule("/a")
                },
                "errcode",
            ),
            (
                FaultRule {
                    drop: true,
                    ..rule("/a")
                },
                "exactly one",
            ),
            (rule("a*b"), "path"),
            (
                FaultRule {
                    errcode: None,
                    status: Some(700),
                    ..rule("/a")
                },
                "status",
            ),
            (rule(PUSH), "errcode"),
        ];
        for (r, field) in cases {
            let why = f.add(r.clone()).unwrap_err();
            assert!(why.contains(field), "{r:?}: {why}");
        }
        assert!(f.list().is_empty());
    }

    #[test]
    fn rule_bodies_name_the_field_they_get_wrong() {
        let cases = [
            (
                serde_json::json!({"path": "/a", "errcode": -1, "colour": 1}),
                "colour: unknown field",
            ),
            (
                serde_json::json!({"path": "/a", "probability": "half"}),
                "probability: must be a number",
            ),
            (
                serde_json::json!({"path": "/a", "times": -1}),
                "times: must be a whole number",
            ),
            (serde_json::json!({"errcode": -1}), "path: required"),
            (serde_json::json!([1]), "JSON object"),
        ];
        for (body, why) in cases {
            let got = parse_rule(&body).unwrap_err();
            assert!(got.contains(why), "{body}: {got}");
        }
        let ok = parse_rule(&serde_json::json!({"path": "/a", "errcode": 45009, "times": 1, "appid": null})).unwrap();
        assert_eq!((ok.errcode, ok.times, ok.appid), (Some(45009), Some(1), None));
    }

    #[test]
    fn times_after_and_prefixes_are_honoured() {
        let f = Faults::default();
        f.add(FaultRule {
            times: Some(2),
            after: Some(1),
            ..rule("/cgi-bin/*")
        })
        .unwrap();
        let fired: Vec<bool> = (0..5)
            .map(|_| f.decide("/cgi-bin/token", "GET", None).is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(f.list().is_empty(), "expired after two");
        assert_eq!(f.decide("/customservice/x", "GET", None), None);
    }

    #[test]
    fn a_seeded_probability_repeats_and_keeps_its_share() {
        let draws = |seed| {
            let f = Faults::default();
            f.add(FaultRule {
                probability: Some(0.3),
                seed: Some(seed),
                ..rule("/a")
            })
            .unwrap();
            (0..1000)
                .map(|_| f.decide("/a", "POST", None).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        let share = draws(7).iter().filter(|d| **d).count();
        assert!((220..380).contains(&share), "{share}");
    }

    #[test]
    fn app_and_method_narrow_a_rule() {
        let f = Faults::default();
        f.add(FaultRule {
            appid: Some("wx1".into()),
            method: Some("POST".into()),
            ..rule("/a")
        })
        .unwrap();
        assert!(f.wants_appid("/a"));
        assert_eq!(f.decide("/a", "POST", Some("wx2")), None);
        assert_eq!(f.decide("/a", "GET", Some("wx1")), None);
        let hit = f.decide("/a", "POST", Some("wx1")).unwrap();
        assert_eq!(hit.action, Action::Error(ErrCode::SystemError));
    }
}
