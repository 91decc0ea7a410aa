//! The request generator of the fuzz test: operations read from an OpenAPI
//! document, and random requests for them, some well formed, most not.

use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use serde_json::{json, Map, Value};

/// What the world holds, so that some requests reach real rows.
#[derive(Debug, Clone)]
pub struct Known {
    pub appid: String,
    pub token: String,
    pub kf_account: String,
    pub openids: Vec<String>,
}

/// One operation of a document.
#[derive(Debug, Clone)]
pub struct Op {
    pub path: String,
    pub method: String,
    /// The WeChat side (answers 200 with an errcode), not the control API.
    pub wechat: bool,
    /// Query parameter names.
    query: Vec<String>,
    /// The body's properties and their declared types, when it has one.
    body: Option<Vec<(String, String)>>,
}

/// A request to send.
#[derive(Debug)]
pub struct Req {
    pub method: String,
    pub uri: String,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// Operations whose answer never ends or that reshape the test itself.
const SKIPPED: &[&str] = &["/_kefu/events", "/_kefu/journal/stream", "/_kefu/faults"];

/// Every operation of `doc`.
pub fn operations(doc: &Value, wechat: bool) -> Vec<Op> {
    let mut ops = Vec::new();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths.iter().filter(|(p, _)| !SKIPPED.contains(&p.as_str())) {
        for (method, op) in item.as_object().expect("path item") {
            let query = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let body = (!schema.is_null()).then(|| properties(doc, schema));
            ops.push(Op {
                path: path.clone(),
                method: method.to_uppercase(),
                wechat,
                query,
                body,
            });
        }
    }
    ops
}

/// A schema's top-level properties and their types, references followed.
fn properties(doc: &Value, schema: &Value) -> Vec<(String, String)> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    };
    let Some(props) = schema["properties"].as_object() else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(k, v)| {
            let kind = match &v["type"] {
                Value::String(t) => t.clone(),
                Value::Array(ts) => ts.first().and_then(Value::as_str).unwrap_or("string").to_owned(),
                _ => "object".to_owned(),
            };
            (k.clone(), kind)
        })
        .collect()
}

/// Strings that have broken servers before.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "\u{1b}[2J",
    "../../etc/passwd",
    "%00",
    "%2e%2e%2f",
    "'; DROP TABLE apps; --",
    "\" OR 1=1 --",
    "]]><x>",
    "<![CDATA[",
    "{{}}",
    "\u{202e}evil",
    "🙂🙂🙂",
    "null",
    "true",
    "-1",
    "99999999999999999999999999",
    "@",
    "kf@",
    "@kefu",
    "wx",
    "o",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

/// A seeded source of requests.
pub struct Gen {
    rng: StdRng,
    known: Known,
}

impl Gen {
    pub fn new(rng: StdRng, known: Known) -> Gen {
        Gen { rng, known }
    }

    pub fn index(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// A request for `op`.
    pub fn request(&mut self, op: &Op) -> Req {
        let method = if self.chance(0.9) {
            op.method.clone()
        } else {
            METHODS[self.index(METHODS.len())].to_owned()
        };
        let mut uri = self.path(&op.path);
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        if op.wechat {
            let token = if self.chance(0.8) {
                self.known.token.clone()
            } else {
                self.string()
            };
            pairs.append_pair("access_token", &token);
        }
        for name in &op.query {
            if self.chance(0.6) {
                let value = self.value_text(name);
                pairs.append_pair(name, &value);
            }
        }
        if self.chance(0.1) {
            let (k, v) = (self.string(), self.string());
            pairs.append_pair(&k, &v);
        }
        let query = pairs.finish();
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(&query);
        }
        let body = self.body(op);
        let content_type = self.content_type(op);
        Req {
            method,
            uri,
            body,
            content_type,
        }
    }

