//! A developer's server for the push tests: a real HTTP server on an
//! ephemeral port that checks every signature, opens every envelope (and in
//! compatible mode compares it with the clear fields), and answers as the
//! test scripts. Whatever it finds wrong is kept in `problems`.

use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use kefu_api::callback::{self as wire, AesKey, Format, Parsed};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the receiver answers a push.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `success`.
    Success,
    /// This body, as is.
    Raw(String),
    /// This reply, encrypted and signed correctly.
    Sealed(String),
    /// This reply, encrypted, with a wrong `MsgSignature`.
    Forged(String),
    /// No answer for this long (then `success`).
    Stall(Duration),
}

/// One push as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The query string.
    pub query: String,
    /// The raw body.
    pub body: String,
    /// The push's fields (opened, when encrypted).
    pub fields: Vec<(String, String)>,
}

impl Arrival {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn param(&self, key: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

struct Inner {
    token: String,
    key: Option<AesKey>,
    appid: String,
    format: Format,
    arrivals: Mutex<Vec<Arrival>>,
    problems: Mutex<Vec<String>>,
    script: Mutex<VecDeque<Answer>>,
    fallback: Mutex<Answer>,
}

/// The receiver; dropped with the test's runtime.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

impl Receiver {
    /// Listens on 127.0.0.1 with the developer's Token, EncodingAESKey and
    /// appid (the appid every envelope must end with).
    pub async fn start(token: &str, key: Option<&str>, appid: &str, format: Format) -> Receiver {
        let inner = Arc::new(Inner {
            token: token.into(),
            key: key.map(|k| AesKey::parse(k).unwrap()),
            appid: appid.into(),
            format,
            arrivals: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            fallback: Mutex::new(Answer::Success),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wx/callback", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/wx/callback", axum::routing::any(handle))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, inner }
    }

    /// The next answers, in order; after them, the fallback.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.script.lock().unwrap().extend(answers);
    }

    /// The answer once the script is used up.
    pub fn fallback(&self, a: Answer) {
        *self.inner.fallback.lock().unwrap() = a;
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        self.inner.arrivals.lock().unwrap().clone()
    }

    pub fn problems(&self) -> Vec<String> {
        self.inner.problems.lock().unwrap().clone()
    }

    /// Waits (up to `secs`) until `n` pushes arrived; all of them.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Arrival> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.arrivals();
            if got.len() >= n || tokio::time::Instant::now() > deadline {
                assert!(got.len() >= n, "{} of {n} pushes arrived: {got:#?}", got.len());
                assert_eq!(self.problems(), Vec::<String>::new());
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for `n` pushes, then for `drained` (the sender's signal that
    /// nothing more is on its way: its outbox is empty), and asserts no more
    /// came.
    pub async fn exactly(&self, n: usize, secs: u64, drained: impl std::future::Future<Output = ()>) -> Vec<Arrival> {
        self.wait_for(n, secs).await;
        drained.await;
        let got = self.arrivals();
        assert_eq!(got.len(), n, "more pushes than expected: {got:#?}");
        got
    }
}

fn param(query: &str, key: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn handle(State(r): State<Arc<Inner>>, method: Method, RawQuery(q): RawQuery, body: String) -> Response {
    let query = q.unwrap_or_default();
    let signed = wire::signature(&r.token, &param(&query, "timestamp"), &param(&query, "nonce"));
    if method == Method::GET {
        if signed != param(&query, "signature") {
            return "wrong signature".into_response();
        }
        return param(&query, "echostr").into_response();
    }
    let mut problems = Vec::new();
    if signed != param(&query, "signature") {
        problems.push(format!("signature does not match: {query}"));
    }
    let fields = match open(&r, &query, &body) {
        Ok(parsed) => parsed.pairs().to_vec(),
        Err(why) => {
            problems.push(why);
            Vec::new()
        }
    };
    r.problems.lock().unwrap().extend(problems);
    r.arrivals.lock().unwrap().push(Arrival {
        query: query.clone(),
        body,
        fields,
    });
    let next = r.script.lock().unwrap().pop_front();
    let answer = next.unwrap_or_else(|| r.fallback.lock().unwrap().clone());
    respond(&r, &query, answer).await
}

/// The push's fields: checked and opened when encrypted.
fn open(r: &Inner, query: &str, body: &str) -> Result<Parsed, String> {
    let parsed = wire::parse(r.format, body).map_err(|e| format!("unreadable push {body}: {e}"))?;
    let Some(env) = wire::envelope(&parsed) else {
        if param(query, "encrypt_type") == "aes" {
            return Err("encrypt_type=aes without Encrypt".into());
        }
        return Ok(parsed);
    };
    if param(query, "encrypt_type") != "aes" {
        return Err("Encrypt without encrypt_type=aes".into());
    }
    let ts = param(query, "timestamp");
    let expected = wire::msg_signature(&r.token, &ts, &param(query, "nonce"), &env.encrypt);
    if expected != param(query, "msg_signature") {
        return Err(format!("msg_signature does not match: {query}"));
    }
    let key = r.key.as_ref().ok_or("no key")?;
    let msg = wire::open(key, &env.encrypt, &r.appid).map_err(|e| e.to_string())?;
    let inner = wire::parse(r.format, std::str::from_utf8(&msg).unwrap()).map_err(|e| e.to_string())?;
    // Compatible mode: every clear field must equal the sealed one.
    for (k, v) in parsed.pairs().iter().filter(|(k, _)| k != "Encrypt") {
        if inner.get(k) != Some(v.as_str()) {
            return Err(format!("clear {k}={v} differs from the sealed push"));
        }
    }
    Ok(inner)
}

async fn respond(r: &Inner, query: &str, answer: Answer) -> Response {
    match answer {
        Answer::Success => "success".into_response(),
        Answer::Raw(body) => body.into_response(),
        Answer::Sealed(msg) => seal(r, query, &msg, true).into_response(),
        Answer::Forged(msg) => seal(r, query, &msg, false).into_response(),
        Answer::Stall(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "success").into_response()
        }
    }
}

fn seal(r: &Inner, query: &str, msg: &str, honest: bool) -> String {
    let key = r.key.as_ref().expect("sealed answers need a key");
    let encrypt = wire::encrypt(key, *b"0123456789abcdef", msg.as_bytes(), &r.appid);
    let (ts, nonce) = (1_800_000_123_i64, param(query, "nonce"));
    let sig = if honest {
        wire::msg_signature(&r.token, &ts.to_string(), &nonce, &encrypt)
    } else {
        "0".repeat(40)
    };
    wire::render_encrypted_reply(r.format, &encrypt, &sig, ts, &nonce)
}
