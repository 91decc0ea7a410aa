//! One row of the control API's OpenAPI document (a route and a method,
//! what it reads and answers), and the schemas of answers that are no
//! `kefu-api` type. A leaf: the rows and the document both use it.

use crate::openapi::{Query, SchemaFn, Schemas};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::HttpMethod;
use utoipa::openapi::RefOr;

/// What a successful call answers.
pub(super) enum Answer {
    /// JSON of a type, with this status.
    Json(u16, SchemaFn),
    /// 204, no body.
    Empty,
    /// A body that is not JSON: media type, description.
    Raw(&'static str, &'static str),
}

/// One operation: a route and one of its methods.
pub(super) struct Row {
    pub(super) method: HttpMethod,
    pub(super) path: &'static str,
    pub(super) summary: &'static str,
    pub(super) query: Vec<Query>,
    pub(super) body: Option<SchemaFn>,
    pub(super) answer: Answer,
    /// Another answer that is not an error (`health`'s 503).
    pub(super) also: Option<(u16, &'static str, SchemaFn)>,
    /// Statuses of `ControlError`s besides 401 (added for guarded routes).
    pub(super) errors: &'static [u16],
}

pub(super) fn row(method: HttpMethod, path: &'static str, summary: &'static str) -> Row {
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
    pub(super) fn body(mut self, body: SchemaFn) -> Row {
        self.body = Some(body);
        self
    }
    pub(super) fn ok(mut self, answer: SchemaFn) -> Row {
        self.answer = Answer::Json(200, answer);
        self
    }
    pub(super) fn created(mut self, answer: SchemaFn) -> Row {
        self.answer = Answer::Json(201, answer);
        self
    }
    pub(super) fn raw(mut self, media_type: &'static str, description: &'static str) -> Row {
        self.answer = Answer::Raw(media_type, description);
        self
    }
    pub(super) fn query(mut self, q: Query) -> Row {
        self.query.push(q);
        self
    }
    pub(super) fn errors(mut self, errors: &'static [u16]) -> Row {
        self.errors = errors;
        self
    }
}

/// An OpenAPI document (kefu's own are 3.1).
pub(super) fn openapi_document(_: &mut Schemas) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("An OpenAPI 3.1 document."))
        .into()
}

/// An export document: `format`, `version` and `tables`.
pub(super) fn state_document(_: &mut Schemas) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "`{\"format\": \"kefu-export\", \"version\": 1, \"tables\": {table: [row]}}`: every row an object of column to value (blobs in base64), rows in primary-key order.",
        ))
        .into()
}
