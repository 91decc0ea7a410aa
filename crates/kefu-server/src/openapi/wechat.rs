//! The WeChat side's OpenAPI document, so that an SDK or a test written
//! against kefu can check its calls against what kefu answers at WeChat's
//! paths. One row per endpoint names the `kefu-api` types its handler in
//! `wx/` reads and answers; the methods and whether an `access_token` is
//! needed come from `kefu_core::endpoint::ENDPOINTS`, the table the router
//! is built from.
//! The HTTP tests hold the rows to that table both ways.

use super::{json, operation_id, q_text, Query, SchemaFn, Schemas};
use kefu_api::conversation as cv;
use kefu_api::platform as p;
use kefu_api::wechat::{self as w, Status};
use kefu_core::endpoint::{self, Method};
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, HttpMethod, OpenApi, Paths, Required};

/// What a request carries besides its query.
enum Body {
    /// Nothing read.
    None,
    /// A JSON object.
    Json(SchemaFn),
    /// A JSON object, or nothing when the query names the target.
    OptionalJson(SchemaFn),
    /// A multipart form whose `media` part is an image.
    Avatar,
}

/// One endpoint.
struct Row {
    path: &'static str,
    summary: &'static str,
    query: Vec<Query>,
    body: Body,
    /// The success body; `None` for `{"errcode":0,"errmsg":"ok"}`.
    answer: Option<SchemaFn>,
}

fn row(path: &'static str, summary: &'static str) -> Row {
    Row {
        path,
        summary,
        query: Vec::new(),
        body: Body::None,
        answer: None,
    }
}

impl Row {
    fn body(mut self, body: SchemaFn) -> Row {
        self.body = Body::Json(body);
        self
    }
    fn answer(mut self, answer: SchemaFn) -> Row {
        self.answer = Some(answer);
        self
    }
    fn query(mut self, q: Query) -> Row {
        self.query.push(q);
        self
    }
}

/// Every endpoint, in the order of `ENDPOINTS`.
fn rows() -> Vec<Row> {
    let account = "The kf account, `prefix@wechat_id`.";
    vec![
        row("/cgi-bin/token", "An access token for the AppSecret")
            .query(q_text("grant_type", "`client_credential`.").required())
            .query(q_text("appid", "The app.").required())
            .query(q_text("secret", "The AppSecret.").required())
            .answer(json::<w::AccessTokenResponse>),
        row(
            "/cgi-bin/stable_token",
            "A stable access token (renewed on `force_refresh`)",
        )
        .body(json::<w::StableTokenRequest>)
        .answer(json::<w::AccessTokenResponse>),
        row(
            "/cgi-bin/clear_quota/v2",
            "Reset the app's call counts, with its AppSecret",
        )
        .body(json::<w::ClearQuotaRequest>),
        row(
            "/cgi-bin/component/api_component_token",
            "A third-party platform's token",
        )
        .body(json::<p::ComponentTokenRequest>)
        .answer(json::<p::ComponentTokenResponse>),
        row(
            "/cgi-bin/component/api_authorizer_token",
            "A token that acts for an authorizing app",
        )
        .query(q_text("component_access_token", "The platform's token."))
        .query(q_text("access_token", "The platform's token (the newer name)."))
        .body(json::<p::AuthorizerTokenRequest>)
        .answer(json::<p::AuthorizerTokenResponse>),
        row("/cgi-bin/clear_quota", "Reset the app's call counts").body(json::<w::ClearQuotaRequest>),
        row("/customservice/kfaccount/add", "Add a kf account").body(json::<w::KfAccountRequest>),
        row("/customservice/kfaccount/update", "Change a kf account's nickname").body(json::<w::KfAccountRequest>),
        Row {
            body: Body::OptionalJson(json::<w::KfAccountRef>),
            ..row("/customservice/kfaccount/del", "Delete a kf account").query(q_text(
                "kf_account",
                "The account; on POST it may come in the body instead.",
            ))
        },
        Row {
            body: Body::Avatar,
            ..row("/customservice/kfaccount/uploadheadimg", "Upload a kf account's avatar")
                .query(q_text("kf_account", account).required())
        },
        row(
            "/customservice/kfaccount/inviteworker",
            "Invite a WeChat user to work a kf account",
        )
        .body(json::<w::InviteWorkerRequest>),
        row("/cgi-bin/customservice/getkflist", "Every kf account").answer(json::<w::KfList>),
        row(
            "/cgi-bin/customservice/getonlinekflist",
            "The kf accounts whose worker is online",
        )
        .answer(json::<w::KfOnlineList>),
        row("/customservice/kfsession/create", "Open a session for a follower").body(json::<w::KfSessionRequest>),
        row("/customservice/kfsession/close", "Close a session").body(json::<w::KfSessionRequest>),
        row("/customservice/kfsession/getsession", "A follower's session")
            .query(q_text("openid", "The follower.").required())
            .answer(json::<cv::KfSessionInfo>),
        row("/customservice/kfsession/getsessionlist", "A kf account's sessions")
            .query(q_text("kf_account", account).required())
            .answer(json::<cv::SessionList>),
        row("/customservice/kfsession/getwaitcase", "The waiting queue").answer(json::<cv::WaitCaseList>),
        row("/customservice/msgrecord/getmsglist", "Chat records")
            .body(json::<cv::MsgListRequest>)
            .answer(json::<cv::MsgList>),
        row("/cgi-bin/message/custom/send", "Send a customer-service message").body(json::<cv::CustomMessage>),
        row("/cgi-bin/message/custom/typing", "Show or cancel typing").body(json::<cv::TypingRequest>),
        row(
            "/cgi-bin/message/custom/business/typing",
            "Show or cancel typing (Mini Programs and MiniGames)",
        )
        .body(json::<cv::TypingRequest>),
    ]
}

