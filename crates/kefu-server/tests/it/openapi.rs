//! The OpenAPI documents of both APIs: each is OpenAPI 3.1 that an
//! independent model reads, every `$ref` resolves, the operations are
//! exactly the routes kefu answers (the control route table and the
//! endpoint table, both ways), and the schemas are the wire types'.

use crate::support::TestApp;
use kefu_core::endpoint::{Method, ENDPOINTS};
use oas3::spec::{FromRef, ObjectOrReference, ObjectSchema, Schema, SchemaType, SchemaTypeSet};
use oas3::Spec;
use serde_json::Value;
use std::collections::BTreeSet;

const CONTROL: &str = "/_kefu/openapi.json";
const WECHAT: &str = "/_kefu/openapi/wechat.json";

/// A served document: the typed model and the raw JSON.
async fn fetch(app: &TestApp, path: &str) -> (Spec, Value) {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    let spec = oas3::from_json(&r.body).unwrap_or_else(|e| panic!("{path} is not OpenAPI 3: {e}"));
    (spec, r.json())
}

/// Every `$ref` in a JSON tree.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The (path, method) pairs of a document, methods upper-case.
fn operations(spec: &Spec) -> BTreeSet<(String, String)> {
    spec.operations()
        .map(|(path, method, _)| (path, method.as_str().to_owned()))
        .collect()
}

/// A schema, references followed, as an object schema.
fn object(spec: &Spec, schema: &Schema) -> ObjectSchema {
    match schema.resolve(spec).unwrap() {
        Schema::Object(o) => match *o {
            ObjectOrReference::Object(o) => o,
            ObjectOrReference::Ref { ref_path, .. } => panic!("unresolved {ref_path}"),
        },
        Schema::Boolean(b) => panic!("a boolean schema: {b:?}"),
    }
}

/// A component schema.
fn component(spec: &Spec, name: &str) -> ObjectSchema {
    let schemas = &spec.components.as_ref().expect("components").schemas;
    object(spec, schemas.get(name).unwrap_or_else(|| panic!("no schema {name}")))
}

/// The type of one property of a component schema.
fn property_type(spec: &Spec, name: &str, property: &str) -> Option<SchemaTypeSet> {
    let schema = component(spec, name);
    let property = schema
        .properties
        .get(property)
        .unwrap_or_else(|| panic!("{name} has no property {property}"));
    object(spec, property).schema_type
}

#[tokio::test]
async fn both_documents_are_openapi_3_1_and_every_ref_resolves() {
    let app = TestApp::new().await;
    for path in [CONTROL, WECHAT] {
        let (spec, raw) = fetch(&app, path).await;
        let version = spec.validate_version().unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!((version.major, version.minor), (3, 1), "{path}");
        assert!(!spec.info.title.is_empty(), "{path}");
        let mut found = Vec::new();
        refs(&raw, &mut found);
        assert!(!found.is_empty(), "{path} refers to no schema");
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{path}: {r} is not a schema in components"));
            assert!(raw["components"]["schemas"].get(name).is_some(), "{path}: {r}");
            Schema::from_ref(&spec, r).unwrap_or_else(|e| panic!("{path}: {r}: {e}"));
        }
        // A path's `{parameters}` are exactly its declared path parameters.
        for (route, method, op) in spec.operations() {
            let templated: BTreeSet<String> = route
                .split('/')
                .filter_map(|s| Some(s.strip_prefix('{')?.strip_suffix('}')?.to_owned()))
                .collect();
            let declared: BTreeSet<String> = op
                .parameters
                .iter()
                .map(|p| p.resolve(&spec).unwrap())
                .filter(|p| p.location == oas3::spec::ParameterIn::Path)
                .map(|p| p.name)
                .collect();
            assert_eq!(templated, declared, "{method} {route}");
            assert!(op.summary.as_deref().is_some_and(|s| !s.is_empty()), "{method} {route}");
        }
    }
}

#[tokio::test]
async fn the_control_document_lists_exactly_the_control_routes() {
    let app = TestApp::new().await;
    let (spec, _) = fetch(&app, CONTROL).await;
    let documented = operations(&spec);
    let routes: BTreeSet<(String, String)> = kefu_server::control_routes()
        .iter()
        .flat_map(|(path, methods)| methods.iter().map(|m| (path.to_string(), m.to_string())))
        .collect();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routes the document lacks: {undocumented:?}");
    let unknown: Vec<_> = documented.difference(&routes).collect();
    assert!(unknown.is_empty(), "documented routes kefu does not have: {unknown:?}");
    for path in [CONTROL, WECHAT] {
        assert!(routes.contains(&(path.to_owned(), "GET".to_owned())), "{path}");
    }
}

