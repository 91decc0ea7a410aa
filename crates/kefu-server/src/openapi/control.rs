//! The control API's OpenAPI document, so that tools and test harnesses in
//! any language can drive kefu's `/_kefu/` routes from a contract. One row
//! per route and method of `control::ROUTES` names the `kefu-api` types
//! its handler reads and answers, and the statuses of the
//! `ControlError`s it can answer; the HTTP tests hold the rows to the
//! route table both ways.

use super::{json, list, operation_id, path_parameters, q_number, q_text, text, Query, SchemaFn, Schemas};
use crate::control::routes::OPEN;
use kefu_api::{control as c, control_push as cp, platform as p, snapshot as sn, traffic as t};
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::HttpMethod::{self, Delete, Get, Patch, Post, Put};
use utoipa::openapi::{ContentBuilder, OpenApi, Paths, RefOr, ResponseBuilder};

/// The name of the admin-token scheme.
const ADMIN: &str = "admin_token";

/// What a successful call answers.
enum Answer {
    /// JSON of a type, with this status.
    Json(u16, SchemaFn),
    /// 204, no body.
    Empty,
    /// A body that is not JSON: media type, description.
    Raw(&'static str, &'static str),
}

/// One operation: a route and one of its methods.
struct Row {
    method: HttpMethod,
    path: &'static str,
    summary: &'static str,
    query: Vec<Query>,
    body: Option<SchemaFn>,
    answer: Answer,
    /// Another answer that is not an error (`health`'s 503).
    also: Option<(u16, &'static str, SchemaFn)>,
    /// Statuses of `ControlError`s besides 401 (added for guarded routes).
    errors: &'static [u16],
}

fn row(method: HttpMethod, path: &'static str, summary: &'static str) -> Row {
    Row {
        method,
        path,
        summary,
        query: Vec::new(),
        body: None,
        answer: Answer::Empty,
        also: None,
        errors: &[],
    }
}

impl Row {
    fn body(mut self, body: SchemaFn) -> Row {
        self.body = Some(body);
        self
    }
    fn ok(mut self, answer: SchemaFn) -> Row {
        self.answer = Answer::Json(200, answer);
        self
    }
    fn created(mut self, answer: SchemaFn) -> Row {
        self.answer = Answer::Json(201, answer);
        self
    }
    fn raw(mut self, media_type: &'static str, description: &'static str) -> Row {
        self.answer = Answer::Raw(media_type, description);
        self
    }
    fn query(mut self, q: Query) -> Row {
        self.query.push(q);
        self
    }
    fn errors(mut self, errors: &'static [u16]) -> Row {
        self.errors = errors;
        self
    }
}

/// Every control operation, in the order of `ROUTES`.
fn rows() -> Vec<Row> {
    let apps = "/_kefu/apps";
    let app = "/_kefu/apps/{appid}";
    let fan_messages = "/_kefu/apps/{appid}/fans/{openid}/messages";
    let (app_cb, app_log) = ("/_kefu/apps/{appid}/callback", "/_kefu/apps/{appid}/deliveries");
    let (cmp_cb, cmp_log) = (
        "/_kefu/components/{component_appid}/callback",
        "/_kefu/components/{component_appid}/deliveries",
    );
    let (journal, faults, compat) = ("/_kefu/journal", "/_kefu/faults", "/_kefu/compat");
    let filters = [
        q_text("appid", "Only requests of this app."),
        q_text("path", "Only requests to this path."),
        q_number("errcode", "Only answers with this errcode."),
        q_number("since_id", "Only entries with a larger id."),
    ];
    let before = q_number("before", "Only entries older than this id.");
    let limit = q_number("limit", "At most this many entries.");
    let mut journal_list = row(Get, journal, "List journal entries, newest first");
    let mut stream = row(
        Get,
        "/_kefu/journal/stream",
        "Follow the journal live (Server-Sent Events)",
    );
    for f in filters {
        journal_list = journal_list.query(f);
        stream = stream.query(f);
    }
    vec![
        row(Get, apps, "List the apps").ok(list::<c::AppInfo>).errors(&[500]),
        row(Post, apps, "Create an app")
            .body(json::<c::CreateApp>)
            .created(json::<c::AppInfo>)
            .errors(&[400, 409, 500]),
        row(Get, app, "An app's state (each list cut at `limit`)")
            .query(q_number(
                "limit",
                "At most this many entries per list, 1-10000 (default 1000).",
            ))
            .ok(json::<c::AppState>)
            .errors(&[400, 404, 500]),
        row(Patch, app, "Change an app's settings")
            .body(json::<c::PatchApp>)
            .ok(json::<c::AppInfo>)
            .errors(&[400, 404, 500]),
        row(
            Get,
            "/_kefu/apps/{appid}/fans",
            "A page of the app's followers, in openid order",
        )
        .query(q_text(
            "after",
            "Only followers whose openid sorts after this one (the last page's `next`).",
        ))
        .query(q_number(
            "limit",
            "At most this many followers, 1-10000 (default 1000).",
        ))
        .ok(json::<c::FanPage>)
        .errors(&[400, 404, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/fans",
            "A user follows the app (or becomes a visitor)",
        )
        .body(json::<c::Follow>)
        .ok(json::<c::Followed>)
        .errors(&[400, 404, 409, 500]),
        row(Post, "/_kefu/apps/{appid}/fans/{openid}/events", "A follower's event")
            .body(json::<c::FollowerEvent>)
            .ok(json::<c::FanState>)
            .errors(&[400, 404, 409, 500]),
        row(Get, fan_messages, "A follower's messages, both ways")
            .query(q_number("from", "The first message id wanted (default 1)."))
            .ok(list::<c::MessageState>)
            .errors(&[404, 500]),
        row(Post, fan_messages, "The follower writes to the app")
            .body(json::<c::FollowerMessage>)
            .ok(json::<c::Sent>)
            .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/waitcase",
            "Put a follower in the waiting queue",
        )
        .body(json::<c::Enqueue>)
        .ok(json::<c::WaitState>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/accept",
            "The worker accepts a waiting follower",
        )
        .body(json::<c::Accept>)
        .ok(json::<c::SessionState>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/messages",
            "The worker replies",
        )
        .body(json::<c::WorkerMessage>)
        .ok(json::<c::Sent>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/transfer",
            "The worker hands a session over",
        )
        .body(json::<c::Transfer>)
        .ok(json::<c::SessionState>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/close",
            "The worker closes a session",
        )
        .body(json::<c::CloseSession>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/invitation/accept",
            "The invited user accepts",
        )
        .ok(json::<c::KfState>)
        .errors(&[404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/invitation/reject",
            "The invited user rejects",
        )
        .ok(json::<c::KfState>)
        .errors(&[404, 409, 500]),
        row(
            Put,
            "/_kefu/apps/{appid}/kf/{kf_account}/status",
            "The worker goes online or offline",
        )
        .body(json::<c::WorkerStatus>)
        .ok(json::<c::KfState>)
        .errors(&[400, 404, 409, 500]),
        row(Get, app_cb, "The app's push settings and outbox")
            .ok(json::<cp::CallbackState>)
            .errors(&[404, 500]),
        row(Put, app_cb, "Set the app's push settings (after the URL handshake)")
            .body(json::<cp::CallbackSettings>)
            .ok(json::<cp::CallbackState>)
            .errors(&[400, 404, 422, 500]),
        row(Delete, app_cb, "Remove the app's push settings").errors(&[404, 500]),
        row(Get, app_log, "The app's delivery log, newest first")
            .query(before)
            .query(limit)
            .ok(list::<cp::DeliveryState>)
            .errors(&[404, 500]),
        row(Put, "/_kefu/wechat-users/{wx}", "Say whether a WeChat ID exists")
            .body(json::<c::WechatUser>)
            .ok(json::<c::WechatUser>)
            .errors(&[400, 500]),
        row(Post, "/_kefu/components", "Create a third-party platform")
            .body(json::<p::CreateComponent>)
            .created(json::<p::ComponentInfo>)
            .errors(&[400, 409, 500]),
        row(
            Get,
            "/_kefu/components/{component_appid}",
            "A platform and its authorizations",
        )
        .ok(json::<p::ComponentState>)
        .errors(&[404, 500]),
        row(
            Post,
            "/_kefu/components/{component_appid}/ticket",
            "Push a fresh verify ticket now",
        )
        .ok(json::<p::TicketInfo>)
        .errors(&[404, 500]),
        row(Get, cmp_cb, "The platform's push settings and outbox")
            .ok(json::<cp::CallbackState>)
            .errors(&[404, 500]),
        row(Put, cmp_cb, "Set the platform's push settings (always mode safe)")
            .body(json::<cp::CallbackSettings>)
            .ok(json::<cp::CallbackState>)
            .errors(&[400, 404, 422, 500]),
        row(Delete, cmp_cb, "Remove the platform's push settings").errors(&[404, 500]),
        row(Get, cmp_log, "The platform's delivery log, newest first")
            .query(before)
            .query(limit)
            .ok(list::<cp::DeliveryState>)
            .errors(&[404, 500]),
        row(
            Post,
            "/_kefu/components/{component_appid}/authorizations",
            "An app authorizes the platform",
        )
        .body(json::<p::Authorize>)
        .ok(json::<p::Authorized>)
        .errors(&[400, 404, 500]),
        row(
            Delete,
            "/_kefu/components/{component_appid}/authorizations/{appid}",
            "The app revokes",
        )
        .errors(&[404, 500]),
        row(Get, "/_kefu/clock", "The virtual clock").ok(json::<c::Clock>),
        row(Post, "/_kefu/clock/advance", "Move the virtual clock forward")
            .body(json::<c::Advance>)
            .ok(json::<c::Clock>)
            .errors(&[400, 500]),
        row(
            Post,
            "/_kefu/reset",
            "Forget every app, platform and message; the demo app comes back with its credentials",
        )
        .ok(json::<c::ResetDone>)
        .errors(&[500]),
        row(Get, "/_kefu/export", "The whole state as one document")
            .ok(state_document)
            .errors(&[500]),
        row(
            Post,
            "/_kefu/import",
            "Replace the whole state with a document's, all or nothing",
        )
        .body(state_document)
        .ok(json::<sn::Imported>)
        .errors(&[400, 500]),
        row(Get, "/_kefu/snapshots", "List the snapshots, by name")
            .ok(list::<sn::SnapshotInfo>)
            .errors(&[500]),
        row(Post, "/_kefu/snapshots", "Save the whole state under a name")
            .body(json::<sn::SaveSnapshot>)
            .created(json::<sn::SnapshotInfo>)
            .errors(&[400, 500]),
        row(Delete, "/_kefu/snapshots/{name}", "Delete a snapshot").errors(&[404, 500]),
        row(
            Post,
            "/_kefu/snapshots/{name}/restore",
            "Replace the whole state with a snapshot's, all or nothing",
        )
        .ok(json::<sn::Imported>)
        .errors(&[404, 500]),
        journal_list
            .query(q_number("limit", "At most this many entries, 1-1000 (default 100)."))
            .ok(list::<t::JournalEntry>)
            .errors(&[400]),
        row(Delete, journal, "Empty the journal"),
        stream
            .raw(
                "text/event-stream",
                "One `entry` event per request, its data a JournalEntry.",
            )
            .errors(&[400]),
        row(Get, "/_kefu/journal/{id}", "One journal entry")
            .ok(json::<t::JournalEntry>)
            .errors(&[404]),
        row(Get, faults, "List fault rules").ok(list::<t::FaultState>),
        row(Post, faults, "Add a fault rule")
            .body(json::<t::FaultRule>)
            .created(json::<t::FaultState>)
            .errors(&[400]),
        row(Delete, faults, "Remove every fault rule"),
        row(Delete, "/_kefu/faults/{id}", "Remove a fault rule").errors(&[404]),
        row(Get, compat, "The compatibility report")
            .query(q_text("appid", "Only requests of this app."))
            .ok(list::<t::CompatSummary>)
            .errors(&[400]),
        row(Delete, compat, "Empty the compatibility report"),
        row(Get, "/_kefu/openapi.json", "This document").ok(openapi_document),
        row(Get, "/_kefu/openapi/wechat.json", "The WeChat side's OpenAPI document").ok(openapi_document),
        Row {
            also: Some((503, "Degraded: the store does not answer.", json::<c::Health>)),
            ..row(Get, "/_kefu/health", "Liveness and the store's health").ok(json::<c::Health>)
        },
        row(
            Get,
            "/_kefu/ca.pem",
            "kefu's CA certificate (PEM), for proxy and hosts mode",
        )
        .raw("application/x-pem-file", "The CA certificate, PEM.")
        .errors(&[404]),
        row(
            Get,
            "/_kefu/media/headimg/{appid}/{kf_account}",
            "A kf account's uploaded avatar",
        )
        .raw("image/*", "The image as uploaded.")
        .errors(&[404, 500]),
        row(Get, "/metrics", "Prometheus metrics").raw("text/plain", "The Prometheus text format."),
    ]
}

/// An OpenAPI document (kefu's own are 3.1).
fn openapi_document(_: &mut Schemas) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("An OpenAPI 3.1 document."))
        .into()
}

