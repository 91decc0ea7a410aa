//! Machine-readable descriptions of kefu's two HTTP APIs as OpenAPI 3.1
//! documents, so that clients can be generated and traffic checked
//! against a contract rather than against prose: the control API under
//! `/_kefu/` ([`control`], served at `/_kefu/openapi.json`) and the WeChat
//! side at WeChat's paths ([`wechat`], served at
//! `/_kefu/openapi/wechat.json`).
//!
//! Every schema is derived from the wire types of `kefu-api`
//! (`utoipa::ToSchema`), so a changed type changes the documents. The
//! operations come from one row per route in each module; the HTTP tests
//! hold those rows to the route tables (`control::ROUTES`,
//! `kefu_core::endpoint::ENDPOINTS`) both ways. This module holds what the
//! two share: the schema registry and the parameter and response pieces.

mod control;
mod wechat;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityScheme;
use utoipa::openapi::{
    Components, ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder,
};
use utoipa::ToSchema;

/// The control API's document (built once).
pub(crate) fn control_document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(control::document)
}

/// The WeChat side's document (built once).
pub(crate) fn wechat_document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(wechat::document)
}

/// The named schemas a document refers to: its `components.schemas`.
#[derive(Default)]
struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    /// A reference to `T`'s schema, registering it and every schema it
    /// refers to.
    fn named<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let mut found = vec![(T::name().into_owned(), T::schema())];
        T::schemas(&mut found);
        self.0.extend(found);
        Ref::from_schema_name(T::name()).into()
    }

    fn into_components(self) -> ComponentsBuilder {
        ComponentsBuilder::new().schemas_from_iter(self.0)
    }
}

/// A schema an operation names, made when the document is built.
type SchemaFn = fn(&mut Schemas) -> RefOr<Schema>;

/// `T`, by reference to its component.
fn json<T: ToSchema>(s: &mut Schemas) -> RefOr<Schema> {
    s.named::<T>()
}

/// An array of `T`.
fn list<T: ToSchema>(s: &mut Schemas) -> RefOr<Schema> {
    ArrayBuilder::new().items(s.named::<T>()).into()
}

fn of_type(t: Type) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(t).into()
}

/// A string, described.
fn text(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .into()
}

/// One query parameter of an operation.
#[derive(Debug, Clone, Copy)]
struct Query {
    name: &'static str,
    number: bool,
    required: bool,
    description: &'static str,
}

/// An optional string in the query.
const fn q_text(name: &'static str, description: &'static str) -> Query {
    Query {
        name,
        number: false,
        required: false,
        description,
    }
}

/// An optional integer in the query.
const fn q_number(name: &'static str, description: &'static str) -> Query {
    Query {
        number: true,
        ..q_text(name, description)
    }
}

impl Query {
    /// The same parameter, required.
    const fn required(self) -> Query {
        Query { required: true, ..self }
    }

    fn parameter(&self) -> Parameter {
        let t = if self.number { Type::Integer } else { Type::String };
        parameter(
            self.name,
            ParameterIn::Query,
            self.required,
            self.description,
            of_type(t),
        )
    }
}

fn parameter(name: &str, at: ParameterIn, required: bool, description: &str, schema: RefOr<Schema>) -> Parameter {
    let required = if required { Required::True } else { Required::False };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// A path's `{parameters}`, in order, described by name.
fn path_parameters(path: &str) -> Vec<Parameter> {
    let names = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'));
    names.map(path_parameter).collect()
}

fn path_parameter(name: &str) -> Parameter {
    let (number, description) = match name {
        "appid" => (false, "An app's appid."),
        "openid" => (false, "The follower's openid."),
        "kf_account" => (false, "The kf account, `prefix@wechat_id`."),
        "component_appid" => (false, "The third-party platform's appid."),
        "wx" => (false, "A WeChat ID."),
        "id" => (true, "The id."),
        _ => (false, "See the path."),
    };
    let schema = of_type(if number { Type::Integer } else { Type::String });
    parameter(name, ParameterIn::Path, true, description, schema)
}

/// A JSON response.
fn json_response(description: &str, schema: RefOr<Schema>) -> ResponseBuilder {
    let content = ContentBuilder::new().schema(Some(schema)).build();
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
}

/// The method's name as OpenAPI writes it.
fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
        HttpMethod::Options => "options",
        HttpMethod::Head => "head",
        HttpMethod::Patch => "patch",
        HttpMethod::Trace => "trace",
    }
}

/// A unique operation id from method and path:
/// `post_kefu_apps_appid_fans` for `POST /_kefu/apps/{appid}/fans`.
fn operation_id(m: &HttpMethod, path: &str) -> String {
    let words = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    std::iter::once(method_name(m))
        .chain(words)
        .collect::<Vec<_>>()
        .join("_")
}

/// A whole document.
fn document(
    title: &str,
    description: &str,
    paths: Paths,
    schemas: Schemas,
    security: Option<(&str, SecurityScheme)>,
) -> OpenApi {
    let info = InfoBuilder::new()
        .title(title)
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(description))
        .build();
    let mut components = schemas.into_components();
    if let Some((name, scheme)) = security {
        components = components.security_scheme(name, scheme);
    }
    let components: Components = components.build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_read_method_and_path() {
        assert_eq!(
            operation_id(&HttpMethod::Post, "/_kefu/apps/{appid}/fans"),
            "post_kefu_apps_appid_fans"
        );
        assert_eq!(
            operation_id(&HttpMethod::Get, "/cgi-bin/clear_quota/v2"),
            "get_cgi_bin_clear_quota_v2"
        );
    }

    #[test]
    fn path_parameters_are_read_in_order() {
        let found = path_parameters("/_kefu/apps/{appid}/kf/{kf_account}/close");
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["appid", "kf_account"]);
        assert!(path_parameters("/_kefu/apps").is_empty());
    }
}
