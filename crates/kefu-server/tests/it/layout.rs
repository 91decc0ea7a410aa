//! The shape of the server's code, checked: the service modules never
//! import each other in a circle, and never reach up into the layers that
//! call them (`push`, `background`, `control`, `wx`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each service module's name and the sibling modules it names
/// (`super::x`, `super::{x, y}`, `crate::service::x`); `mod` is `mod.rs`.
fn service_imports() -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/service");
    let mod_items = functions(&std::fs::read_to_string(dir.join("mod.rs")).unwrap());
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        graph.insert(name, siblings(&module_text(&path), &mod_items));
    }
    graph
}

/// A module's source: its file, or every file of its folder (whose own
/// `super::` names the folder's module, never a service module).
fn module_text(path: &Path) -> String {
    if !path.is_dir() {
        return std::fs::read_to_string(path).unwrap();
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(path).unwrap() {
        let file = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        text.push_str(&file.replace("super::", "self::"));
    }
    text
}

/// The names of the functions `text` defines.
fn functions(text: &str) -> BTreeSet<String> {
    text.match_indices("fn ")
        .map(|(i, _)| {
            text[i + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The modules named after `super::` or `crate::service::` in `text`;
/// a name in `mod_items` is an item of `mod.rs` (module `mod`).
fn siblings(text: &str, mod_items: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for prefix in ["super::", "crate::service::"] {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            let items = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(group.len())].to_owned(),
                None => rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect(),
            };
            for item in items.split(',') {
                let head: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let module = if mod_items.contains(&head) {
                    "mod".to_owned()
                } else {
                    head
                };
                found.insert(module);
            }
        }
    }
    found
}

/// A circle through `start`, if there is one.
fn circle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in graph.get(&at).into_iter().flatten() {
            if next == start {
                return Some([path.clone(), vec![next.clone()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [path.clone(), vec![next.clone()]].concat()));
            }
        }
    }
    None
}

#[test]
fn service_modules_import_each_other_in_no_circle() {
    let graph = service_imports();
    assert!(graph.len() >= 10, "{graph:?}");
    assert!(graph["sessions"].contains("outbox"), "{graph:?}");
    for module in graph.keys() {
        if let Some(circle) = circle_from(&graph, module) {
            panic!("service modules import each other in a circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    let mod_items = functions("fn enabled_app(tx: &mut dyn Tx) {}");
    graph.insert("b".to_owned(), siblings("use super::{c, enabled_app};", &mod_items));
    graph.insert("c".to_owned(), siblings("crate::service::a::push(tx)", &mod_items));
    assert_eq!(graph["b"], BTreeSet::from(["c".to_owned(), "mod".to_owned()]));
    assert_eq!(circle_from(&graph, "a").unwrap().join(" -> "), "a -> b -> c -> a");
}

#[test]
fn service_modules_never_import_the_layers_above_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/service");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = module_text(&path);
        for layer in ["crate::push", "crate::background", "crate::control", "crate::wx"] {
            assert!(!text.contains(layer), "{} imports {layer}", path.display());
        }
    }
}

/// The control router answers exactly the methods its route table lists:
/// any other method of a listed path is 405, and no listed route is the
/// control API's 404.
#[tokio::test]
async fn the_control_router_answers_exactly_its_table() {
    use tower::ServiceExt;
    let app = crate::support::TestApp::new().await;
    for (path, methods) in kefu_server::control_routes() {
        let concrete = path.replace(['{', '}'], "");
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let req = axum::http::Request::builder()
                .method(method)
                .uri(&concrete)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .unwrap();
            let res = app.router.clone().oneshot(req).await.unwrap();
            let listed = methods.contains(&method);
            assert_eq!(res.status() == 405, !listed, "{method} {path}: {}", res.status());
            if res.status() == 404 {
                let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
                assert!(
                    !String::from_utf8_lossy(&body).contains("route_not_found"),
                    "{method} {path}"
                );
            }
        }
    }
}