/// An export document: `format`, `version` and `tables`.
fn state_document(_: &mut Schemas) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "`{\"format\": \"kefu-export\", \"version\": 1, \"tables\": {table: [row]}}`: every row an object of column to value (blobs in base64), rows in primary-key order.",
        ))
        .into()
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "Malformed: the body, a query parameter or a field's value.",
        401 => "The admin token is missing or wrong.",
        404 => "The app, account, follower or entry named does not exist.",
        409 => "The state does not allow it (the error names why).",
        422 => "Refused: the URL failed the verification handshake.",
        _ => "The store failed.",
    }
}

/// The control API's document.
pub(super) fn document() -> OpenApi {
    let mut schemas = Schemas::default();
    let mut paths = Paths::new();
    for r in rows() {
        let guarded = !OPEN.contains(&r.path);
        let mut op = OperationBuilder::new()
            .summary(Some(r.summary))
            .operation_id(Some(operation_id(&r.method, r.path)));
        for p in path_parameters(r.path) {
            op = op.parameter(p);
        }
        for q in &r.query {
            op = op.parameter(q.parameter());
        }
        if let Some(body) = r.body {
            let content = ContentBuilder::new().schema(Some(body(&mut schemas))).build();
            let body = RequestBodyBuilder::new()
                .description(Some("JSON; an empty body reads as `{}`."))
                .content("application/json", content)
                .build();
            op = op.request_body(Some(body));
        }
        op = match r.answer {
            Answer::Json(status, schema) => {
                op.response(status.to_string(), super::json_response("Done.", schema(&mut schemas)))
            }
            Answer::Empty => op.response("204", ResponseBuilder::new().description("Done.")),
            Answer::Raw(media_type, description) => {
                let content = ContentBuilder::new().schema(Some(text(description))).build();
                let response = ResponseBuilder::new()
                    .description(description)
                    .content(media_type, content);
                op.response("200", response)
            }
        };
        if let Some((status, description, schema)) = r.also {
            op = op.response(
                status.to_string(),
                super::json_response(description, schema(&mut schemas)),
            );
        }
        let unauthorized: &[u16] = if guarded { &[401] } else { &[] };
        for &status in unauthorized.iter().chain(r.errors) {
            let error = super::json_response(error_description(status), schemas.named::<c::ControlError>());
            op = op.response(status.to_string(), error);
        }
        if guarded {
            op = op.security(SecurityRequirement::new(ADMIN, Vec::<String>::new()));
        }
        paths.add_path_operation(r.path, vec![r.method], op.build());
    }
    let admin = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some(
            "The admin token, when kefu is started with one (`--admin-token`).",
        ))
        .build();
    super::document(
        "kefu control API",
        "kefu's own API under `/_kefu/`: the human side of WeChat customer service (followers, workers, \
         invitations), push settings and delivery logs, third-party platforms, the virtual clock, and the \
         traffic tools (request journal, fault rules, compatibility report). Errors answer an HTTP status \
         and a `ControlError` body.",
        paths,
        schemas,
        Some((ADMIN, SecurityScheme::Http(admin))),
    )
}