#[tokio::test]
async fn the_wechat_document_lists_exactly_the_endpoints() {
    let app = TestApp::new().await;
    let (spec, _) = fetch(&app, WECHAT).await;
    let documented = operations(&spec);
    let endpoints: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .flat_map(|e| {
            let methods: &[&str] = match e.method {
                Method::Post => &["POST"],
                Method::Get | Method::Both => &["GET", "POST"],
            };
            methods.iter().map(|m| (e.path.to_owned(), m.to_string()))
        })
        .collect();
    let undocumented: Vec<_> = endpoints.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "endpoints the document lacks: {undocumented:?}"
    );
    let unknown: Vec<_> = documented.difference(&endpoints).collect();
    assert!(
        unknown.is_empty(),
        "documented endpoints kefu does not have: {unknown:?}"
    );
    // The token where the table asks for one, and nowhere else.
    for e in ENDPOINTS {
        for (path, method, op) in spec.operations().filter(|(p, _, _)| p == e.path) {
            let token = op
                .parameters
                .iter()
                .map(|p| p.resolve(&spec).unwrap())
                .find(|p| p.name == "access_token" && p.location == oas3::spec::ParameterIn::Query);
            let required = token.is_some_and(|p| p.required == Some(true));
            assert_eq!(required, e.needs_token, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn schemas_come_from_the_wire_types() {
    let app = TestApp::new().await;
    let (control, raw) = fetch(&app, CONTROL).await;
    let integer = Some(SchemaTypeSet::Single(SchemaType::Integer));
    let string = Some(SchemaTypeSet::Single(SchemaType::String));
    assert_eq!(property_type(&control, "JournalEntry", "latency_us"), integer);
    assert_eq!(property_type(&control, "JournalEntry", "path"), string);
    assert!(component(&control, "JournalEntry")
        .required
        .contains(&"latency_us".to_owned()));
    // Optional fields of a body are not required.
    assert!(component(&control, "CreateApp").required.is_empty());
    assert_eq!(component(&control, "ControlError").required, ["error", "message"]);
    // An operation names its body, its answer and its errors.
    let create = &raw["paths"]["/_kefu/apps"]["post"];
    let body = &create["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/CreateApp");
    let created = &create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(created, "#/components/schemas/AppInfo");
    for status in ["400", "401", "409"] {
        let error = &create["responses"][status]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(error, "#/components/schemas/ControlError", "{status}");
    }
    assert!(raw["paths"]["/_kefu/health"]["get"]["responses"].get("401").is_none());
    // A rule alone rejects unknown fields; a stored rule's own fields sit
    // next to the rule's (`#[serde(flatten)]`), so none of its parts may.
    assert_eq!(raw["components"]["schemas"]["FaultRule"]["additionalProperties"], false);
    for part in raw["components"]["schemas"]["FaultState"]["allOf"].as_array().unwrap() {
        assert!(part.get("additionalProperties").is_none(), "{part}");
    }

    let (wechat, raw) = fetch(&app, WECHAT).await;
    assert_eq!(property_type(&wechat, "KfSessionRequest", "kf_account"), string);
    assert_eq!(property_type(&wechat, "KfSessionRequest", "openid"), string);
    assert_eq!(property_type(&wechat, "Status", "errcode"), integer);
    assert_eq!(property_type(&wechat, "Status", "errmsg"), string);
    assert_eq!(property_type(&wechat, "KfInfo", "kf_id"), integer);
    let send = &raw["paths"]["/cgi-bin/message/custom/send"]["post"];
    let body = &send["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/CustomMessage");
    let answer = &send["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(answer, "#/components/schemas/Status");
    // A query answers its type, or the error body.
    let list = &raw["paths"]["/cgi-bin/customservice/getkflist"]["get"]["responses"]["200"];
    let one_of = &list["content"]["application/json"]["schema"]["oneOf"];
    let names: Vec<&str> = one_of
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["$ref"].as_str())
        .collect();
    assert_eq!(names, ["#/components/schemas/KfList", "#/components/schemas/Status"]);
    let array = Some(SchemaTypeSet::Single(SchemaType::Array));
    assert_eq!(property_type(&wechat, "KfList", "kf_list"), array);
    // `Option` fields the wire skips are optional.
    let info = component(&wechat, "KfInfo");
    assert!(info.required.contains(&"kf_account".to_owned()));
    assert!(!info.required.contains(&"kf_wx".to_owned()));
}

#[tokio::test]
async fn the_documents_need_the_admin_token_like_the_rest_of_the_control_api() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let config = kefu_server::ServerConfig {
        admin_token: Some("admin-s3cret".into()),
        ..kefu_server::ServerConfig::default()
    };
    let state = kefu_server::AppState::new(
        app.state.store.clone(),
        kefu_server::VirtualClock::frozen(crate::support::T0, 0),
        config,
    );
    let guarded = kefu_server::router(state);
    for path in [CONTROL, WECHAT] {
        let bare = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
        assert_eq!(guarded.clone().oneshot(bare).await.unwrap().status(), 401, "{path}");
        let signed = axum::http::Request::get(path)
            .header("authorization", "Bearer admin-s3cret")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(guarded.clone().oneshot(signed).await.unwrap().status(), 200, "{path}");
    }
}
