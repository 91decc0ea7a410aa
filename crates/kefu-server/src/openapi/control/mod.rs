//! The control API's OpenAPI document, so that tools and test harnesses in
//! any language can drive kefu's `/_kefu/` routes from a contract. One row
//! per route and method of `control::ROUTES` names the `kefu-api` types
//! its handler reads and answers, and the statuses of the
//! `ControlError`s it can answer; the HTTP tests hold the rows to the
//! route table both ways.

mod row;
mod rows;

use super::{operation_id, path_parameters, text, Schemas};
use crate::control::routes::OPEN;
use kefu_api::control as c;
use row::Answer;
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Paths, ResponseBuilder};

/// The name of the admin-token scheme.
const ADMIN: &str = "admin_token";

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
    for r in rows::rows() {
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
