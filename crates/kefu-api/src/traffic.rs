//! The control API's view of the WeChat-side traffic: the request journal
//! (`/_kefu/journal`), fault rules (`/_kefu/faults`) and the compatibility
//! report (`/_kefu/compat`).

use serde::{Deserialize, Serialize};

/// One request to the WeChat-side API, as the journal keeps it. Tokens in
/// the query and the bodies show only their first 8 characters; secrets
/// none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalEntry {
    /// Ascending, never reused while the process runs.
    pub id: u64,
    /// When the request arrived (real time, unix milliseconds).
    pub time_ms: i64,
    /// The virtual clock when it arrived (unix seconds).
    pub virtual_time: i64,
    /// The client's address and port.
    pub client: String,
    /// The HTTP method.
    pub method: String,
    /// The path as sent.
    pub path: String,
    /// The query string, masked.
    pub query: String,
    /// The request body (at most 64 KiB, masked; multipart parts summarised).
    pub request_body: String,
    /// The HTTP status answered (0 when the connection was dropped by a fault).
    pub status: u16,
    /// The response body (at most 64 KiB, masked).
    pub response_body: String,
    /// The answer's `errcode` (0 for a success without one); none when the
    /// answer was not WeChat JSON.
    pub errcode: Option<i64>,
    /// From arrival to the answer, in microseconds.
    pub latency_us: u64,
    /// The app the credential resolved to.
    pub appid: Option<String>,
    /// The `rid` of an error answer.
    pub rid: Option<String>,
    /// The fault rule that answered or delayed the request.
    pub fault: Option<u64>,
    /// What real WeChat would have done differently.
    pub compat: Vec<CompatNote>,
}

/// One compatibility note on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompatNote {
    /// The rule's name (`path_variant`, `kf_account_percent_encoded`, ...).
    pub rule: String,
    /// Whether kefu refused the request because of it (strict mode).
    pub refused: bool,
    /// What real WeChat does instead.
    pub explanation: String,
}

/// `POST /_kefu/faults` body: which requests a rule matches, what it does,
/// and how often.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// An exact path, a prefix ending in `*`, or `push` for kefu's own
    /// tries to the developer's server.
    pub path: String,
    /// Only requests (or pushes) of this app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Only requests with this HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Answer this WeChat error (its documented errmsg and a fresh rid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
    /// Wait this long, then answer for real.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Answer this HTTP status, with `body` (empty by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The body of a `status` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Close the connection without an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
    /// Apply this many times, then expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Apply to this share of the matching requests (0 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed of the `probability` draws, for repeatable runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Let this many matching requests through first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u32>,
}

/// [`FaultRule`]'s schema as part of [`FaultState`]: its fields, without
/// the `additionalProperties: false` that a rule given alone carries
/// (which would forbid the state's own fields next to them).
#[cfg(feature = "openapi")]
fn rule_fields() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;
    let mut rule = <FaultRule as utoipa::PartialSchema>::schema();
    if let RefOr::T(Schema::Object(fields)) = &mut rule {
        fields.additional_properties = None;
    }
    rule
}

/// A stored fault rule and what it has done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaultState {
    /// The rule's id.
    pub id: u64,
    /// The rule as given.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(schema_with = rule_fields))]
    pub rule: FaultRule,
    /// Matching requests seen so far.
    pub matched: u64,
    /// Requests (or pushes) the rule answered, delayed or dropped.
    pub applied: u64,
    /// Applications left before it expires (with `times`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
}

/// One line of the compatibility report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompatSummary {
    /// The rule's name.
    pub rule: String,
    /// The app, when the requests resolved to one.
    pub appid: Option<String>,
    /// How many requests got the note.
    pub count: u64,
    /// How many of them kefu refused (strict mode).
    pub refused: u64,
    /// The first and the last time (real time, unix milliseconds).
    pub first_ms: i64,
    /// See `first_ms`.
    pub last_ms: i64,
    /// One journal entry with the note.
    pub example: u64,
    /// What real WeChat does instead.
    pub explanation: String,
}