    /// The path with its parameters filled, percent-encoded.
    fn path(&mut self, template: &str) -> String {
        template
            .split('/')
            .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let value = self.value_text(name);
                    let encoded = crate::support::path_segment(&value);
                    if encoded.is_empty() {
                        "x".to_owned()
                    } else {
                        encoded
                    }
                }
                None => seg.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A value for a named parameter: often a real one, else hostile.
    fn value_text(&mut self, name: &str) -> String {
        if self.chance(0.6) {
            let pick = self.index(self.known.openids.len());
            let openid = self.known.openids[pick].clone();
            match name {
                "appid" | "component_appid" => return self.known.appid.clone(),
                "kf_account" => return self.known.kf_account.clone(),
                "openid" | "touser" => return openid,
                _ => {}
            }
        }
        self.string()
    }

    fn string(&mut self) -> String {
        match self.index(4) {
            0 => HOSTILE[self.index(HOSTILE.len())].to_owned(),
            1 => {
                let n = self.index(3000);
                "x".repeat(n)
            }
            2 => {
                let n = self.index(40);
                (0..n).map(|_| char::from(self.rng.random_range(32u8..127))).collect()
            }
            _ => {
                let (k, o) = (self.known.kf_account.clone(), self.known.openids[0].clone());
                let (which, tail) = (self.index(3), self.index(HOSTILE.len()));
                [k, o, self.known.appid.clone()][which].clone() + HOSTILE[tail]
            }
        }
    }

    fn number(&mut self) -> Value {
        let choices = [
            json!(0),
            json!(-1),
            json!(1),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(0.5),
            json!(9007199254740993i64),
            json!(1_800_000_000),
        ];
        choices[self.index(choices.len())].clone()
    }

    /// Any JSON value, at most `depth` deep.
    fn any(&mut self, depth: u32) -> Value {
        match self.index(if depth == 0 { 4 } else { 6 }) {
            0 => Value::Null,
            1 => Value::Bool(self.chance(0.5)),
            2 => self.number(),
            3 => Value::String(self.string()),
            4 => {
                let n = self.index(4);
                Value::Array((0..n).map(|_| self.any(depth - 1)).collect())
            }
            _ => {
                let mut map = Map::new();
                let n = self.index(4);
                for _ in 0..n {
                    map.insert(self.string(), self.any(depth - 1));
                }
                Value::Object(map)
            }
        }
    }

    /// A value of the declared type (usually) for a field.
    fn field(&mut self, name: &str, kind: &str) -> Value {
        if self.chance(0.25) {
            return self.any(2);
        }
        match kind {
            "string" => Value::String(self.value_text(name)),
            "integer" | "number" => self.number(),
            "boolean" => Value::Bool(self.chance(0.5)),
            "array" => {
                let n = self.index(3);
                Value::Array((0..n).map(|_| self.any(1)).collect())
            }
            _ => self.any(2),
        }
    }

    fn body(&mut self, op: &Op) -> Vec<u8> {
        let roll = self.index(20);
        match (&op.body, roll) {
            (_, 0) => {
                let n = self.index(2048);
                let mut junk = vec![0u8; n];
                self.rng.fill_bytes(&mut junk);
                junk
            }
            (_, 1) => b"{\"a\":".to_vec(),
            (_, 2) => self.any(3).to_string().into_bytes(),
            (_, 3) => {
                let deep = "[".repeat(5000);
                deep.into_bytes()
            }
            (Some(props), _) if roll < 16 => {
                let mut map = Map::new();
                for (name, kind) in props {
                    if self.chance(0.8) {
                        let value = self.field(name, kind);
                        map.insert(name.clone(), value);
                    }
                }
                Value::Object(map).to_string().into_bytes()
            }
            _ => Vec::new(),
        }
    }

    fn content_type(&mut self, op: &Op) -> Option<String> {
        let json = if op.wechat { 0.5 } else { 0.85 };
        if self.chance(json) {
            return Some("application/json".into());
        }
        let others = [
            "text/plain",
            "multipart/form-data; boundary=b",
            "application/x-www-form-urlencoded",
            "",
        ];
        let pick = others[self.index(others.len())];
        (!pick.is_empty()).then(|| pick.to_owned())
    }
}