/// The methods the document gives a table method.
fn methods(m: Method) -> Vec<HttpMethod> {
    match m {
        Method::Post => vec![HttpMethod::Post],
        Method::Get | Method::Both => vec![HttpMethod::Get, HttpMethod::Post],
    }
}

fn method_note(m: Method, this: &HttpMethod) -> &'static str {
    match (m, this) {
        (Method::Post, _) => "POST only: any other method answers errcode 43002.",
        (Method::Get, HttpMethod::Post) => "POST is answered as GET is; no body is read.",
        (Method::Get, _) => "POST is answered as well.",
        (Method::Both, _) => "GET or POST, as documented.",
    }
}

fn request_body(body: &Body, schemas: &mut Schemas) -> Option<utoipa::openapi::request_body::RequestBody> {
    let (media_type, schema, required) = match body {
        Body::None => return None,
        Body::Json(s) => ("application/json", s(schemas), true),
        Body::OptionalJson(s) => ("application/json", s(schemas), false),
        Body::Avatar => {
            let file = ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .description(Some(format!("The image, at most {} bytes.", endpoint::AVATAR_LIMIT)));
            let form = ObjectBuilder::new().property("media", file).required("media");
            ("multipart/form-data", form.into(), true)
        }
    };
    let content = ContentBuilder::new().schema(Some(schema)).build();
    let required = if required { Required::True } else { Required::False };
    Some(
        RequestBodyBuilder::new()
            .content(media_type, content)
            .required(Some(required))
            .build(),
    )
}

/// The WeChat side's document.
pub(super) fn document() -> OpenApi {
    let mut schemas = Schemas::default();
    let mut paths = Paths::new();
    for r in rows() {
        // A row for a path the table lacks is still documented (as POST),
        // so that the tests see it and fail.
        let e = endpoint::find(r.path);
        let (method, needs_token) = e.map_or((Method::Post, true), |e| (e.method, e.needs_token));
        for m in methods(method) {
            let mut op = OperationBuilder::new()
                .summary(Some(r.summary))
                .description(Some(method_note(method, &m)))
                .operation_id(Some(operation_id(&m, r.path)));
            if needs_token {
                let token = q_text("access_token", "The app's access token.").required();
                op = op.parameter(token.parameter());
            }
            for q in &r.query {
                op = op.parameter(q.parameter());
            }
            if m == HttpMethod::Post {
                op = op.request_body(request_body(&r.body, &mut schemas));
            }
            let status = schemas.named::<Status>();
            let answer = match r.answer {
                Some(success) => OneOfBuilder::new().item(success(&mut schemas)).item(status).into(),
                None => status,
            };
            let response = super::json_response(
                "HTTP 200 whatever the outcome: the success body, or `Status` with a non-zero `errcode` (content \
                 type `application/json; encoding=utf-8`).",
                answer,
            );
            paths.add_path_operation(r.path, vec![m], op.response("200", response).build());
        }
    }
    super::document(
        "kefu: WeChat customer-service API",
        "The WeChat-side endpoints kefu answers at WeChat's paths: access tokens, third-party platform tokens, kf \
         accounts, sessions, chat records and customer-service messages. Every answer is HTTP 200; an error is \
         `{\"errcode\": N, \"errmsg\": \"... rid: ...\"}` (`Status`).",
        paths,
        schemas,
        None,
    )
}
